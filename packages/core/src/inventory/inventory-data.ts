import 'reflect-metadata';
import { inject, injectable } from 'inversify';
import { baseServices } from '../runtime/base-services.js';
import { sql, type RawBuilder } from 'kysely';
import { dayRange } from '../time/dates.js';
import type { DatabaseHandle } from '../storage/database.js';
import { tableExists } from '../storage/migration.js';
import { scanIdSpan } from './row-ids.js';

/** Scans that send an item out to a customer, and that bring it back (RFID3's own views use these). */
export const OUTBOUND_SCAN_TYPES = ['Rental', 'Delivery'] as const;
/** Scans that bring an item back. */
export const RETURN_SCAN_TYPES = ['Return'] as const;
/** Statuses RFID3 counts as on rent. */
export const ON_RENT_STATUSES = ['On Rent', 'Delivered'] as const;

/** The level a demand series is kept at: one rental class, one category, or the whole fleet. */
export type DemandLevel = 'rental_class' | 'category' | 'total';

/** Which daily units to read: the level, an optional store, class or category, and the days. */
export interface DailyUnitsQuery {
  level: DemandLevel;
  /** Split by the item's home store. */
  byStore?: boolean;
  store?: string;
  rentalClass?: string;
  category?: string;
  /** Inclusive day range (YYYY-MM-DD). */
  from?: string;
  to?: string;
}

/** Units of one series on one day. */
export interface DailyUnitsRow {
  key: string;
  store: string | null;
  day: string;
  units: number;
}

/** A rental class with its name, category and the units it has. */
export interface RentalClassInfo {
  rentalClass: string;
  commonName: string | null;
  category: string;
  subcategory: string | null;
  units: number;
}

/** A series with one value for every day of its range (days with no rows are zero). */
export interface DenseSeries {
  key: string;
  store: string | null;
  days: string[];
  values: number[];
}

/** Units out per rental class, home store and day: parallel columns of indexes into the value lists, and the units. */
interface UnitsOutGrid {
  days: (string | null)[];
  classes: (string | null)[];
  stores: (string | null)[];
  day: number[];
  cls: number[];
  store: number[];
  units: number[];
}

/** Days of scans per read of the units-out grid. */
const GRID_SPAN_DAYS = 92;
/** The units-out grid is read again after this long even when no scan was stored. */
const GRID_MAX_AGE_MS = 5 * 60_000;

/**
 * Read-only access to the RFID3 tables as RFID3 keeps them. Category comes from RFID3's
 * `rental_class_mappings`, overridden by `user_rental_class_mappings` where that table exists.
 */
@injectable()
export class InventoryData {
  private userMappings: Promise<boolean> | null = null;
  private grid: { version: number; at: number; value: Promise<UnitsOutGrid> } | null = null;
  private readonly deps: { database: DatabaseHandle };

  /** Core binds it as `coreServices.inventory`, built from its database. */
  constructor(@inject(baseServices.database.token) database: DatabaseHandle) {
    this.deps = { database };
  }

  private hasUserMappings(): Promise<boolean> {
    this.userMappings ??= tableExists(this.deps.database.db, 'user_rental_class_mappings');
    return this.userMappings;
  }

  private async categoryExpression(): Promise<RawBuilder<string>> {
    return (await this.hasUserMappings()) ? sql<string>`coalesce(u.category, m.category, 'Other')` : sql<string>`coalesce(m.category, 'Other')`;
  }

