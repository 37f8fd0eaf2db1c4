// SVG charts: adherence per interval today against the target, and one person's day —
// schedule against actual activity, with the out-of-adherence episodes underneath.

import { clockTime, percent } from './data.js';

const NS = 'http://www.w3.org/2000/svg';
const HOUR = 3600e3;

export const TYPE_COLOURS = {
  presence: '#12a4af', break: '#a142f4', meeting: '#795548',
  illness: '#80868b', vacation: '#80868b', absence: '#80868b',
};
const OFFLINE = '#e8eaed';
export const OOA_COLOURS = { notPresent: '#d93025', wrongActivity: '#f4c20d', notScheduled: '#1a73e8' };

function el(parent, name, attrs, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text != null) e.textContent = text;
  parent.appendChild(e);
  return e;
}

function reset(svg, height) {
  const w = Math.max(300, Math.round(svg.clientWidth || svg.parentNode.clientWidth || 1000));
  svg.setAttribute('viewBox', `0 0 ${w} ${height}`);
  svg.setAttribute('height', height);
  svg.replaceChildren();
  return w;
}

function hourTicks(g, from, to, x, y, timeZone) {
  const span = to - from;
  const step = span > 16 * HOUR ? 3 * HOUR : span > 8 * HOUR ? 2 * HOUR : HOUR;
  for (let t = Math.ceil(from / HOUR) * HOUR; t <= to; t += step) {
    el(g, 'text', { x: x(t), y, 'text-anchor': 'middle' }, clockTime(t, timeZone));
  }
}

