// The dashboard in a real browser (run by tests/dashboard_browser.rs against `rta run`'s
// embedded default and by tests/dashboard_browser_kafka.rs against `rta dashboard` on Apache
// Kafka): Debian's chromium driven by playwright-core. Checks that the page asks for the access
// token, shows named agents in injixo's colours, that "only out of adherence" filters, that the
// interval chart and a person's day render, and that live changes reach the table without a
// reload within 2 s. Screenshots go to SCREENSHOT_DIR. Exits 1 with one line per failure.
//
// env: DASHBOARD_URL (http://127.0.0.1:PORT), DASHBOARD_TOKEN, SCREENSHOT_DIR, AGENTS (how many
// the page lists, default 40), LIVE_FROM: `stream` (default: the changes the account's event
// stream carries, timed from the stream) or `stdin` (the test produces them to Kafka: the script
// prints `LIVE READY`, then reads one JSON line per change, {"person", "at", "producedMs"}, timed
// from the produce, and prints `LIVE SHOWN <person>` after each), EVERY_COLOUR=1 (the test
// arranged every out-of-adherence type past its buffer and one in it: each must be shown)

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';

const base = process.env.DASHBOARD_URL;
const token = process.env.DASHBOARD_TOKEN;
const shots = process.env.SCREENSHOT_DIR || 'target/dashboard-screenshots';
mkdirSync(shots, { recursive: true });

const COLOURS = {
  notPresent: 'rgb(217, 48, 37)',
  wrongActivity: 'rgb(244, 194, 13)',
  notScheduled: 'rgb(26, 115, 232)',
};
const agents = Number(process.env.AGENTS || 40);
const liveFromStdin = process.env.LIVE_FROM === 'stdin';
const everyColour = process.env.EVERY_COLOUR === '1';
const LIVE_CHANGES = 10;
const LIVE_LIMIT_MS = 2000;

const failures = [];
function check(ok, what) {
  if (!ok) failures.push(what);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
}

// Visible rows of the agents table as plain data.
function rows(page) {
  return page.$$eval('#tbody .row:not([hidden])', (els) => els.map((el) => {
    const badge = el.querySelector('.adh');
    return {
      person: el.dataset.person,
      ooo: el.dataset.ooo,
      adherence: el.dataset.adherence,
      at: el.dataset.at,
      name: el.querySelector('span').textContent,
      badge: badge.className,
      background: getComputedStyle(badge).backgroundColor,
    };
  }));
}

// The next `states` events of the account's stream, as [person, at] pairs, read by this
// script itself (a second subscriber, independent of the page).
async function* streamChanges(signal) {
  const r = await fetch(`${base}/api/accounts/acme/stream`, {
    headers: { Authorization: `Bearer ${token}` }, signal,
  });
  const decoder = new TextDecoder();
  let buf = '', event = '';
  for await (const chunk of r.body) {
    buf += decoder.decode(chunk, { stream: true });
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, '');
      buf = buf.slice(nl + 1);
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:') && event === 'states') {
        for (const s of JSON.parse(line.slice(5))) yield [s.person, s.at];
      }
    }
  }
}

