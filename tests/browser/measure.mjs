// Measures the dashboard in chromium (README "Dashboard: measured"; not run by the tests):
//
// 1. Initial load, LOADS times (default 5) in fresh pages: navigation until the page is ready
//    (the agents table shows its first rows and the headline figures are filled), timed in the
//    page (performance.now() since navigation start); p50 and each run, plus the API's states
//    payload (bytes on the wire and decoded), the page's JS heap and DOM nodes (CDP).
// 2. Live changes, CHANGES of them (default 200), by LIVE_FROM:
//    - `stream` (default): from the account's event stream carrying a change (read by this
//      script) to the change being in the table's rows.
//    - `stdin`: from an input event produced to Kafka to the DOM updated. The producer
//      (benches/dashboard_e2e.rs) writes one JSON line per change, {"person", "at",
//      "producedMs"}, after printing `LIVE READY` here; the table is sorted by "For" so that a
//      changed agent moves to the top row, and a MutationObserver records (timeOrigin + now)
//      when a row element shows the person at that time or later. Ends when stdin does.
//
// env: DASHBOARD_URL, DASHBOARD_TOKEN (optional), LOADS, CHANGES, LIVE_FROM
//   rta run --persons 10000 --embedded-start 2026-11-23T09:30:00+01:00 --embedded-speed 10 &
//   DASHBOARD_URL=http://127.0.0.1:8080 node tests/browser/measure.mjs

import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';
import http from 'node:http';

const base = process.env.DASHBOARD_URL;
const token = process.env.DASHBOARD_TOKEN || '';
const loads = Number(process.env.LOADS || 5);
const changes = Number(process.env.CHANGES || 200);
const fromStdin = process.env.LIVE_FROM === 'stdin';
const auth = token ? { Authorization: `Bearer ${token}` } : {};

const q = (sorted, f) => sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))];
const summary = await (await fetch(`${base}/api/accounts/acme`, { headers: auth })).json();
const persons = summary.persons;
const plain = await (await fetch(`${base}/api/accounts/acme/states`, { headers: auth })).arrayBuffer();
// bytes on the wire with gzip (fetch would decode them)
const wire = await new Promise((resolve, reject) => {
  http.get(`${base}/api/accounts/acme/states`, { headers: { ...auth, 'Accept-Encoding': 'gzip' } }, (r) => {
    let n = 0;
    r.on('data', (c) => { n += c.length; });
    r.on('end', () => resolve([n, r.headers['content-encoding'] || 'identity']));
  }).on('error', reject);
});
console.log(`${persons} agents; states ${(plain.byteLength / 1e6).toFixed(2)} MB, ${(wire[0] / 1e6).toFixed(2)} MB ${wire[1]}`);

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--enable-precise-memory-info'],
});
const url = `${base}/${token ? `?token=${encodeURIComponent(token)}` : ''}`;
// ready: the table shows rows and the headline figures are filled
const ready = () => {
  const rows = document.querySelectorAll('#tbody .row:not([hidden])').length;
  const online = document.getElementById('online').textContent;
  return rows > 0 && online !== '' && online !== '–' && performance.now();
};

async function metrics(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const { metrics: m } = await cdp.send('Performance.getMetrics');
  const get = (n) => m.find((x) => x.name === n)?.value;
  return { heap: get('JSHeapUsedSize') / 1048576, total: get('JSHeapTotalSize') / 1048576, nodes: get('Nodes') };
}

const times = [];
// the page's marks (app.js) and resources, per load: where the time goes
const PHASES = ['html', 'modules', 'rta:accounts', 'rta:hello', 'states', 'rta:fetched', 'rta:rows', 'rta:shown'];
const phases = Object.fromEntries(PHASES.map((p) => [p, []]));
let page;
for (let i = 0; i < loads; i++) {
  if (page) await page.close();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(url);
  const h = await page.waitForFunction(ready, null, { timeout: 60000, polling: 'raf' });
  times.push(Math.round(await h.jsonValue()));
  const at = await page.evaluate(() => {
    const first = (n) => performance.getEntriesByName(n)[0]?.startTime;
    const res = performance.getEntriesByType('resource');
    const end = (re) => Math.max(...res.filter((r) => re.test(r.name)).map((r) => r.responseEnd));
    return {
      html: performance.getEntriesByType('navigation')[0].responseEnd,
      modules: end(/\/assets\/.*\.js$/),
      'rta:accounts': first('rta:accounts'),
      'rta:hello': first('rta:hello'),
      states: end(/\/states(\?|$)/),
      'rta:fetched': first('rta:fetched'),
      'rta:rows': first('rta:rows'),
      'rta:shown': first('rta:shown'),
    };
  });
  for (const p of PHASES) phases[p].push(at[p]);
  const listed = await page.evaluate(() => window.rtaDashboard.rows.size);
  if (listed < persons) console.log(`load ${i + 1}: only ${listed} of ${persons} agents`);
}
const sortedTimes = [...times].sort((a, b) => a - b);
console.log(`initial load (ready) over ${loads} loads: p50 ${q(sortedTimes, 0.5)} ms, max ${sortedTimes[sortedTimes.length - 1]} ms (${times.join(', ')} ms)`);
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`  median ms since navigation: ${PHASES.map((p) => `${p.replace('rta:', '')} ${Math.round(med(phases[p]))}`).join(', ')}`);
const m0 = await metrics(page);
console.log(`after load: JS heap ${m0.heap.toFixed(1)} MiB used of ${m0.total.toFixed(1)} MiB, ${m0.nodes} DOM nodes`);

