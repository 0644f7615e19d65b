import { sql } from 'kysely';
import { dayRange } from '../time/dates.js';
import type { DatabaseHandle } from '../storage/database.js';
import { scansInTimeOrder } from '../inventory/scan-history.js';
import type { IdTransactionsTable } from '../storage/schema.js';

/** The status RFID3 gives an item on a shelf, ready to go out; every other status is out of reach of a request. */
export const RENTABLE_STATUS = 'Ready to Rent';
/** An item leaves the fleet (sold, retired) with this status or bin location. */
const isRetirement = (status: string | null, bin: string | null) => status === 'Sold' || bin === 'sold';

/** One rental class day by day, as its scans tell it. */
export interface ClassFleetDays {
  /** Units in the fleet (created by then, not sold or retired) each day. */
  owned: Int32Array;
  /** Most units out of reach at once during each day (on rent, delivered, in repair, to be inspected): owned − fewest on a shelf. */
  maxOut: Int32Array;
}

/** Day-by-day fleet figures per rental class over a range of days. */
export interface FleetDays {
  days: string[];
  classes: Map<string, ClassFleetDays>;
}

interface ItemState {
  cls: string;
  created: string;
  rentable: boolean;
  retired: boolean;
  /**
   * Gone from the fleet by the item master with no scan before the range saying when: gone before the range unless
   * the range has a scan of it, which shows it was in the fleet (on a shelf, unscanned) until then.
   */
  pending?: boolean;
}

/** The columns of a scan that `fleetDaysWalk` takes. */
export type FleetScan = Pick<IdTransactionsTable, 'tag_id' | 'status' | 'bin_location' | 'scan_date'>;

/** `fleetDays` as a walk fed the scans in time order, for a reader that feeds other walks the same scans. */
export interface FleetDaysWalk {
  /** The first instant of the scans the walk takes (`YYYY-MM-DD HH:MM:SS`, inclusive). */
  start: string;
  /** The last instant of the scans the walk takes (`YYYY-MM-DD HH:MM:SS`, inclusive). */
  end: string;
  /**
   * The next scan in time order (scan date, then row id): a scan with no status or outside [start, end] is passed
   * over; the days before the scan's are closed first. With `rentalClasses`, only those classes' scans may be given.
   */
  scan(row: FleetScan): void;
  /** Closes the days through the range's last and returns the figures. */
  finish(): FleetDays;
}

/**
 * Every rental class's fleet and the most units out at once, day by day over [from, to], from RFID3's own records:
 * each item's status as of its last scan before `from` (or rentable, with no scan), then every scan in order. RFID3
 * and Point of Rental record no request that was turned away, so a day on which a class had none of its units on a
 * shelf at some moment while the stores were open (from `opensAt`, default 07:00; what happens overnight, such as
 * repairs finished before opening, only sets the morning's stock) is the closest record of a stockout the data holds.
 */
export async function fleetDays(database: DatabaseHandle, range: { from: string; to: string; rentalClasses?: string[]; opensAt?: string }): Promise<FleetDays> {
  const walk = await fleetDaysWalk(database, range);
  const only = range.rentalClasses && range.rentalClasses.length ? range.rentalClasses : null;
  const scans = scansInTimeOrder(database, { start: walk.start, end: walk.end, columns: ['tag_id', 'status', 'bin_location'], withStatus: true, rentalClasses: only });
  for await (const day of scans) for (const s of day) walk.scan(s);
  return walk.finish();
}

/**
 * `fleetDays` up to its scans: reads the items and their state on the range's first morning, then takes the scans
 * in time order one by one (`scan`) and closes every day, those without a scan too, as it goes and at `finish`.
 */