// data: the intervals endpoint's body (or the stream's `intervals` event).
export function drawIntervals(svg, data) {
  const H = 170, top = 12, bottom = 22, left = 40, right = 10;
  const w = reset(svg, H);
  const list = data?.intervals || [];
  const target = data?.targetPercent ?? 90;
  const from = Date.parse(data?.dayStart), to = Date.parse(data?.dayEnd);
  if (!list.length || !isFinite(from) || !isFinite(to) || to <= from) {
    el(svg, 'text', { x: w / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty-note' },
      'No interval has closed yet today.');
    return;
  }
  const max = Math.min(150, Math.max(100, ...list.map((i) => i.adherencePercent ?? 0)));
  const x = (t) => left + ((t - from) / (to - from)) * (w - left - right);
  const y = (p) => top + (1 - p / max) * (H - top - bottom);
  for (const p of [0, 50, 100]) {
    el(svg, 'line', { x1: left, x2: w - right, y1: y(p), y2: y(p), stroke: '#eee' });
    el(svg, 'text', { x: left - 6, y: y(p) + 4, 'text-anchor': 'end' }, `${p}%`);
  }
  for (const iv of list) {
    const s = Date.parse(iv.intervalStart), e = Date.parse(iv.intervalEnd);
    const pct = iv.adherencePercent;
    if (pct == null) continue;
    const good = pct >= target;
    const r = el(svg, 'rect', {
      class: `iv ${good ? 'good' : 'bad'}`,
      x: x(s) + 0.5, width: Math.max(1, x(e) - x(s) - 1),
      y: y(Math.min(pct, max)), height: Math.max(0, y(0) - y(Math.min(pct, max))),
      'data-start': iv.intervalStart,
    });
    el(r, 'title', {}, `${clockTime(s, data.timeZone)}–${clockTime(e, data.timeZone)}: ${percent(pct)} adherence, ${iv.persons} people`);
  }
  el(svg, 'line', { class: 'target', x1: left, x2: w - right, y1: y(target), y2: y(target) });
  el(svg, 'text', { x: w - right, y: y(target) - 4, 'text-anchor': 'end' }, `target ${target} %`);
  hourTicks(svg, from, to, x, H - 6, data.timeZone);
}

// day: the person day endpoint's body.
export function drawPersonDay(svg, legend, day, now) {
  const H = 128, left = 76, right = 10;
  const w = reset(svg, H);
  legend.replaceChildren();
  const dayStart = Date.parse(day.dayStart), dayEnd = Date.parse(day.dayEnd);
  const sched = day.schedule.map((s) => ({ ...s, s: Date.parse(s.start), e: Date.parse(s.end) }));
  const actual = day.actual.map((a) => ({ ...a, s: Date.parse(a.start), e: Date.parse(a.end) }));
  const ooa = day.outOfAdherence.map((o) => ({ ...o, s: Date.parse(o.start), e: Date.parse(o.end) }));
  const starts = [...sched.map((s) => s.s), ...actual.filter((a) => a.activity).map((a) => a.s), now];
  const ends = [...sched.map((s) => s.e), now];
  const from = Math.max(dayStart, Math.min(...starts) - HOUR / 2);
  const to = Math.min(dayEnd, Math.max(...ends) + HOUR / 2);
  const x = (t) => left + ((Math.min(Math.max(t, from), to) - from) / Math.max(1, to - from)) * (w - left - right);
  const used = new Map();
  const lane = (label, y, h, items, colour, name) => {
    el(svg, 'text', { x: 0, y: y + h / 2 + 4 }, label);
    el(svg, 'rect', { x: left, y, width: w - left - right, height: h, fill: '#fafafa', stroke: '#eee' });
    for (const it of items) {
      if (it.e <= from || it.s >= to) continue;
      const c = colour(it);
      const x0 = x(it.s), x1 = x(it.e);
      const r = el(svg, 'rect', { x: x0, y, width: Math.max(1, x1 - x0), height: h, fill: c, class: `seg ${label.toLowerCase()}` });
      const n = name(it);
      el(r, 'title', {}, `${n}: ${clockTime(it.s, day.timeZone)}–${clockTime(it.e, day.timeZone)}`);
      if (x1 - x0 > 8 * n.length && h > 14) {
        const dark = c === OFFLINE || c === OOA_COLOURS.wrongActivity;
        el(svg, 'text', { x: x0 + 4, y: y + h / 2 + 4, class: `seg-label${dark ? ' dark' : ''}` }, n);
      }
    }
  };
  const actColour = (a) => {
    if (!a.activity) return OFFLINE;
    const c = TYPE_COLOURS[a.type] || TYPE_COLOURS.presence;
    used.set(a.type || 'presence', c);
    return c;
  };
  const actName = (a) => (a.activity ? a.name || a.activity : 'Offline');
  lane('Schedule', 8, 30, sched, actColour, actName);
  lane('Actual', 46, 30, actual, actColour, actName);
  lane('Adherence', 84, 12, ooa, (o) => OOA_COLOURS[o.type], (o) => o.type);
  if (now > from && now < to) {
    el(svg, 'line', { class: 'now', x1: x(now), x2: x(now), y1: 4, y2: 100 });
  }
  hourTicks(svg, from, to, x, H - 6, day.timeZone);
  const entries = [...used.entries(), ['offline', OFFLINE], ['not present', OOA_COLOURS.notPresent],
    ['wrong activity', OOA_COLOURS.wrongActivity], ['not scheduled', OOA_COLOURS.notScheduled]];
  for (const [label, c] of entries) {
    const s = document.createElement('span');
    s.style.setProperty('--c', c);
    s.textContent = label;
    legend.appendChild(s);
  }
}

// One queue's day: offered (light) and handled (dark) contacts per interval.
export function drawQueueSpark(svg, queue, day, aht) {
  const H = 28;
  const w = reset(svg, H);
  const from = Date.parse(day?.dayStart), to = Date.parse(day?.dayEnd);
  if (!isFinite(from) || !isFinite(to) || to <= from) return;
  const max = Math.max(1, ...queue.intervals.map((i) => i.offered));
  const x = (t) => ((t - from) / (to - from)) * w;
  for (const iv of queue.intervals) {
    const s = Date.parse(iv.intervalStart), e = Date.parse(iv.intervalEnd);
    const bw = Math.max(1, x(e) - x(s) - 0.5);
    const off = (iv.offered / max) * (H - 2), han = (iv.handled / max) * (H - 2);
    el(svg, 'rect', { class: 'offered', x: x(s), width: bw, y: H - off, height: off });
    const r = el(svg, 'rect', { class: 'handled', x: x(s), width: bw, y: H - han, height: han });
    el(r, 'title', {}, `${clockTime(s, day.timeZone)}–${clockTime(e, day.timeZone)}: ${iv.offered} offered, `
      + `${iv.handled} handled, ${iv.abandoned} abandoned, AHT ${aht(iv.averageHandleSeconds)}`);
  }
}
