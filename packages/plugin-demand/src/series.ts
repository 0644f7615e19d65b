import type { DemandLevel, InventoryData } from '@rfid3/core';
import { denseDailySeries } from '@rfid3/core';

export interface DemandSeriesQuery {
  level: DemandLevel;
  /** Restrict to one rental class, or one category (matched by name, case-insensitive). */
  rentalClass?: string;
  category?: string;
  /** A store code, or all stores together. */
  store?: string;
  from: string;
  to: string;
}

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
    byStore: Boolean(q.store),
    from: q.from,
    to: q.to,
  });
  return denseDailySeries(rows, q.from, q.to).map((s) => ({ level: q.level, key: s.key, store: s.store, days: s.days, values: s.values }));
}
