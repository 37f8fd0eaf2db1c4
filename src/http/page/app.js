// rta dashboard: account picker, headline figures, the live agents table, the interval chart,
// one person's day, today's queues and the unmapped values. Live: the server-sent events of
// /api/accounts/{account}/stream push changes; the page fetches full state only on `hello`
// (after (re)connecting) and `resync`.

import { api, AuthError, tokenFromAddress, toRow, select, percent, clockTime, duration } from './data.js';
import { VirtualTable } from './table.js';
import { drawIntervals, drawPersonDay, drawQueueSpark } from './charts.js';

const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;
const WORKING = new Set(['presence', 'break', 'meeting']);

const S = {
  account: null,
  dir: { persons: {}, activities: {}, teams: [] },
  rows: new Map(),
  filters: { onlyOoa: false, team: '', search: '', sort: 'adherence', desc: false },
  skew: 0,
  es: null,
  buffering: true,
  buffer: [],
  intervals: null,
  summary: null,
  person: null,
  liveUpdates: 0,
  refreshTimer: null,
  personTimer: null,
  lastRefresh: 0,
  refreshCost: 0,
};
window.rtaDashboard = S; // for the browser test and curious supervisors

const now = () => Date.now() + S.skew;
const table = new VirtualTable($('tbody'), $('spacer'), { onPick: openPerson, now });
S.table = table;
const base = () => `/api/accounts/${enc(S.account)}`;

function setLive(on, text) {
  const l = $('live');
  l.classList.toggle('on', on);
  l.textContent = text || (on ? 'live' : 'reconnecting…');
}

function showLogin(message) {
  $('main').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message || '';
  $('token').focus();
}

async function loadAccounts() {
  let list;
  try {
    list = await api.get('/api/accounts');
  } catch (e) {
    if (e instanceof AuthError) return showLogin(api.token ? 'That token is not accepted.' : '');
    setLive(false, 'server unreachable');
    setTimeout(loadAccounts, 3000);
    return;
  }
  performance.mark('rta:accounts');
  $('login').hidden = true;
  $('main').hidden = false;
  const sel = $('account');
  const names = list.map((s) => s.account);
  sel.replaceChildren(...names.map((n) => new Option(n, n)));
  if (!names.length) {
    setLive(false, 'no accounts yet');
    setTimeout(loadAccounts, 2000);
    return;
  }
  const wanted = new URLSearchParams(location.hash.slice(1)).get('account');
  const account = names.includes(wanted) ? wanted : S.account && names.includes(S.account) ? S.account : names[0];
  sel.value = account;
  switchAccount(account);
}

function switchAccount(account) {
  S.account = account;
  history.replaceState(null, '', `#account=${enc(account)}`);
  S.rows = new Map();
  closePerson();
  connect();
}

// The full state and the stream at once: the stream opens as soon as the states' headers say
// which changes the snapshot holds (rta-seq) and sends the later ones first (?since=), so the
// states download while it connects. Without that header (an error) it opens plainly and
// `hello` fetches everything again.
function connect() {
  if (S.es) S.es.close();
  S.es = null;
  S.buffering = true;
  S.buffer = [];
  const account = S.account;
  const open = (since) => {
    if (account === S.account && !S.es) openStream(since);
  };
  S.prefetch = fetchAll(open);
  S.prefetch.catch((e) => {
    if (e instanceof AuthError && account === S.account) showLogin('The access token is no longer accepted.');
    else open(null);
  });
}

function openStream(since) {
  const es = new EventSource(api.streamUrl(S.account, since));
  S.es = es;
  es.addEventListener('hello', () => {
    performance.mark('rta:hello');
    // the first hello continues from the snapshot; after a reconnect everything is fetched
    const early = since != null ? S.prefetch : null;
    S.prefetch = null;
    reload(early);
  });
  es.addEventListener('resync', () => reload(null));
  es.addEventListener('states', (e) => {
    const list = JSON.parse(e.data);
    if (S.buffering) S.buffer.push(list);
    else applyStates(list);
  });
  es.addEventListener('summary', (e) => renderSummary(JSON.parse(e.data)));
  es.addEventListener('intervals', (e) => {
    S.intervals = JSON.parse(e.data);
    drawIntervals($('intervals'), S.intervals);
  });
  es.addEventListener('queues', (e) => renderQueues(JSON.parse(e.data)));
  es.addEventListener('changed', (e) => {
    const what = JSON.parse(e.data).what;
    if (what === 'unmapped') loadUnmapped();
    else loadDirectory().then(rebuildRows);
  });
  es.onerror = () => {
    setLive(false);
    if (es.readyState === EventSource.CLOSED && S.es === es) {
      // refused (token, unknown account): start over from the account list
      setTimeout(loadAccounts, 3000);
    }
  };
}

async function loadDirectory() {
  S.dir = await api.get(`${base()}/directory`);
  const team = $('team');
  const keep = team.value;
  team.replaceChildren(new Option('All teams', ''), ...(S.dir.teams || []).map((t) => new Option(t, t)));
  team.value = (S.dir.teams || []).includes(keep) ? keep : '';
  S.filters.team = team.value;
}