export async function fleetDaysWalk(database: DatabaseHandle, range: { from: string; to: string; rentalClasses?: string[]; opensAt?: string }): Promise<FleetDaysWalk> {
  const opens = range.opensAt ?? '07:00';
  const { db } = database;
  const days = dayRange(range.from, range.to);
  const start = `${range.from} 00:00:00`;
  const end = `${range.to} 23:59:59`;
  const only = range.rentalClasses && range.rentalClasses.length ? range.rentalClasses : null;
  let itemsQuery = db
    .selectFrom('id_item_master')
    .select(['tag_id', 'rental_class_num', 'status', 'bin_location', 'date_created'])
    .where('rental_class_num', 'is not', null)
    .where((eb) => eb.or([eb('bin_location', 'is', null), eb('bin_location', '<>', 'resale')]));
  if (only) itemsQuery = itemsQuery.where('rental_class_num', 'in', only);
  const items = new Map<string, ItemState>();
  for (const r of await itemsQuery.execute()) {
    items.set(String(r.tag_id), {
      cls: String(r.rental_class_num),
      created: r.date_created ? String(r.date_created).slice(0, 10) : '0000-00-00',
      rentable: true,
      // An item gone from the fleet with no scan saying when is taken as gone before the range.
      retired: isRetirement(r.status, r.bin_location),
    });
  }
  const withScan = new Set<string>();
  // Each item's last scan (with a status) before the range: its state on the range's first morning. Asked only when
  // the range has scans before it (a range from the first day of data has none), as the grouping reads every scan.
  const earlier = await db.selectFrom('id_transactions').select('scan_date').where('scan_date', '<', start).limit(1).executeTakeFirst();
  const last = db
    .selectFrom('id_transactions')
    .select(['tag_id', sql<string>`max(scan_date)`.as('at')])
    .where('scan_date', '<', start)
    .where('status', 'is not', null)
    .$if(only !== null, (q) => q.where('rental_class_num', 'in', only!))
    .groupBy('tag_id')
    .as('l');
  const before = !earlier
    ? []
    : await db
        .selectFrom('id_transactions as t')
        .innerJoin(last, (j) => j.onRef('l.tag_id', '=', 't.tag_id').onRef('l.at', '=', 't.scan_date'))
        .select(['t.tag_id', 't.status', 't.bin_location'])
        .where('t.status', 'is not', null)
        .execute();
  for (const r of before) {
    const item = items.get(String(r.tag_id));
    if (!item) continue;
    withScan.add(String(r.tag_id));
    item.retired = isRetirement(r.status, r.bin_location);
    item.rentable = r.status === RENTABLE_STATUS;
  }
  // An item sold by the item master with no scan before the range, but scanned in it, was in the fleet until that scan
  // says otherwise: the walk learns it at the item's first scan and counts the item back to the range's start then.
  for (const [tag, item] of items) if (item.retired && !withScan.has(tag)) item.pending = true;
  const classes = new Map<string, ClassFleetDays>();
  const owned = new Map<string, number>();
  const rentable = new Map<string, number>();
  const low = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);
  // Items arriving (created) on each day of the range; the rest count from the first morning.
  const arriving = new Map<string, ItemState[]>();
  const arrive = (item: ItemState) => (arriving.get(item.created) ?? arriving.set(item.created, []).get(item.created)!).push(item);
  for (const item of items.values()) {
    if (!classes.has(item.cls)) classes.set(item.cls, { owned: new Int32Array(days.length), maxOut: new Int32Array(days.length) });
    if (item.retired) continue;
    if (item.created > range.from) {
      arrive(item);
      continue;
    }
    add(owned, item.cls, 1);
    if (item.rentable) add(rentable, item.cls, 1);
  }
  // The day scans are taken for (an index of `days`; -1 before the first), and whether the stores have opened on it.
  let d = -1;
  let open = false;
  // The day `d` and the instant its stores open (`YYYY-MM-DD HH:MM`), made once a day rather than for each scan.
  let today = '\uffff';
  let opening = '';
  const setLow = () => {
    low.clear();
    for (const [cls, n] of rentable) low.set(cls, n);
  };
  const close = () => {
    // No scan while open: the stock at opening stood all day.
    if (!open) setLow();
    for (const [cls, c] of classes) {
      const o = owned.get(cls) ?? 0;
      c.owned[d] = o;
      c.maxOut[d] = Math.max(0, o - Math.min(low.get(cls) ?? rentable.get(cls) ?? 0, rentable.get(cls) ?? 0));
    }
  };
  const next = () => {
    if (d >= 0) close();
    d++;
    open = false;
    today = days[d]!;
    opening = `${today} ${opens}`;
    for (const item of arriving.get(today) ?? []) {
      add(owned, item.cls, 1);
      if (item.rentable) add(rentable, item.cls, 1);
    }
  };
  // An item found in the fleet at its first scan of the range (`pending`): it stood on a shelf from the range's first
  // morning (or its arrival) until now, so each day closed before has one more unit owned and one more on a shelf all
  // day (most out at once unchanged), and today it has been on a shelf so far.
  const restore = (item: ItemState) => {
    item.pending = false;
    item.retired = false;
    item.rentable = true;
    const c = classes.get(item.cls)!;
    for (let i = item.created > range.from ? days.indexOf(item.created) : 0; i >= 0 && i < d; i++) c.owned[i]!++;
    add(owned, item.cls, 1);
    add(rentable, item.cls, 1);
    // The fewest on a shelf since opening: one more; with none yet for the class (no scan of it since opening), what
    // stood on its shelf all along.
    if (open) low.set(item.cls, low.has(item.cls) ? low.get(item.cls)! + 1 : rentable.get(item.cls)!);
  };
  return {
    start,
    end,
    scan(s) {
      const at = String(s.scan_date);
      if (s.status === null || at < start || at > end) return;
      if (!at.startsWith(today)) {
        const day = at.slice(0, 10);
        while (d < 0 || days[d]! < day) next();
      }
      const day = today;
      if (!open && at >= opening) {
        open = true;
        setLow();
      }
      const item = items.get(String(s.tag_id));
      if (!item) return;
      if (item.pending && item.created > day) {
        // Scanned before the day it was created: in the fleet from that day on, as any item arriving in the range.
        item.pending = false;
        item.retired = false;
        arrive(item);
        return;
      }
      if (item.created > day) return;
      if (item.pending) restore(item);
      else if (item.retired) return;
      const nowRentable = s.status === RENTABLE_STATUS;
      if (isRetirement(s.status, s.bin_location)) {
        item.retired = true;
        add(owned, item.cls, -1);
        if (item.rentable) add(rentable, item.cls, -1);
        item.rentable = false;
      } else if (nowRentable !== item.rentable) {
        item.rentable = nowRentable;
        add(rentable, item.cls, nowRentable ? 1 : -1);
      }
      const r = rentable.get(item.cls) ?? 0;
      if (open && r < (low.get(item.cls) ?? Number.POSITIVE_INFINITY)) low.set(item.cls, r);
    },
    finish() {
      while (d < days.length - 1) next();
      if (d >= 0) close();
      return { days, classes };
    },
  };
}

/** Days (indexes) on which a class with units had none on a shelf at some moment. */
export const soldOut = (c: ClassFleetDays, d: number): boolean => c.owned[d]! > 0 && c.maxOut[d]! >= c.owned[d]!;