// Changes the test produced, one JSON line each on stdin, appended to `into` as
// [person, at, producedMs]; `into.closed` once stdin ends.
function stdinChanges(into) {
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (!line.trim()) return;
    const c = JSON.parse(line);
    into.push([c.person, c.at, c.producedMs]);
  });
  lines.on('close', () => { into.closed = true; });
  return lines;
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 2400 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // the 401 before the token is entered is expected; anything else (CSP, script errors) is not
  page.on('console', (m) => m.type() === 'error' && !/status of 401/.test(m.text()) && errors.push(m.text()));
  let loads = 0;
  page.on('load', () => loads++);

  // 1. the data needs the token: the page asks for it
  await page.goto(`${base}/`);
  await page.waitForSelector('#login:not([hidden])', { timeout: 10000 });
  await page.fill('#token', token);
  await page.click('#login button');
  await page.waitForSelector('#main:not([hidden])', { timeout: 10000 });
  await page.waitForFunction((n) => document.querySelectorAll('#tbody .row:not([hidden])').length >= n
    && document.getElementById('live').classList.contains('on'), agents, { timeout: 15000 });
  check(true, 'the page loaded behind the access token and went live');

  // 2. named agents in injixo's colours (wait for someone out of adherence)
  await page.waitForFunction(() => [...document.querySelectorAll('#tbody .row')].some((r) => r.dataset.ooo),
    null, { timeout: 20000 });
  const dir = await page.evaluate(() => window.rtaDashboard.dir);
  let all = await rows(page);
  check(all.length === agents, `${agents} agents listed (got ${all.length})`);
  const unnamed = all.filter((r) => r.name !== dir.persons[r.person]?.name);
  check(unnamed.length === 0, `every agent shows their name (unnamed: ${unnamed.map((r) => r.person).join(' ')})`);
  check(all.every((r) => !/^p\d+$/.test(r.name)), 'no agent is shown by id alone');
  const ooa = all.filter((r) => r.ooo);
  check(ooa.length > 0, `someone is out of adherence (${ooa.length})`);
  for (const r of ooa) {
    const buffer = r.badge.includes('buffer');
    const ok = r.badge.includes(r.ooo) && (buffer ? r.background !== COLOURS[r.ooo] : r.background === COLOURS[r.ooo]);
    check(ok, `${r.person} ${r.ooo}${buffer ? ' (buffer)' : ''} badge colour ${r.background}`);
  }
  if (everyColour) {
    // the test arranged each type past its buffer and one still in it
    for (const t of Object.keys(COLOURS)) {
      const r = ooa.find((x) => x.ooo === t && !x.badge.includes('buffer'));
      check(r && r.background === COLOURS[t], `a ${t} agent past the buffer is shown ${COLOURS[t]} (${r ? `${r.person}: ${r.background}` : 'none'})`);
    }
    const b = ooa.find((x) => x.badge.includes('buffer'));
    check(b && b.background !== COLOURS[b.ooo], `an agent in buffer is shown light (${b ? `${b.person} ${b.ooo}: ${b.background}` : 'none'})`);
  }
  // every type's badge, whoever is out right now: the page's stylesheet on probe elements
  const probe = await page.evaluate(() => {
    const out = {};
    for (const cls of ['notPresent', 'wrongActivity', 'notScheduled', 'notPresent buffer', 'wrongActivity buffer', 'notScheduled buffer']) {
      const s = document.createElement('span');
      s.className = `adh ${cls}`;
      document.body.appendChild(s);
      out[cls] = [getComputedStyle(s).backgroundColor, getComputedStyle(s).borderTopStyle];
      s.remove();
    }
    return out;
  });
  for (const t of Object.keys(COLOURS)) {
    check(probe[t][0] === COLOURS[t], `${t} badges are ${COLOURS[t]} (${probe[t][0]})`);
    const b = probe[`${t} buffer`];
    check(b[0] !== COLOURS[t] && b[1] === 'dashed', `${t} in buffer is light and dashed (${b.join(', ')})`);
  }
  const inAdh = all.filter((r) => r.adherence === 'in' && !r.ooo);
  check(inAdh.every((r) => r.background === 'rgb(230, 244, 234)'), 'in-adherence badges are green');
  await page.screenshot({ path: `${shots}/dashboard.png`, fullPage: true });

  // 3. the interval chart
  const bars = await page.$$eval('#intervals rect.iv', (els) => els.length);
  const target = await page.$$eval('#intervals line.target', (els) => els.length);
  check(bars >= 4 && target === 1, `interval chart: ${bars} bars and the target line`);

  // 3b. today's queues (the embedded default simulates contact events too)
  const queues = await (await fetch(`${base}/api/accounts/acme/queues`, { headers: { Authorization: `Bearer ${token}` } })).json();
  const queueRows = await page.$$eval('#queues tr', (els) => els.length);
  const sparks = await page.$$eval('#queues svg rect.handled', (els) => els.length);
  check(queues.queues.length > 0 && queueRows === queues.queues.length && sparks > 0,
    `queues today: ${queueRows} rows for ${queues.queues.length} queues, ${sparks} interval bars`);

  // 4. only out of adherence
  // out-of-adherence episodes come and go: wait (bounded) until the filtered list has someone
  await page.check('#only-ooa');
  await page.waitForFunction(() => {
    const shown = [...document.querySelectorAll('#tbody .row:not([hidden])')];
    return shown.length > 0 && shown.every((r) => r.dataset.ooo);
  }, null, { timeout: 30000 }).catch(() => {});
  const filtered = await rows(page);
  check(filtered.length > 0 && filtered.length < agents && filtered.every((r) => r.ooo),
    `"only out of adherence" shows ${filtered.length} agents, all out of adherence`);
  const count = await page.textContent('#count');
  check(count.endsWith(`of ${agents} agents`), `count reads "${count}"`);
  await page.screenshot({ path: `${shots}/only-out-of-adherence.png` });
  await page.uncheck('#only-ooa');
  await page.waitForFunction((n) => document.querySelectorAll('#tbody .row:not([hidden])').length >= n, agents, { timeout: 5000 });

  // 5. live changes reach the table without a reload
  await page.evaluate(() => { window.__sameDocument = true; });
  const loadsBefore = loads;
  const abort = new AbortController();
  // [person, at, since]: the change and when it started (produced to Kafka, or carried by the
  // stream to this script's own subscription)
  const events = [];
  const reader = liveFromStdin ? stdinChanges(events) : (async () => {
    for await (const [p, at] of streamChanges(abort.signal)) events.push([p, at, Date.now()]);
  })().catch(() => {});
  if (liveFromStdin) console.log('LIVE READY');
  const from = liveFromStdin ? 'it was produced to Kafka' : 'the stream carried it';
  const latencies = [];
  const seen = new Set();
  const deadline = Date.now() + 60000;
  while (latencies.length < LIVE_CHANGES && Date.now() < deadline && !(liveFromStdin && events.closed && !events.length)) {
    const ev = events.shift();
    if (!ev) {
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    const [person, at, since] = ev;
    if (!liveFromStdin && seen.has(person)) continue;
    seen.add(person);
    const shown = await page.waitForFunction(([p, t]) => {
      const el = document.querySelector(`#tbody .row[data-person="${p}"]`);
      return el && Date.parse(el.dataset.at) >= Date.parse(t);
    }, [person, at], { timeout: Math.max(1, since + LIVE_LIMIT_MS + 3000 - Date.now()), polling: 10 }).then(() => true, () => false);
    const took = Date.now() - since;
    latencies.push(shown ? took : Infinity);
    check(shown && took <= LIVE_LIMIT_MS, `change of ${person} at ${at} shown ${shown ? `${took} ms after ${from}` : 'never'}`);
    if (liveFromStdin) console.log(`LIVE SHOWN ${person}`);
  }
  abort.abort();
  if (liveFromStdin) reader.close();
  else await reader;
  check(latencies.length === LIVE_CHANGES, `${latencies.length} live changes observed`);
  const same = await page.evaluate(() => window.__sameDocument === true);
  check(same && loads === loadsBefore, 'no reload happened');
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(`live change to DOM: p50 ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted[sorted.length - 1]} ms`);

  // 6. one person's day: schedule against actual
  all = await rows(page);
  const someone = all.find((r) => r.adherence === 'in') || all[0];
  // clicked in the page's own script: rows move as live changes re-sort them
  await page.$eval(`#tbody .row[data-person="${someone.person}"]`, (el) => el.click());
  await page.waitForSelector('#person:not([hidden]) rect.seg.schedule', { timeout: 5000 }).catch(() => {});
  const segs = await page.$$eval('#person-day rect.seg', (els) => els.map((e) => e.getAttribute('class')));
  check(segs.some((c) => c.includes('schedule')) && segs.some((c) => c.includes('actual')),
    `${someone.person}'s day shows schedule and actual bars (${segs.length} segments)`);
  await page.screenshot({ path: `${shots}/person-day.png`, fullPage: true });

  check(errors.length === 0, `no errors in the page${errors.length ? `: ${errors.join(' | ')}` : ''}`);
} catch (e) {
  failures.push(`the browser script failed: ${e.message.split('\n')[0]}`);
} finally {
  await browser.close();
}
console.log(`screenshots in ${shots}`);
if (failures.length) {
  console.log(`${failures.length} failure(s):\n${failures.join('\n')}`);
  process.exit(1);
}