// The account's directory, states (without the per-day figures the table does not show;
// `onSeq` gets their rta-seq header as soon as it arrives), summary and intervals.
function fetchAll(onSeq) {
  return Promise.all([
    loadDirectory(),
    api.getStates(`${base()}/states?omit=today`, onSeq),
    api.get(base()),
    api.get(`${base()}/intervals`),
  ]);
}

// Full state: after (re)connecting and on resync — `early`, what connect() fetched, or
// fetched now. Changes that arrive meanwhile are replayed on top, in order, so the newest record
// of each person wins.
async function reload(early) {
  const account = S.account;
  S.buffering = true;
  if (!early) S.buffer = [];
  try {
    const [, { list: states }, summary, intervals] = await (early || fetchAll());
    if (account !== S.account) return;
    performance.mark('rta:fetched');
    S.rows = new Map(states.map((r, i) => [r.person, toRow(r, S.dir, i)]));
    for (const list of S.buffer) applyStates(list);
    S.buffer = [];
    S.buffering = false;
    performance.mark('rta:rows');
    renderSummary(summary);
    S.intervals = intervals;
    drawIntervals($('intervals'), intervals);
    refresh();
    performance.mark('rta:shown');
    setLive(true);
    loadUnmapped();
    api.get(`${base()}/queues`).then(renderQueues, () => renderQueues(null));
    if (S.person) loadPerson();
  } catch (e) {
    if (e instanceof AuthError) return showLogin('The access token is no longer accepted.');
    setLive(false);
    setTimeout(() => account === S.account && S.buffering && reload(), 3000);
  }
}

function rebuildRows() {
  for (const [p, r] of S.rows) S.rows.set(p, toRow(r.rec, S.dir, r.ord));
  markDirty();
}

function applyStates(list) {
  for (const rec of list) {
    S.rows.set(rec.person, toRow(rec, S.dir, S.rows.get(rec.person)?.ord ?? S.rows.size));
    if (rec.person === S.person) schedulePerson();
  }
  S.liveUpdates += list.length;
  markDirty();
}

// Filter and sort again soon, but spending at most a fifth of the time on it (10,000 agents
// take some 10 ms); visible rows render on the next frame.
function markDirty() {
  if (S.refreshTimer) return;
  const pause = Math.max(50, 4 * S.refreshCost);
  const wait = Math.max(0, pause - (performance.now() - S.lastRefresh));
  S.refreshTimer = setTimeout(() => {
    S.refreshTimer = null;
    refresh();
  }, wait);
}

function refresh() {
  S.lastRefresh = performance.now();
  const rows = select(S.rows.values(), S.filters);
  S.refreshCost = performance.now() - S.lastRefresh;
  table.setRows(rows);
  $('count').textContent = `${rows.length} of ${S.rows.size} agents`;
  if (!S.summary || S.summary.realTimeAdherencePercent === undefined) renderSummary(S.summary);
}

// Figures a summary lacks (another source of views) are computed from the rows.
function fromRows() {
  let scheduled = 0, adhering = 0, online = 0, buffer = 0;
  const ooa = {};
  for (const r of S.rows.values()) {
    const rec = r.rec;
    if (rec.actual?.online) online++;
    if (rec.oooType) ooa[rec.oooType] = (ooa[rec.oooType] || 0) + 1;
    if (r.buffer) buffer++;
    if (rec.scheduled && WORKING.has(rec.scheduled.activityType)) {
      scheduled++;
      if (!rec.oooType || rec.inBuffer) adhering++;
    }
  }
  return {
    persons: S.rows.size, online, outOfAdherence: ooa, inBuffer: buffer, scheduledNow: scheduled, adheringNow: adhering,
    realTimeAdherencePercent: scheduled ? (100 * adhering) / scheduled : null, targetPercent: S.dir.targetPercent ?? 90,
  };
}

function renderSummary(sum) {
  if (sum?.at) S.skew = Date.parse(sum.at) - Date.now();
  S.summary = sum;
  const s = { ...fromRows(), ...(sum || {}) };
  const target = s.targetPercent ?? 90;
  const rta = $('rta');
  rta.textContent = percent(s.realTimeAdherencePercent);
  rta.className = `big ${s.realTimeAdherencePercent == null ? '' : s.realTimeAdherencePercent >= target ? 'good' : 'bad'}`;
  $('rta-sub').textContent = `${s.adheringNow} of ${s.scheduledNow} scheduled now adhering (in buffer counts)`;
  const today = $('today');
  today.textContent = percent(s.adherencePercent);
  today.className = `big ${s.adherencePercent == null ? '' : s.adherencePercent >= target ? 'good' : 'bad'}`;
  $('today-sub').textContent = s.scheduledSeconds != null
    ? `${(s.inAdherenceSeconds / 3600).toFixed(1)} of ${(s.scheduledSeconds / 3600).toFixed(1)} scheduled hours` : '';
  $('target').textContent = `${target} %`;
  $('online').textContent = s.online;
  $('online-sub').textContent = `of ${s.persons} people`;
  for (const t of ['notPresent', 'wrongActivity', 'notScheduled']) {
    $(`n-${t}`).textContent = s.outOfAdherence?.[t] || 0;
  }
  $('n-buffer').textContent = s.inBuffer || 0;
}

