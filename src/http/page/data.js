// The page's data: API calls (with the access token), the agents model built from agent-state
// records and the names directory, filtering, sorting and formatting.

const TOKEN_KEY = 'rta.token';

export class AuthError extends Error {}

export const api = {
  token: sessionStorage.getItem(TOKEN_KEY) || '',
  setToken(t) {
    this.token = t || '';
    if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY);
  },
  async fetch(path) {
    const headers = this.token ? { Authorization: `Bearer ${this.token}` } : {};
    const r = await fetch(path, { headers, cache: 'no-store' });
    if (r.status === 401) throw new AuthError('access token needed');
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    return r;
  },
  async get(path) {
    return (await this.fetch(path)).json();
  },
  // agent states; onSeq(n) gets the views' change count the snapshot holds (header rta-seq)
  // before the body is read
  async getStates(path, onSeq) {
    const r = await this.fetch(path);
    const seq = r.headers.get('rta-seq');
    if (onSeq && seq && /^\d+$/.test(seq)) onSeq(seq);
    return { list: await r.json() };
  },
  // the account's event stream; `since`: the rta-seq of the states the page holds
  streamUrl(account, since) {
    const q = new URLSearchParams();
    if (this.token) q.set('token', this.token);
    if (since != null) q.set('since', since);
    const u = `/api/accounts/${encodeURIComponent(account)}/stream`;
    return q.size ? `${u}?${q}` : u;
  },
};

// A token passed in the page's address (?token=…) is kept for the session and removed from it.
export function tokenFromAddress() {
  const u = new URL(location.href);
  const t = u.searchParams.get('token');
  if (t) {
    api.setToken(t);
    u.searchParams.delete('token');
    history.replaceState(null, '', u.pathname + u.search + u.hash);
  }
}

export function ms(t) {
  return t ? Date.parse(t) : null;
}

// The first of the candidates that is a non-empty string.
function pick(...xs) {
  for (const x of xs) if (typeof x === 'string' && x !== '') return x;
  return null;
}

export const OOA_LABEL = { notPresent: 'Not present', wrongActivity: 'Wrong activity', notScheduled: 'Not scheduled' };
// Severity for sorting by adherence: the worst first.
const SEVERITY = { notPresent: 0, wrongActivity: 1, notScheduled: 2 };

// The table row of an agent-state record. Names come from the record (personName, team,
// activityName, scheduledActivityName) when it carries them, else from the directory, else ids.
// `ord` is the person's place in the server's natural order (ties sort by it).
export function toRow(rec, dir, ord) {
  const p = rec.person;
  const person = dir.persons?.[p];
  const acts = dir.activities || {};
  const a = rec.actual || {};
  const s = rec.scheduled;
  const actual = a.online
    ? pick(rec.activityName, a.activityName, a.name, acts[a.activity]?.name, a.activity, a.externalStatus) || 'Online'
    : 'Offline';
  const scheduled = s
    ? pick(rec.scheduledActivityName, s.activityName, s.name, acts[s.activity]?.name, s.activity)
    : '';
  const name = pick(rec.personName, person?.name) || p;
  const team = pick(rec.team, person?.team) || '';
  const ooo = rec.oooType || null;
  const buffer = !!(ooo && rec.inBuffer);
  let adherence, label;
  if (ooo) {
    adherence = ooo;
    label = OOA_LABEL[ooo] + (buffer ? ' · buffer' : '');
  } else if (rec.adherence === 'in') {
    adherence = 'in';
    label = 'In adherence';
  } else {
    adherence = 'none';
    label = 'Off schedule';
  }
  const rank = ooo ? SEVERITY[ooo] + (buffer ? 3 : 0) : rec.adherence === 'in' ? 7 : 8;
  return {
    id: p, ord, rec, name, team, actual, scheduled, adherence, label, buffer, rank,
    actualTitle: a.externalStatus ? `status ${a.externalStatus}` : '',
    since: ms(a.since),
    oooSince: ooo ? ms(rec.oooSince) : null,
    at: rec.at,
    search: `${name}\n${p}\n${team}\n${actual}\n${scheduled}`.toLowerCase(),
  };
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

const KEYS = {
  name: (r) => r.name,
  team: (r) => r.team,
  actual: (r) => r.actual,
  scheduled: (r) => r.scheduled,
  // shortest first when ascending (the latest start); rows without a start last
  actualFor: (r) => (r.since == null ? Infinity : -r.since),
  ooaFor: (r) => (r.oooSince == null ? Infinity : -r.oooSince),
  adherence: (r) => r.rank,
};

// Rows passing the filters, sorted.
export function select(rows, f) {
  const q = f.search.trim().toLowerCase();
  const out = [];
  for (const r of rows) {
    if (f.onlyOoa && !r.rec.oooType) continue;
    if (f.team && r.team !== f.team) continue;
    if (q && !r.search.includes(q)) continue;
    out.push(r);
  }
  const key = KEYS[f.sort] || KEYS.name;
  const dir = f.desc ? -1 : 1;
  out.sort((a, b) => {
    const x = key(a), y = key(b);
    let c;
    if (typeof x !== 'number') c = collator.compare(x, y) * dir;
    else if (x === y) c = 0;
    else if (x === Infinity || y === Infinity) c = x === Infinity ? 1 : -1; // missing: last
    else c = (x - y) * dir;
    return c || a.ord - b.ord;
  });
  return out;
}

// 0:42, 12:05, 1:02:09
export function duration(msec) {
  if (msec == null || !isFinite(msec)) return '';
  let s = Math.max(0, Math.floor(msec / 1000));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const mm = h ? String(m).padStart(2, '0') : String(m);
  return (h ? `${h}:` : '') + `${mm}:${String(s).padStart(2, '0')}`;
}

export function percent(x) {
  return x == null ? '–' : `${(Math.round(x * 10) / 10).toFixed(1)} %`;
}

// HH:MM in the account's time zone.
export function clockTime(t, timeZone) {
  try {
    return new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hour12: false, timeZone }).format(t);
  } catch {
    return new Date(t).toISOString().slice(11, 16);
  }
}
