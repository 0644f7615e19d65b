import type { DatabaseHandle, DemandLevel, InventoryData } from '@rfid3/core';
import { OUTBOUND_SCAN_TYPES, RETURN_SCAN_TYPES, addDays, dayRange, denseDailySeries } from '@rfid3/core';

/** What is forecast: units going out per day, or units on rent at the end of each day (peak concurrent demand). */
export type DemandMeasure = 'units_out' | 'on_rent';

/** Which demand series to load: the level, an optional class, category or store, and the days. */
export interface DemandSeriesQuery {
  level: DemandLevel;
  /** Restrict to one rental class, or one category (matched by name, case-insensitive). */
  rentalClass?: string;
  category?: string;
  /** A store code, or all stores together. */
  store?: string;
  /** One series per store (the parts of the all-store total). */
  byStore?: boolean;
  from: string;
  to: string;
}

/** One daily demand series (level, key and store) read from the data. */
export interface DemandSeries {
  level: DemandLevel;
  key: string;
  store: string | null;
  days: string[];
  values: number[];
}

/** Daily units going out, zero-filled over [from, to], one series per key (and store when one is asked). */
export async function loadDemandSeries(inventory: InventoryData, q: DemandSeriesQuery): Promise<DemandSeries[]> {
  const rows = await inventory.dailyUnitsOut({
    level: q.level,
    rentalClass: q.rentalClass,
    category: q.category,
    store: q.store,
    byStore: Boolean(q.store) || Boolean(q.byStore),
    from: q.from,
    to: q.to,
  });
  return denseDailySeries(rows, q.from, q.to).map((s) => ({ level: q.level, key: s.key, store: s.store, days: s.days, values: s.values }));
}

/** How far back scans are read so that items already out on the first day are counted. */
export const ON_RENT_LOOKBACK_DAYS = 120;

/**
 * Units on rent at the end of each day over [from, to]: an outbound scan (Rental, Delivery) starts a
 * rental, the next Return ends it; an item out longer than the lookback with no return is not counted
 * before its first scan in the window. Keys and stores as in `loadDemandSeries` (store = item's home store).
 */
export async function loadOnRentSeries(database: DatabaseHandle, inventory: InventoryData, q: DemandSeriesQuery): Promise<DemandSeries[]> {
  const classes = await inventory.rentalClasses();
  const categoryOf = new Map(classes.map((c) => [c.rentalClass, c.category]));
  const start = addDays(q.from, -ON_RENT_LOOKBACK_DAYS);
  let sel = database.db
    .selectFrom('id_transactions as t')
    .leftJoin('id_item_master as i', 'i.tag_id', 't.tag_id')
    .select(['t.tag_id as tag', 't.rental_class_num as rentalClass', 't.scan_type as scanType', 't.scan_date as scanDate', 'i.home_store as store'])
    .where('t.scan_type', 'in', [...OUTBOUND_SCAN_TYPES, ...RETURN_SCAN_TYPES])
    .where('t.rental_class_num', 'is not', null)
    .where('t.scan_date', '>=', `${start} 00:00:00`)
    .where('t.scan_date', '<=', `${q.to} 23:59:59`);
  if (q.store) sel = sel.where('i.home_store', '=', q.store);
  if (q.rentalClass) sel = sel.where('t.rental_class_num', '=', q.rentalClass);
  const rows = await sel.orderBy('t.tag_id').orderBy('t.scan_date').execute();
  const days = dayRange(q.from, q.to);
  const index = new Map(days.map((d, i) => [d, i]));
  const outbound = new Set<string>(OUTBOUND_SCAN_TYPES);
  const categoryTerm = q.category?.toLowerCase();
  const series = new Map<string, DemandSeries>();
  // Per tag, +1 on the day it goes out and −1 the day after it comes back; a running sum gives the end-of-day count.
  const delta = new Map<string, number[]>();
  const bump = (id: string, key: string, store: string | null, day: string, d: number) => {
    let arr = delta.get(id);
    if (!arr) {
      delta.set(id, (arr = new Array(days.length + 1).fill(0)));
      series.set(id, { level: q.level, key, store, days, values: [] });
    }
    const i = day < q.from ? 0 : index.get(day);
    if (i !== undefined) arr[i]! += d;
  };
  let current: { tag: string; out: string | null; key: string; store: string | null } | null = null;
  const close = (end: string | null) => {
    if (!current?.out) return;
    const id = `${current.key}\u0000${current.store ?? ''}`;
    bump(id, current.key, current.store, current.out, 1);
    // Returned on day `end`: not on rent at the end of that day.
    if (end && end <= q.to) bump(id, current.key, current.store, end, -1);
    current.out = null;
  };
  for (const r of rows) {
    const rc = String(r.rentalClass);
    const category = categoryOf.get(rc) ?? 'Other';
    if (categoryTerm && category.toLowerCase() !== categoryTerm) continue;
    const key = q.level === 'rental_class' ? rc : q.level === 'category' ? category : 'all';
    const store = q.store || q.byStore ? (r.store === null ? null : String(r.store)) : null;
    const day = String(r.scanDate).slice(0, 10);
    if (!current || current.tag !== r.tag) {
      close(null);
      current = { tag: String(r.tag), out: null, key, store };
    }
    if (outbound.has(String(r.scanType))) {
      if (!current.out) current.out = day;
    } else if (current.out) {
      // A rental over before the window adds and removes its unit on the first day: it never counts.
      close(day < q.from ? q.from : day);
    }
  }
  close(null);
  for (const [id, arr] of delta) {
    const s = series.get(id)!;
    let run = 0;
    s.values = days.map((_, i) => (run += arr[i]!));
  }
  return [...series.values()].sort((a, b) => a.key.localeCompare(b.key) || (a.store ?? '').localeCompare(b.store ?? ''));
}