const lat = [];
let missed = 0;
if (fromStdin) {
  // newest change first: a changed agent moves to the top row
  await page.click('#thead [data-sort="actualFor"]');
  await page.evaluate(() => {
    window.__seen = new Map(); // person → [[at ms, seen ms since the epoch]]
    new MutationObserver((list) => {
      const t = performance.timeOrigin + performance.now();
      for (const m of list) {
        const p = m.target.dataset?.person;
        if (!p) continue;
        const at = Date.parse(m.target.dataset.at);
        const seen = window.__seen.get(p) || [];
        if (!seen.some(([a]) => a >= at)) seen.push([at, t]);
        window.__seen.set(p, seen);
      }
    }).observe(document.getElementById('tbody'), { subtree: true, attributes: true, attributeFilter: ['data-at', 'data-person'] });
  });
  const produced = [];
  const lines = createInterface({ input: process.stdin });
  console.log('LIVE READY');
  for await (const line of lines) {
    if (line.trim()) produced.push(JSON.parse(line));
    if (produced.length >= changes) break;
  }
  // the last ones get (at most) 5 s to show
  const last = produced[produced.length - 1];
  await page.waitForFunction((c) => (window.__seen.get(c.person) || []).some(([a]) => a >= Date.parse(c.at)),
    last, { timeout: 5000 }).catch(() => {});
  const seen = await page.evaluate(() => Object.fromEntries(window.__seen));
  for (const c of produced) {
    const hit = (seen[c.person] || []).find(([a]) => a >= Date.parse(c.at));
    if (hit) lat.push(hit[1] - c.producedMs);
    else missed++;
  }
} else {
  const events = [];
  const abort = new AbortController();
  (async () => {
    const r = await fetch(`${base}/api/accounts/acme/stream`, { headers: auth, signal: abort.signal });
    const dec = new TextDecoder();
    let buf = '', ev = '';
    for await (const chunk of r.body) {
      buf += dec.decode(chunk, { stream: true });
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('event:')) ev = line.slice(6).trim();
        else if (line.startsWith('data:') && ev === 'states') {
          const got = Date.now();
          for (const s of JSON.parse(line.slice(5))) events.push([s.person, s.at, got]);
        }
      }
    }
  })().catch(() => {});
  const deadline = Date.now() + 600e3;
  while (lat.length < changes && Date.now() < deadline) {
    const e = events.shift();
    if (!e) { await new Promise((r) => setTimeout(r, 10)); continue; }
    const [p, at, got] = e;
    // sample changes as they come, not the backlog that built up while one was being watched
    if (Date.now() - got > 20) continue;
    await page.waitForFunction(([p, at]) => window.rtaDashboard.table.rows.some((r) => r.id === p && Date.parse(r.at) >= Date.parse(at)),
      [p, at], { timeout: 10000, polling: 10 }).catch(() => {});
    lat.push(Date.now() - got);
  }
  abort.abort();
}
lat.sort((a, b) => a - b);
const what = fromStdin ? 'produced to Kafka to the DOM' : 'stream to table';
console.log(`${lat.length} changes${missed ? ` (${missed} never shown)` : ''}, ${what}: p50 ${Math.round(q(lat, 0.5))} ms, p99 ${Math.round(q(lat, 0.99))} ms, max ${Math.round(lat[lat.length - 1])} ms`);
const m1 = await metrics(page);
console.log(`at the end: JS heap ${m1.heap.toFixed(1)} MiB used of ${m1.total.toFixed(1)} MiB, ${m1.nodes} DOM nodes`);
await browser.close();
process.exit(0);