const aht = (s) => (s == null ? '–' : duration(s * 1000));

// Today's queues: totals and a bar per interval (views without queues hide the panel).
function renderQueues(data) {
  S.queues = data;
  const list = data?.queues || [];
  $('queues-panel').hidden = list.length === 0;
  const body = $('queues');
  body.replaceChildren();
  for (const q of list.slice(0, 100)) {
    const tr = body.insertRow();
    tr.insertCell().textContent = q.queueName || q.queueIdentifier;
    tr.cells[0].title = `integration ${q.integration}, queue ${q.queueIdentifier}`;
    for (const v of [q.offered, q.handled, q.abandoned, aht(q.averageHandleSeconds)]) {
      const td = tr.insertCell();
      td.className = 'num';
      td.textContent = v;
    }
    const td = tr.insertCell();
    td.className = 'spark';
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('class', 'queue-day');
    td.appendChild(svg);
    drawQueueSpark(svg, q, S.intervals, aht);
  }
}

async function loadUnmapped() {
  let list;
  try {
    list = await api.get(`${base()}/unmapped`);
  } catch {
    return;
  }
  list.sort((a, b) => (b.count || 0) - (a.count || 0));
  const body = $('unmapped');
  body.replaceChildren();
  for (const u of list.slice(0, 200)) {
    const tr = body.insertRow();
    for (const v of [u.integration, u.kind, u.value, u.count, u.lastSeen ? clockTime(Date.parse(u.lastSeen), S.dir.timeZone) : '']) {
      tr.insertCell().textContent = v ?? '';
    }
    const sug = tr.insertCell();
    for (const s of u.suggestions || []) {
      const chip = document.createElement('span');
      chip.className = 'chip';
      chip.textContent = s;
      sug.appendChild(chip);
    }
  }
  $('unmapped-panel').hidden = list.length === 0;
}

function openPerson(person) {
  S.person = person;
  table.select(person);
  $('person').hidden = false;
  loadPerson();
}

function closePerson() {
  S.person = null;
  table.select(null);
  $('person').hidden = true;
}

function schedulePerson() {
  if (S.personTimer) return;
  S.personTimer = setTimeout(() => {
    S.personTimer = null;
    if (S.person) loadPerson();
  }, 1000);
}

async function loadPerson() {
  const person = S.person;
  let day;
  try {
    day = await api.get(`${base()}/persons/${enc(person)}/day`);
  } catch {
    return;
  }
  if (person !== S.person) return;
  const row = S.rows.get(person);
  $('person-title').textContent = row?.name || day.name || person;
  $('person-sub').textContent = [day.team || row?.team, person, row?.label, day.date].filter(Boolean).join(' · ');
  S.personDay = day;
  drawPersonDay($('person-day'), $('person-legend'), day, now());
}

function bindControls() {
  $('login').addEventListener('submit', (e) => {
    e.preventDefault();
    api.setToken($('token').value.trim());
    loadAccounts();
  });
  $('account').addEventListener('change', (e) => switchAccount(e.target.value));
  $('only-ooa').addEventListener('change', (e) => { S.filters.onlyOoa = e.target.checked; refresh(); });
  $('team').addEventListener('change', (e) => { S.filters.team = e.target.value; refresh(); });
  $('search').addEventListener('input', (e) => { S.filters.search = e.target.value; refresh(); });
  $('person-close').addEventListener('click', closePerson);
  for (const h of $('thead').children) {
    h.addEventListener('click', () => {
      const key = h.dataset.sort;
      S.filters.desc = S.filters.sort === key ? !S.filters.desc : false;
      S.filters.sort = key;
      showSort();
      refresh();
    });
  }
  showSort();
  let resize = null;
  window.addEventListener('resize', () => {
    clearTimeout(resize);
    resize = setTimeout(() => {
      if (S.intervals) drawIntervals($('intervals'), S.intervals);
      if (S.queues) renderQueues(S.queues);
      if (S.person && S.personDay) drawPersonDay($('person-day'), $('person-legend'), S.personDay, now());
    }, 150);
  });
}

function showSort() {
  for (const h of $('thead').children) {
    h.classList.toggle('asc', h.dataset.sort === S.filters.sort && !S.filters.desc);
    h.classList.toggle('desc', h.dataset.sort === S.filters.sort && S.filters.desc);
  }
}

function tick() {
  $('clock').textContent = S.summary?.at ? clockTime(now(), S.dir.timeZone) : '';
  table.schedule(); // durations tick
}

tokenFromAddress();
bindControls();
setInterval(tick, 1000);
loadAccounts();
