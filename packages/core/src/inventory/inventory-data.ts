import 'reflect-metadata';
import { inject, injectable } from 'inversify';
import { baseServices } from '../runtime/base-services.js';
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { dayRange } from '../time/dates.js';
import type { DatabaseHandle } from '../storage/database.js';
import { tableExists } from '../storage/migration.js';

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

/**
 * Read-only access to the RFID3 tables as RFID3 keeps them. Category comes from RFID3's
 * `rental_class_mappings`, overridden by `user_rental_class_mappings` where that table exists.
 */
@injectable()
export class InventoryData {
  private userMappings: Promise<boolean> | null = null;
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

  /** Units sent out per day: distinct tags with an outbound scan (Rental or Delivery) that day. */
  async dailyUnitsOut(query: DailyUnitsQuery): Promise<DailyUnitsRow[]> {
    const { db } = this.deps.database;
    const category = await this.categoryExpression();
    const withUser = await this.hasUserMappings();
    const key: RawBuilder<string> = query.level === 'rental_class' ? sql<string>`t.rental_class_num` : query.level === 'category' ? category : sql<string>`'all'`;
    const day = sql<string>`date(t.scan_date)`;
    let q = db
      .selectFrom('id_transactions as t')
      .leftJoin('id_item_master as i', 'i.tag_id', 't.tag_id')
      .leftJoin('rental_class_mappings as m', 'm.rental_class_id', 't.rental_class_num')
      .$if(withUser, (qb) => qb.leftJoin('user_rental_class_mappings as u', 'u.rental_class_id', 't.rental_class_num'))
      .select([key.as('key'), (query.byStore ? sql<string | null>`i.home_store` : sql<null>`null`).as('store'), day.as('day'), sql<number>`count(distinct t.tag_id)`.as('units')])
      .where('t.scan_type', 'in', [...OUTBOUND_SCAN_TYPES])
      .where('t.rental_class_num', 'is not', null);
    if (query.from) q = q.where('t.scan_date', '>=', `${query.from} 00:00:00`);
    if (query.to) q = q.where('t.scan_date', '<=', `${query.to} 23:59:59`);
    if (query.store) q = q.where('i.home_store', '=', query.store);
    if (query.rentalClass) q = q.where('t.rental_class_num', '=', query.rentalClass);
    if (query.category) q = q.where(sql<SqlBool>`lower(${category}) = ${query.category.toLowerCase()}`);
    const rows = await q.groupBy([sql`1`, sql`2`, sql`3`]).orderBy(sql`3`).execute();
    return rows.map((r) => ({ key: String(r.key), store: r.store === null ? null : String(r.store), day: String(r.day), units: Number(r.units) }));
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