  /**
   * Units sent out per day: distinct tags with an outbound scan (Rental or Delivery) that day. Answered from the grid of
   * units out per rental class, home store and day (`unitsOutGrid`), read once for every query until a new scan is
   * stored: a category's units are its classes' (an item is of one class), the fleet's are every class's. One read of
   * the outbound scans per query took about 25 s at 50,000 items on MariaDB, and the host precomputes a dozen of them.
   */
  async dailyUnitsOut(query: DailyUnitsQuery): Promise<DailyUnitsRow[]> {
    const grid = await this.unitsOutGrid();
    const categories = await this.classCategories();
    const categoryOf = (cls: string) => categories.get(cls) ?? 'Other';
    const wanted = query.category?.toLowerCase();
    const from = query.from ?? '';
    const to = query.to ?? '\uffff';
    const sums = new Map<string, DailyUnitsRow>();
    for (let r = 0; r < grid.units.length; r++) {
      const day = grid.days[grid.day[r]!]!;
      if (day < from || day > to) continue;
      const cls = grid.classes[grid.cls[r]!]!;
      const store = grid.stores[grid.store[r]!]!;
      if (query.store !== undefined && store !== query.store) continue;
      if (query.rentalClass !== undefined && cls !== query.rentalClass) continue;
      if (wanted !== undefined && categoryOf(cls).toLowerCase() !== wanted) continue;
      const key = query.level === 'rental_class' ? cls : query.level === 'category' ? categoryOf(cls) : 'all';
      const byStore = query.byStore ? store : null;
      const id = `${day}\u0000${key}\u0000${byStore ?? ''}`;
      const row = sums.get(id);
      if (row) row.units += grid.units[r]!;
      else sums.set(id, { key, store: byStore, day, units: grid.units[r]! });
    }
    return [...sums.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : (a.store ?? '').localeCompare(b.store ?? '')));
  }

  /** Each rental class's category (the user's mapping over RFID3's; a class in neither is 'Other'). */
  private async classCategories(): Promise<Map<string, string>> {
    const { db } = this.deps.database;
    const out = new Map<string, string>();
    for (const r of await db.selectFrom('rental_class_mappings').select(['rental_class_id', 'category']).execute())
      if (r.category !== null && !out.has(String(r.rental_class_id))) out.set(String(r.rental_class_id), String(r.category));
    if (await this.hasUserMappings()) {
      const user = await sql<{ rental_class_id: unknown; category: unknown }>`select rental_class_id, category from user_rental_class_mappings`.execute(db);
      for (const r of user.rows) if (r.category !== null && r.category !== undefined) out.set(String(r.rental_class_id), String(r.category));
    }
    return out;
  }

  /**
   * Distinct tags with an outbound scan per rental class, home store and day, over every day of the data: read in
   * spans of 92 days (each bounded by its first and last row id, never the whole table at once) and kept until a scan
   * with a higher row id is stored, or for at most five minutes (an item's home store can change without a scan).
   */
  private async unitsOutGrid(): Promise<UnitsOutGrid> {
    const { db } = this.deps.database;
    const top = await db.selectFrom('id_transactions').select(sql<number | null>`max(id)`.as('id')).executeTakeFirst();
    const version = Number(top?.id ?? 0);
    const now = Date.now();
    if (this.grid && this.grid.version === version && now - this.grid.at < GRID_MAX_AGE_MS) return this.grid.value;
    const value = this.readUnitsOutGrid();
    this.grid = { version, at: now, value };
    value.catch(() => {
      if (this.grid?.value === value) this.grid = null;
    });
    return value;
  }

  private async readUnitsOutGrid(): Promise<UnitsOutGrid> {
    const { db } = this.deps.database;
    const span = await db
      .selectFrom('id_transactions')
      .select([sql<string | null>`min(scan_date)`.as('first'), sql<string | null>`max(scan_date)`.as('last')])
      .executeTakeFirst();
    const grid: UnitsOutGrid = { days: [], classes: [], stores: [], day: [], cls: [], store: [], units: [] };
    if (!span?.first || !span.last) return grid;
    const index = (list: (string | null)[], at: Map<string | null, number>, v: string | null) => {
      let i = at.get(v);
      if (i === undefined) at.set(v, (i = list.push(v) - 1));
      return i;
    };
    const dayAt = new Map<string | null, number>();
    const classAt = new Map<string | null, number>();
    const storeAt = new Map<string | null, number>();
    const days = dayRange(String(span.first).slice(0, 10), String(span.last).slice(0, 10));
    for (let i = 0; i < days.length; i += GRID_SPAN_DAYS) {
      const start = `${days[i]} 00:00:00`;
      const end = `${days[Math.min(days.length - 1, i + GRID_SPAN_DAYS - 1)]} 23:59:59`;
      // Bounded by the span's first and last row ids: a read along the primary key, not the whole table.
      const ids = await scanIdSpan(this.deps.database, start, end);
      if (!ids) continue;
      const rows = await db
        .selectFrom('id_transactions as t')
        .leftJoin('id_item_master as i', 'i.tag_id', 't.tag_id')
        .select([
          sql<string>`t.rental_class_num`.as('cls'),
          sql<string | null>`i.home_store`.as('store'),
          sql<string>`date(t.scan_date)`.as('day'),
          sql<number>`count(distinct t.tag_id)`.as('units'),
        ])
        .where('t.scan_type', 'in', [...OUTBOUND_SCAN_TYPES])
        .where('t.rental_class_num', 'is not', null)
        .where('t.id', '>=', ids.lo)
        .where('t.id', '<=', ids.hi)
        .where('t.scan_date', '>=', start)
        .where('t.scan_date', '<=', end)
        .groupBy([sql`1`, sql`2`, sql`3`])
        .execute();
      for (const r of rows) {
        grid.day.push(index(grid.days, dayAt, String(r.day).slice(0, 10)));
        grid.cls.push(index(grid.classes, classAt, String(r.cls)));
        grid.store.push(index(grid.stores, storeAt, r.store === null ? null : String(r.store)));
        grid.units.push(Number(r.units));
      }
    }
    return grid;
  }

  /** Rental classes with their category and how many tagged units exist (packs and sold items excluded). */
  async rentalClasses(): Promise<RentalClassInfo[]> {
    const { db } = this.deps.database;
    const category = await this.categoryExpression();
    const q = db
      .selectFrom('id_item_master as i')
      .leftJoin('rental_class_mappings as m', 'm.rental_class_id', 'i.rental_class_num')
      .$if(await this.hasUserMappings(), (qb) => qb.leftJoin('user_rental_class_mappings as u', 'u.rental_class_id', 'i.rental_class_num'))
      .select([
        'i.rental_class_num as rentalClass',
        sql<string | null>`max(i.common_name)`.as('commonName'),
        sql<string>`max(${category})`.as('category'),
        sql<string | null>`max(m.subcategory)`.as('subcategory'),
        sql<number>`count(*)`.as('units'),
      ])
      .where('i.rental_class_num', 'is not', null)
      .where((eb) => eb.or([eb('i.bin_location', 'is', null), eb('i.bin_location', 'not in', ['sold', 'resale'])]));
    const rows = await q.groupBy('i.rental_class_num').orderBy('i.rental_class_num').execute();
    return rows.map((r) => ({
      rentalClass: String(r.rentalClass),
      commonName: r.commonName,
      category: String(r.category),
      subcategory: r.subcategory,
      units: Number(r.units),
    }));
  }

  /** Every category, sorted. */
  async categories(): Promise<string[]> {
    const classes = await this.rentalClasses();
    return [...new Set(classes.map((c) => c.category))].sort();
  }

  /** Every home store code, sorted. */
  async stores(): Promise<string[]> {
    const rows = await this.deps.database.db.selectFrom('id_item_master').select('home_store').distinct().where('home_store', 'is not', null).orderBy('home_store').execute();
    return rows.map((r) => String(r.home_store));
  }

  /** First and last scan date, or nulls when there are no scans. */
  async scanRange(): Promise<{ first: string | null; last: string | null; scans: number }> {
    const r = await this.deps.database.db
      .selectFrom('id_transactions')
      .select([sql<string | null>`min(scan_date)`.as('first'), sql<string | null>`max(scan_date)`.as('last'), sql<number>`count(*)`.as('n')])
      .executeTakeFirst();
    return { first: r?.first ? String(r.first) : null, last: r?.last ? String(r.last) : null, scans: Number(r?.n ?? 0) };
  }

  /** How many items there are, in total and by status. */
  async itemCounts(): Promise<{ items: number; byStatus: Record<string, number> }> {
    const rows = await this.deps.database.db
      .selectFrom('id_item_master')
      .select(['status', sql<number>`count(*)`.as('n')])
      .groupBy('status')
      .execute();
    const byStatus: Record<string, number> = {};
    let items = 0;
    for (const r of rows) {
      byStatus[r.status ?? 'Unknown'] = Number(r.n);
      items += Number(r.n);
    }
    return { items, byStatus };
  }
}

/** Turns sparse daily rows into one zero-filled series per key and store over [from, to]. */
export function denseDailySeries(rows: DailyUnitsRow[], from: string, to: string): DenseSeries[] {
  const days = dayRange(from, to);
  const index = new Map(days.map((d, i) => [d, i]));
  const series = new Map<string, DenseSeries>();
  for (const r of rows) {
    const i = index.get(r.day);
    if (i === undefined) continue;
    const id = `${r.key}\u0000${r.store ?? ''}`;
    let s = series.get(id);
    if (!s) {
      s = { key: r.key, store: r.store, days, values: new Array(days.length).fill(0) };
      series.set(id, s);
    }
    s.values[i]! += r.units;
  }
  return [...series.values()].sort((a, b) => a.key.localeCompare(b.key) || (a.store ?? '').localeCompare(b.store ?? ''));
}
