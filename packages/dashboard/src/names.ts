import { api, type GetPath, onAnswer } from './api.js';
import { h } from './dom.js';

/**
 * Rental class numbers mean nothing to a manager on their own, and not every answer carries the class's
 * name (price recommendations, velocity classes and co-rental rules give the number only). The catalog
 * learns every (class, name) pair from every answer the dashboard receives, and when a view is about to
 * show a class it has no name for, asks core's list of every class (`rental-classes`: one answer names them
 * all) once per page session, and for a class that list does not name, once the plugins' read endpoints that
 * do carry names.
 */
const names = new Map<string, string>();
/** Every class number seen in an answer, named or not: free text mentioning one is linked to its name. */
const known = new Set<string>();

const ID_KEYS = ['rentalClass', 'rental_class', 'rental_class_num', 'rentalClassNum', 'pack', 'packClass'];
const NAME_KEYS = ['commonName', 'common_name', 'className', 'class_name', 'itemName', 'name'];
/** Lists of class numbers (co-rental rules, the components of a proposed pack). */
const ID_LIST_KEYS = ['antecedent', 'consequent', 'components', 'items'];

const idOf = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' && Number.isFinite(v) ? String(v) : null);

export function learnNames(value: unknown, depth = 0): void {
  if (depth > 6 || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const x of value) learnNames(x, depth + 1);
    return;
  }
  const row = value as Record<string, unknown>;
  const id = ID_KEYS.map((k) => idOf(row[k])).find((x) => x !== null) ?? null;
  if (id) {
    known.add(id);
    const name = NAME_KEYS.map((k) => row[k]).find((x): x is string => typeof x === 'string' && x.trim() !== '');
    if (name && !names.has(id)) names.set(id, name.trim());
  }
  for (const k of ID_LIST_KEYS) {
    const list = row[k];
    if (Array.isArray(list)) for (const x of list) if (idOf(x)) known.add(idOf(x)!);
  }
  for (const v of Object.values(row)) if (v && typeof v === 'object') learnNames(v, depth + 1);
}

/** When the host predates that list, the read endpoints whose rows name their classes, each asked once. */
const NAME_SOURCES = [
  'restock/optimization-recommendations',
  'restock/restock-alerts',
  'pack/performance-analysis',
  'maintenance/schedule',
  'quality/replacement-recommendations',
] as const satisfies readonly GetPath[];
const answered = new Set<string>();
let loading: Promise<void> | null = null;
let fallback: Promise<void> | null = null;

onAnswer((path, body) => {
  answered.add(path.replace(/^\//, ''));
  learnNames(body);
});

const askAll = (paths: readonly (typeof NAME_SOURCES)[number][]) => Promise.all(paths.filter((p) => !answered.has(p)).map((p) => api.read(p).catch(() => null)));

/** Resolves once every class in `ids` has a name, or every name source has been asked. */
export async function ensureNames(ids: Iterable<string>): Promise<void> {
  const wanted = [...ids].filter((id) => !names.has(id));
  for (const id of wanted) known.add(id);
  if (!wanted.length) return;
  loading ??= api.read('rental-classes').then(
    () => undefined,
    () => undefined,
  );
  await loading;
  // A class the catalog does not name (a pack, an item since sold) may still be named by a plugin's rows.
  if (wanted.some((id) => !names.has(id))) await (fallback ??= askAll(NAME_SOURCES).then(() => undefined));
}

export const nameOf = (id: string): string | null => names.get(id) ?? null;

/**
 * A class as the manager reads it: its number and its name ("63039 ROUND TABLE 60IN"). A class no answer
 * names says so, instead of passing for a name.
 */
export function classLabel(idValue: unknown, name?: unknown): HTMLElement {
  const id = idOf(idValue) ?? '—';
  const given = typeof name === 'string' && name.trim() ? name.trim() : null;
  if (given && id !== '—' && !names.has(id)) names.set(id, given);
  const shown = given ?? names.get(id) ?? null;
  return h(
    'span',
    { class: 'cls', 'data-class': id },
    h('span', { class: 'cls-num' }, id),
    ' ',
    shown ? h('span', { class: 'cls-name' }, shown) : h('span', { class: 'cls-name missing' }, '(name not reported)'),
  );
}

/**
 * Free text that mentions classes by number (a rule "{63039} ⇒ {63002}: …") with each known class
 * number shown with its name. Other numbers are left alone.
 */
export function withClassNames(text: string): (Node | string)[] {
  const out: (Node | string)[] = [];
  const re = /\{?\b(\d{3,8})\b\}?/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    const id = m[1]!;
    if (!known.has(id) && !names.has(id)) continue;
    out.push(text.slice(last, m.index));
    out.push(classLabel(id));
    last = m.index! + m[0].length;
  }
  out.push(text.slice(last));
  return out.filter((x) => x !== '');
}

/** The class numbers in a value (rows, lists, free text of known classes), for `ensureNames`. */
export function classIdsIn(value: unknown): string[] {
  learnNames(value);
  const ids = new Set<string>();
  const walk = (v: unknown, depth: number): void => {
    if (depth > 6 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) return void v.forEach((x) => walk(x, depth + 1));
    const row = v as Record<string, unknown>;
    for (const k of ID_KEYS) if (idOf(row[k])) ids.add(idOf(row[k])!);
    for (const k of ID_LIST_KEYS) if (Array.isArray(row[k])) for (const x of row[k] as unknown[]) if (idOf(x)) ids.add(idOf(x)!);
    for (const x of Object.values(row)) walk(x, depth + 1);
  };
  walk(value, 0);
  return [...ids];
}
