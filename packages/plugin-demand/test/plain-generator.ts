import { addDays, dayRange, weekday, type DatabaseHandle } from '@rfid3/core';
import { Rng } from '@rfid3/core/simulator';

/**
 * A second, plain generator of RFID3 data for tests — not the simulator. It writes RFID3's own tables
 * (`id_item_master`, `id_transactions`, `rental_class_mappings`) with the rentals a demand function asks
 * for: each day a class sends out min(demand, units in the shop) units on one contract (a `Rental` scan
 * per tag), each back after `rentalDays` with a `Return` scan. Nothing here knows how the simulator or
 * the forecaster works, so data from it tests the forecaster on series it was not built around.
 */
export interface PlainClass {
  rentalClass: string;
  commonName: string;
  units: number;
  /** Its `rental_class_mappings` row; absent for a class RFID3 has no category for. */
  category?: { category: string; subcategory: string };
  /** Home store of its tags (default 3607). */
  homeStore?: string;
  /** Days a unit stays out. */
  rentalDays: number;
  /**
   * Units wanted on a day (`index` counts days from the start). A fractional value is the mean of a
   * Poisson draw unless `exact` is set, when it is rounded.
   */
  demand(day: string, index: number): number;
  exact?: boolean;
}

export interface PlainData {
  /** First and last day with rentals written (inclusive). */
  start: string;
  end: string;
  classes: PlainClass[];
  seed?: number;
}

export interface PlainResult {
  items: number;
  scans: number;
  /** Units sent out per class and day, as written. */
  unitsOut: Map<string, number[]>;
  days: string[];
}

const SUMMER_PEAK_DAY = 196; // mid-July
const dayOfYear = (day: string) => Math.floor((Date.parse(`${day}T00:00:00Z`) - Date.parse(`${day.slice(0, 4)}-01-01T00:00:00Z`)) / 86_400_000);
/** 1 in mid-July, falling to 1 − depth in mid-January. */
const season = (day: string, depth: number) => 1 - depth * (0.5 - 0.5 * Math.cos((2 * Math.PI * (dayOfYear(day) - SUMMER_PEAK_DAY + 182)) / 365));
/** Parties are on weekends: Friday and Saturday busy, Sunday quiet (0 = Sunday). */
const WEEKDAY = [0.35, 0.6, 0.6, 0.7, 0.9, 1.9, 2.1];

/** Three plausible rental classes of a party rental business: chairs, round tables and a frame tent. */
export const PLAIN_CLASSES: readonly PlainClass[] = [
  {
    rentalClass: '72101',
    commonName: 'CHAIR, WHITE RESIN FOLDING',
    units: 260,
    category: { category: 'Seating and Tables', subcategory: 'Chairs' },
    rentalDays: 3,
    demand: (day) => 14 * season(day, 0.7) * WEEKDAY[weekday(day)]!,
  },
  {
    rentalClass: '72240',
    commonName: 'TABLE, 60 INCH ROUND',
    units: 36,
    category: { category: 'Seating and Tables', subcategory: 'Round Tables' },
    rentalDays: 3,
    demand: (day) => 2.2 * season(day, 0.6) * WEEKDAY[weekday(day)]!,
  },
  {
    rentalClass: '72910',
    commonName: 'TENT, 20X40 FRAME WHITE',
    units: 4,
    category: { category: 'Canopies', subcategory: 'Frame Tents' },
    homeStore: '3608',
    rentalDays: 4,
    // Tents go out from April to October only.
    demand: (day) => (Number(day.slice(5, 7)) >= 4 && Number(day.slice(5, 7)) <= 10 ? 0.45 * season(day, 1) * WEEKDAY[weekday(day)]! : 0),
  },
];

/** Two years of the plain classes, ending on `end`. */
export function plainBusiness(end: string, seed = 3): PlainData {
  return { start: addDays(end, -729), end, classes: [...PLAIN_CLASSES], seed };
}

