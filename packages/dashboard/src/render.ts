import { ApiError } from './api.js';
import { h } from './dom.js';
import { bySeverity, cell, humanize, isMoneyKey, usd } from './format.js';
import { classLabel, withClassNames } from './names.js';

type Row = Record<string, unknown>;
const MAX_ROWS = 200;
const FIRST_ROWS = 25;

/** A failed request as a readable message: a missing plugin says which package serves the view. */
export function problemBox(err: unknown): HTMLElement {
  if (err instanceof ApiError) {
    const p = err.problem;
    const missing = p.status === 404 && p.plugin;
    return h(
      'div',
      { class: `notice ${missing ? 'notice-missing' : p.status >= 500 || p.status === 0 ? 'notice-error' : 'notice-warn'}`, role: 'status', 'data-status': p.status },
      h('strong', {}, missing ? `Not available: ${p.plugin} is not loaded` : p.status ? `${p.status} ${p.title}` : p.title),
      p.detail ? h('p', {}, p.detail) : null,
      p.errors?.length ? h('ul', {}, ...p.errors.map((e) => h('li', {}, `${e.field}: ${e.message}`))) : null,
      p.requestId ? h('p', { class: 'muted small' }, `request id ${p.requestId}`) : null,
    );
  }
  return h('div', { class: 'notice notice-error', role: 'status' }, h('strong', {}, 'Something went wrong'), h('p', {}, err instanceof Error ? err.message : String(err)));
}

/**
 * A card whose body is loaded on its own: one endpoint failing (a plugin not loaded yet) leaves the rest
 * of the view working. Returns the card at once; `load` fills it.
 */
export function card(
  title: string,
  load: (body: HTMLElement) => Promise<void> | void,
  options: { id?: string; wide?: boolean; span2?: boolean; onSettled?: () => void } = {},
): HTMLElement {
  const body = h('div', { class: 'card-body' }, h('p', { class: 'muted' }, 'Loading…'));
  const el = h('section', { class: `card${options.wide ? ' wide' : ''}${options.span2 ? ' span2' : ''}`, id: options.id, 'data-state': 'loading' }, h('h2', {}, title), body);
  void (async () => {
    try {
      const out = h('div', { class: 'card-body' });
      await load(out);
      body.replaceWith(out);
      el.dataset.state = 'ready';
    } catch (err) {
      body.replaceChildren(problemBox(err));
      el.dataset.state = 'error';
    }
    options.onSettled?.();
  })();
  return el;
}

export function isRowArray(v: unknown): v is Row[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x));
}

/** Nested objects become dotted columns one level deep (`live.mae`), so a row stays one line. */
function flatten(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => x === null || typeof x !== 'object')) {
      for (const [k2, v2] of Object.entries(v as Row)) out[`${k}.${k2}`] = v2;
    } else out[k] = v;
  }
  return out;
}

/** A recorded decision (`{ id, status, … }`) reads best as its status. */
function decisionBadge(v: unknown): HTMLElement | null {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  const d = v as Row;
  if (typeof d.status !== 'string' || (typeof d.id !== 'number' && typeof d.id !== 'string')) return null;
  return h('span', { class: `badge ${d.status}`, title: `decision ${d.id}${typeof d.verdict === 'string' ? `, safeguard verdict ${d.verdict}` : ''}` }, d.status);
}

/** Dollars, marked so a test (and a screen reader's user) can tell money from counts. */
export const money = (v: unknown): HTMLElement => h('span', { class: 'money' }, usd(v));

/** The keys that hold a rental class number, and the names beside them. */
const CLASS_KEYS = new Set(['rentalClass', 'rental_class', 'rental_class_num', 'pack']);
const NAME_KEYS = new Set(['commonName', 'common_name', 'name']);
const rowName = (r: Row): unknown => r.commonName ?? r.common_name ?? r.name;

