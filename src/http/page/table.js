// The agents table: only the rows in view exist in the DOM (a pool of row elements placed over
// a spacer as tall as all rows), so 10,000 agents scroll and update smoothly.

import { duration } from './data.js';

const OVERSCAN = 6;

function cell(row, cls) {
  const d = document.createElement('div');
  if (cls) d.className = cls;
  row.appendChild(d);
  return d;
}

function makeRow() {
  const el = document.createElement('div');
  el.className = 'row grid';
  const name = cell(el);
  const c = {
    nameText: name.appendChild(document.createElement('span')),
    id: name.appendChild(document.createElement('small')),
    team: cell(el),
    actual: cell(el),
    actualFor: cell(el, 'num'),
    scheduled: cell(el),
    adh: cell(el).appendChild(document.createElement('span')),
    ooa: cell(el, 'num').appendChild(document.createElement('span')),
  };
  el._cells = c;
  return el;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

export class VirtualTable {
  constructor(body, spacer, { onPick, now }) {
    this.body = body;
    this.spacer = spacer;
    this.now = now;
    this.rows = [];
    this.pool = [];
    this.rowH = parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--row')) || 32;
    this.selected = null;
    this.pending = false;
    body.addEventListener('scroll', () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.schedule()).observe(body);
    body.addEventListener('click', (e) => {
      const el = e.target.closest('.row');
      if (el && el.dataset.person) onPick(el.dataset.person);
    });
  }

  setRows(rows) {
    this.rows = rows;
    this.spacer.style.height = `${rows.length * this.rowH}px`;
    this.schedule();
  }

  select(person) {
    this.selected = person;
    this.schedule();
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.render();
    });
  }

  render() {
    const { rowH, rows, pool, body } = this;
    const top = body.scrollTop;
    const first = Math.max(0, Math.floor(top / rowH) - OVERSCAN);
    const last = Math.min(rows.length, Math.ceil((top + body.clientHeight) / rowH) + OVERSCAN);
    const need = Math.max(0, last - first);
    while (pool.length < need) {
      const el = makeRow();
      body.appendChild(el);
      pool.push(el);
    }
    const now = this.now();
    for (let i = 0; i < pool.length; i++) {
      const el = pool[i];
      if (i >= need) {
        el.hidden = true;
        continue;
      }
      el.hidden = false;
      this.fill(el, rows[first + i], first + i, now);
    }
  }

  fill(el, r, index, now) {
    const c = el._cells;
    el.style.transform = `translateY(${index * this.rowH}px)`;
    el.dataset.person = r.id;
    el.dataset.adherence = r.rec.adherence || '';
    el.dataset.ooo = r.rec.oooType || '';
    el.dataset.at = r.at || '';
    el.classList.toggle('sel', r.id === this.selected);
    setText(c.nameText, r.name);
    setText(c.id, r.name === r.id ? '' : r.id);
    setText(c.team, r.team);
    setText(c.actual, r.actual);
    c.actual.title = r.actualTitle;
    setText(c.actualFor, r.since == null ? '' : duration(now - r.since));
    setText(c.scheduled, r.scheduled || '—');
    const adhClass = `adh ${r.adherence}${r.buffer ? ' buffer' : ''}`;
    if (c.adh.className !== adhClass) c.adh.className = adhClass;
    setText(c.adh, r.label);
    const ooaClass = r.oooSince == null ? 'ooa-time' : `ooa-time ${r.adherence}`;
    if (c.ooa.className !== ooaClass) c.ooa.className = ooaClass;
    // an episode stated ahead of the clock (a future shift start) has not begun: no duration
    setText(c.ooa, r.oooSince == null || r.oooSince > now + 60e3 ? '' : duration(now - r.oooSince));
  }
}