const time = (rng: Rng, fromHour: number, toHour: number) => {
  const minutes = rng.int(fromHour * 60, toHour * 60 - 1);
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}:${String(rng.int(0, 59)).padStart(2, '0')}`;
};

/** Writes the classes' items, mappings and scans into RFID3's tables (which must exist). */
export async function writePlainData(database: DatabaseHandle, data: PlainData): Promise<PlainResult> {
  const rng = new Rng(data.seed ?? 3);
  const days = dayRange(data.start, data.end);
  const items: Record<string, unknown>[] = [];
  const scans: Record<string, unknown>[] = [];
  const unitsOut = new Map<string, number[]>();
  let contract = 500_000;
  let itemNum = 90_000;
  for (const c of data.classes) {
    const store = c.homeStore ?? '3607';
    const tags = Array.from({ length: c.units }, (_, i) => `E2${c.rentalClass.replace(/\W/g, '').padStart(6, '0')}${String(i).padStart(6, '0')}`);
    /** Day index each tag is back in the shop (0 = in from the start). */
    const backOn = new Array<number>(c.units).fill(0);
    const lastOut = new Array<string | null>(c.units).fill(null);
    const out: number[] = [];
    days.forEach((day, i) => {
      const wanted = c.demand(day, i);
      const n = c.exact ? Math.round(wanted) : rng.poisson(wanted);
      const free = tags.map((_, t) => t).filter((t) => backOn[t]! <= i);
      const sent = Math.min(n, free.length);
      out.push(sent);
      if (sent === 0) return;
      const contractNo = `C${contract++}`;
      const at = `${day} ${time(rng, 8, 12)}`;
      for (const t of free.slice(0, sent)) {
        backOn[t] = i + c.rentalDays;
        lastOut[t] = contractNo;
        scans.push(scan(tags[t]!, c, 'Rental', at, contractNo, 'On Rent'));
        const back = addDays(day, c.rentalDays);
        if (back <= data.end) scans.push(scan(tags[t]!, c, 'Return', `${back} ${time(rng, 13, 17)}`, contractNo, 'Ready to Rent'));
      }
    });
    unitsOut.set(c.rentalClass, out);
    tags.forEach((tag, t) => {
      const onRent = backOn[t]! > days.length - 1;
      items.push({
        tag_id: tag,
        serial_number: `SN-${tag.slice(-8)}`,
        client_name: null,
        rental_class_num: c.rentalClass,
        common_name: c.commonName,
        quality: 'A',
        bin_location: 'warehouse',
        status: onRent ? 'On Rent' : 'Ready to Rent',
        last_contract_num: lastOut[t],
        date_created: `${data.start} 09:00:00`,
        date_updated: `${data.end} 18:00:00`,
        home_store: store,
        current_store: store,
        identifier_type: 'RFID',
        item_num: itemNum++,
      });
    });
  }
  const mappings = data.classes
    .filter((c) => c.category)
    .map((c) => ({ rental_class_id: c.rentalClass, category: c.category!.category, subcategory: c.category!.subcategory, short_common_name: c.commonName.slice(0, 50) }));
  for (const [table, rows] of [
    ['id_item_master', items],
    ['rental_class_mappings', mappings],
    ['id_transactions', scans],
  ] as const) {
    for (let i = 0; i < rows.length; i += 500)
      await database.db
        .insertInto(table)
        .values(rows.slice(i, i + 500) as never)
        .execute();
  }
  return { items: items.length, scans: scans.length, unitsOut, days };
}

function scan(tag: string, c: PlainClass, scanType: string, at: string, contractNo: string, status: string): Record<string, unknown> {
  return {
    contract_number: contractNo,
    tag_id: tag,
    scan_type: scanType,
    scan_date: at,
    client_name: 'PLAIN CUSTOMER',
    common_name: c.commonName,
    bin_location: 'warehouse',
    status,
    scan_by: 'plain-generator',
    quality: 'A',
    date_created: at,
    date_updated: at,
    serial_number: `SN-${tag.slice(-8)}`,
    rental_class_num: c.rentalClass,
  };
}