/** A value shown by what its key says it is: a class with its name, dollars, a day, a list of classes. */
export function valueNode(key: string, v: unknown, row: Row = {}): Node | string {
  const last = key.split('.').pop() ?? key;
  if (CLASS_KEYS.has(last) && (typeof v === 'string' || typeof v === 'number')) return classLabel(v, rowName(row));
  if (['antecedent', 'consequent', 'components'].includes(last) && Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) {
    return h('span', {}, ...v.flatMap((x, i) => [i ? ' + ' : '', classLabel(x)]));
  }
  if (typeof v === 'number' && isMoneyKey(key)) return money(v);
  if (typeof v === 'string' && (last === 'reason' || last === 'why' || last === 'rationale')) return h('span', {}, ...withClassNames(v));
  if (Array.isArray(v) && (last === 'reasons' || last === 'warnings') && v.every((x) => typeof x === 'string')) return h('span', {}, ...withClassNames(v.join('; ')));
  return decisionBadge(v) ?? cell(v);
}

export interface Column {
  key: string;
  label?: string;
  format?: (v: unknown, row: Row) => string | Node;
  /** The row's title: on a phone the card shows it first, without a label. */
  primary?: boolean;
  /** Prose that labels itself ("Why: …"): on a phone it takes the card's full width, without a label. */
  full?: boolean;
}

/** Turns a cell into a link (an item id to its detail view); null leaves it as text. */
export type LinkFor = (key: string, value: unknown) => string | null;

/**
 * Rows as a table on a wide screen and as one card per row on a phone (the stylesheet turns each cell
 * into a labelled line, `data-label`), so nothing needs sideways scrolling and a row's buttons stay on screen.
 */
export function table(rows: Row[], columns?: Column[], extra?: { label: string; render: (row: Row) => Node }, linkFor?: LinkFor): HTMLElement {
  const ordered = rows.some((r) => 'severity' in r) ? bySeverity(rows) : rows;
  const flat = ordered.slice(0, MAX_ROWS).map(flatten);
  let cols: Column[];
  if (columns) cols = columns;
  else {
    const keys = [...new Set(flat.flatMap((r) => Object.keys(r)))].filter((k) => flat.some((r) => r[k] !== null && r[k] !== undefined));
    // A class column shows its name; a separate name column would repeat it.
    const hasClass = keys.some((k) => CLASS_KEYS.has(k));
    cols = keys
      .filter((k) => !(hasClass && NAME_KEYS.has(k)))
      .slice(0, 12)
      .map((key, i) => ({ key, primary: i === 0 && (CLASS_KEYS.has(key) || /item|name|group|grade|date|day/i.test(key)) }));
  }
  // A column of numbers is right-aligned, header included, so digits line up.
  const numeric = new Set(
    cols.filter((c) => flat.some((r) => typeof r[c.key] === 'number') && flat.every((r) => r[c.key] == null || typeof r[c.key] === 'number')).map((c) => c.key),
  );
  const align = (key: string) => (numeric.has(key) ? 'n' : undefined);
  const labelOf = (c: Column) => c.label ?? humanize(c.key);
  const head = h('tr', {}, ...cols.map((c) => h('th', { scope: 'col', class: align(c.key) }, labelOf(c))), extra ? h('th', { scope: 'col' }, extra.label) : null);
  const body = flat.map((r, i) =>
    h(
      'tr',
      {},
      ...cols.map((c) => {
        // A column of its own format reads the row as the API gave it (nested objects included).
        const original = ordered[i]![c.key];
        const v = c.format && original !== undefined ? original : r[c.key];
        const href = linkFor && (typeof v === 'string' || typeof v === 'number') ? linkFor(c.key, v) : null;
        const shown = c.format ? c.format(v, ordered[i]!) : href ? h('a', { href }, cell(v)) : valueNode(c.key, v, ordered[i]!);
        // Prose (notes, descriptions) gets room to wrap instead of a one-word-wide column.
        const long = typeof v === 'string' && v.length > 40;
        const date = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v);
        const cls = [c.primary ? 'primary' : '', c.full ? 'full' : '', long ? 'long' : date ? 'nowrap' : (align(c.key) ?? '')].filter(Boolean).join(' ');
        return h('td', { class: cls || undefined, 'data-label': labelOf(c) }, shown);
      }),
      extra ? h('td', { class: 'actions-cell', 'data-label': extra.label }, extra.render(ordered[i]!)) : null,
    ),
  );
  // Long lists open at their first rows, so a phone does not scroll through hundreds to reach the next card.
  const tbody = h('tbody', {}, ...body.slice(0, FIRST_ROWS));
  const wrap = h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, head), tbody));
  const box = h('div', {}, wrap);
  if (body.length > FIRST_ROWS) {
    const more = h('button', { type: 'button', class: 'more' }, `Show all ${body.length} rows`);
    more.addEventListener('click', () => {
      tbody.append(...body.slice(FIRST_ROWS));
      more.remove();
    });
    box.append(more);
  }
  if (rows.length > MAX_ROWS) box.append(h('p', { class: 'muted small' }, `showing ${MAX_ROWS} of ${rows.length} rows`));
  return box;
}

