import type { DatabaseHandle } from '@rfid3/core';
import { sql } from 'kysely';
import type { ElasticityEstimate, PriceObservation } from './elasticity.js';
import { estimateElasticity } from './elasticity.js';

/** Units rented and the price charged, per rental class and period, from Point of Rental contract lines. */
export interface PricePeriod {
  rentalClass: string;
  category: string;
  /** First day of the period (YYYY-MM-DD). */
  periodStart: string;
  price: number;
  quantity: number;
  revenue: number;
}

/** Options of `loadPriceHistory`: the period length and the days read. */
export interface PriceHistoryOptions {
  /** Days per period (default 28: long enough that most class-periods rent something). */
  periodDays?: number;
  from?: string;
  to?: string;
}

/**
 * Aggregates `pos_transaction_items` (joined to the contract date) per rental class and period. A period in
 * which the class was rented at more than one price is dropped: its price is not one number.
 */
export async function loadPriceHistory(database: DatabaseHandle, categories: Map<string, string>, options: PriceHistoryOptions = {}): Promise<PricePeriod[]> {
  const periodDays = options.periodDays ?? 28;
  let q = database.db
    .selectFrom('pos_transaction_items as i')
    .innerJoin('pos_transactions as t', 't.contract_no', 'i.contract_no')
    .leftJoin('rental_class_mappings as m', 'm.rental_class_id', 'i.item_num')
    .select([
      'i.item_num as cls',
      sql<string>`substr(t.contract_date, 1, 10)`.as('day'),
      sql<number>`sum(i.qty)`.as('qty'),
      'i.price as price',
      sql<string | null>`max(m.category)`.as('category'),
    ])
    .where('i.price', '>', 0)
    .where('i.qty', '>', 0)
    .where('t.contract_date', 'is not', null);
  if (options.from) q = q.where('t.contract_date', '>=', `${options.from} 00:00:00`);
  if (options.to) q = q.where('t.contract_date', '<=', `${options.to} 23:59:59`);
  const rows = await q.groupBy('i.item_num').groupBy(sql`substr(t.contract_date, 1, 10)`).groupBy('i.price').execute();
  if (rows.length === 0) return [];
  const first = rows.reduce((m, r) => (String(r.day) < m ? String(r.day) : m), String(rows[0]!.day));
  const origin = Date.parse(`${first}T00:00:00Z`);
  const periods = new Map<string, { cls: string; k: number; qty: number; rev: number; prices: Set<number> }>();
  const mapped = new Map<string, string>();
  for (const r of rows) if (r.category) mapped.set(String(r.cls), String(r.category));
  for (const r of rows) {
    const k = Math.floor((Date.parse(`${r.day}T00:00:00Z`) - origin) / (86_400_000 * periodDays));
    const key = `${r.cls}\u0000${k}`;
    let p = periods.get(key);
    if (!p) periods.set(key, (p = { cls: String(r.cls), k, qty: 0, rev: 0, prices: new Set() }));
    const qty = Number(r.qty);
    const price = Number(r.price);
    p.qty += qty;
    p.rev += qty * price;
    p.prices.add(price);
  }
  const out: PricePeriod[] = [];
  for (const p of periods.values()) {
    if (p.prices.size !== 1) continue;
    out.push({
      rentalClass: p.cls,
      category: categories.get(p.cls) ?? mapped.get(p.cls) ?? 'Other',
      periodStart: new Date(origin + p.k * periodDays * 86_400_000).toISOString().slice(0, 10),
      price: [...p.prices][0]!,
      quantity: p.qty,
      revenue: p.rev,
    });
  }
  return out.sort((a, b) => (a.rentalClass < b.rentalClass ? -1 : a.rentalClass > b.rentalClass ? 1 : a.periodStart < b.periodStart ? -1 : 1));
}

/**
 * Drops observations alone in a fixed-effect level (a class seen once, a period with one class), repeatedly
 * until none is left: a singleton is fitted exactly by its own dummy, tells nothing about price, and can make
 * the design rank deficient (reghdfe does the same).
 */
export function dropSingletons(obs: PriceObservation[], controls: string[]): PriceObservation[] {
  let current = obs.filter((o) => o.price > 0 && o.quantity > 0);
  for (;;) {
    const counts = controls.map((c) => {
      const m = new Map<string, number>();
      for (const o of current) m.set(o.controls![c]!, (m.get(o.controls![c]!) ?? 0) + 1);
      return m;
    });
    const next = current.filter((o) => controls.every((c, k) => counts[k]!.get(o.controls![c]!)! > 1));
    if (next.length === current.length) return current;
    current = next;
  }
}

/**
 * Category elasticities as two-way fixed effects: log quantity on log price with a dummy per rental class
 * (its own level) and per category × period (season, trend, holidays, weather: every shock the classes of a
 * category share). The price effect is identified from classes whose prices changed at different times.
 */
export function categoryElasticities(history: readonly PricePeriod[]): ElasticityEstimate[] {
  const obs: PriceObservation[] = history.map((h) => ({
    price: h.price,
    quantity: h.quantity,
    group: h.category,
    controls: { class: h.rentalClass, period: h.periodStart },
  }));
  const groups = [...new Set(obs.map((o) => o.group!))];
  return estimateElasticity(
    groups.flatMap((g) =>
      dropSingletons(
        obs.filter((o) => o.group === g),
        ['class', 'period'],
      ),
    ),
    { controls: ['class', 'period'] },
  );
}

/**
 * One business-wide elasticity: the inverse-variance weighted mean of the category estimates (independent
 * regressions), with its standard error 1/√Σw. `weights` says how much each category counts, for comparing
 * with a truth averaged the same way.
 */
export function pooledElasticity(categories: readonly ElasticityEstimate[]): ElasticityEstimate & { weights: Record<string, number> } {
  const usable = categories.filter((e) => Number.isFinite(e.elasticity) && Number.isFinite(e.se) && e.se > 0);
  const w = usable.map((e) => 1 / e.se ** 2);
  const sw = w.reduce((a, b) => a + b, 0);
  const elasticity = usable.reduce((s, e, i) => s + w[i]! * e.elasticity, 0) / sw;
  const se = 1 / Math.sqrt(sw);
  const z = 1.959963984540054;
  return {
    group: 'all',
    elasticity,
    se,
    ci95: [elasticity - z * se, elasticity + z * se],
    n: usable.reduce((s, e) => s + e.n, 0),
    r2: Number.NaN,
    intercept: Number.NaN,
    skipped: categories.reduce((s, e) => s + e.skipped, 0),
    controls: usable[0]?.controls ?? [],
    warnings: usable.length < categories.length ? [`${categories.length - usable.length} categories without a usable estimate left out`] : [],
    weights: Object.fromEntries(usable.map((e, i) => [e.group, w[i]! / sw])),
  };
}
