// Measures the dashboard in chromium (README "Dashboard: measured"; not run by the tests):
// initial load time of every agent (navigation until the table holds them all), time from the
// stream carrying a change to the table's rows holding it (p50, p99 over CHANGES changes,
// sampled as they arrive; the rows in view are then painted on the next frame), and the page's
// JS heap.
//
// env: DASHBOARD_URL, DASHBOARD_TOKEN (optional), CHANGES (default 200)
//   rta run --persons 10000 --embedded-start 2026-11-23T09:30:00+01:00 --embedded-speed 10 &
//   DASHBOARD_URL=http://127.0.0.1:8080 node tests/browser/measure.mjs

import { chromium } from 'playwright-core';

const base = process.env.DASHBOARD_URL;
const token = process.env.DASHBOARD_TOKEN || '';
const changes = Number(process.env.CHANGES || 200);
const auth = token ? { Authorization: `Bearer ${token}` } : {};

const persons = (await (await fetch(`${base}/api/accounts/acme`, { headers: auth })).json()).persons;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
const t0 = Date.now();
await page.goto(`${base}/${token ? `?token=${encodeURIComponent(token)}` : ''}`);
await page.waitForFunction((n) => window.rtaDashboard?.table?.rows.length >= n
  && document.querySelectorAll('#tbody .row:not([hidden])').length > 0, persons, { timeout: 60000, polling: 10 });
const load = Date.now() - t0;
console.log(`${persons} agents listed ${load} ms after navigation`);

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
const lat = [];
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
lat.sort((a, b) => a - b);
const q = (f) => lat[Math.min(lat.length - 1, Math.floor(f * lat.length))];
console.log(`${lat.length} changes, stream to table: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${lat[lat.length - 1]} ms`);
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable');
const { metrics } = await cdp.send('Performance.getMetrics');
const heap = metrics.find((m) => m.name === 'JSHeapUsedSize').value;
const nodes = metrics.find((m) => m.name === 'Nodes').value;
console.log(`JS heap ${(heap / 1048576).toFixed(1)} MiB, ${nodes} DOM nodes`);
await browser.close();