/** Scalars as a definition list; keys are humanized unless given as plain words already. */
export function facts(entries: [string, unknown][]): HTMLElement {
  return h('dl', { class: 'facts' }, ...entries.flatMap(([k, v]) => [h('dt', {}, /\s/.test(k) ? k : humanize(k)), h('dd', {}, v instanceof Node ? v : valueNode(k, v))]));
}

/** Technical detail for whoever wants it (model figures, method), folded away from the main text. */
export function details(summary: string, ...children: (Node | string | null | false | undefined)[]): HTMLElement {
  return h('details', { class: 'tech' }, h('summary', {}, summary), ...children);
}

/** The "why" line of a recommendation, with any class it mentions named. */
export function whyLine(text: string): HTMLElement {
  return h('p', { class: 'why' }, h('span', { class: 'why-label' }, 'Why: '), ...withClassNames(text));
}

/** The first explanation a row carries, whatever the plugin calls it. */
export function whyOf(r: Row): string | null {
  for (const k of ['why', 'reason', 'rationale', 'explanation']) {
    const v = r[k];
    if (typeof v === 'string' && v.trim()) return v.trim();
  }
  if (Array.isArray(r.reasons) && r.reasons.every((x) => typeof x === 'string') && r.reasons.length) return (r.reasons as string[]).join('; ');
  return null;
}

/**
 * Any JSON answer, shown without knowing its shape: its scalars as facts, each list of records as a
 * table, nested objects under their own heading. Views with a known shape render it better; this keeps
 * every endpoint readable as the plugins evolve.
 */
export function renderAny(value: unknown, depth = 0, linkFor?: LinkFor): HTMLElement {
  const box = h('div', { class: 'any' });
  if (isRowArray(value)) {
    box.append(table(value, undefined, undefined, linkFor));
    return box;
  }
  if (Array.isArray(value)) {
    box.append(h('p', { class: value.length ? '' : 'muted' }, value.length ? cell(value) : 'Nothing to show.'));
    return box;
  }
  if (value === null || typeof value !== 'object') {
    box.append(h('p', {}, cell(value)));
    return box;
  }
  const obj = value as Row;
  const scalars = Object.entries(obj).filter(([, v]) => v === null || typeof v !== 'object' || (Array.isArray(v) && v.length > 0 && !isRowArray(v) && v.length <= 6));
  if (scalars.length) box.append(facts(scalars));
  for (const [k, v] of Object.entries(obj)) {
    if (isRowArray(v)) box.append(h(depth ? 'h4' : 'h3', {}, `${humanize(k)} (${v.length})`), table(v, undefined, undefined, linkFor));
    else if (Array.isArray(v) && v.length === 0) box.append(h(depth ? 'h4' : 'h3', {}, humanize(k)), h('p', { class: 'muted' }, 'None.'));
    else if (v && typeof v === 'object' && !Array.isArray(v) && depth < 2) box.append(h(depth ? 'h4' : 'h3', {}, humanize(k)), renderAny(v, depth + 1, linkFor));
  }
  return box;
}
