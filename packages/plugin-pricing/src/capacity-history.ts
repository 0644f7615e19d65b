import { addDays, dayRange, weekday } from '@rfid3/core';
import type { DatabaseHandle } from '@rfid3/core';
import { sql } from 'kysely';
import type { CapacityDay, SellOutRecord } from './capacity.js';
import { expectedMinTable, WEEKDAY_NAMES } from './capacity.js';
import type { ElasticityEstimate, PricePeriod } from './elasticity/index.js';
import { estimateElasticity } from './elasticity/index.js';
import { fitCensoredElasticity } from './elasticity/censored.js';
import type { DailyDemandSeries } from './elasticity/censored.js';

/** A rental class's recent year as capacity pricing reads it: units on rent per day against the units it owns. */
export interface ClassCapacityHistory {
  rentalClass: string;
  category: string;
  /** Units owned (sold and retired units excluded) and, of them, out for repair now. */
  units: number;
  inRepair: number;
  /** Units on rent per day of `days` (from each contract line's day out to its due day). */
  onRent: Float64Array;
  /** Price charged per day of `days` (each line's price carried forward; today's price before the window's first line). */
  prices: Float64Array;
  /** Contract lines written per day of `days` (the rentals the censored elasticity counts). */
  newLines: Float64Array;
  lines: number;
  unitsOut: number;
  unitDays: number;
}

/** Daily rental history of the priced classes over a window, by class. */
export interface CapacityHistory {
  from: string;
  through: string;
  days: string[];
  classes: Map<string, ClassCapacityHistory>;
}

/** A rental class to price under capacity: its units, today's price and category. */
export interface CapacityClassInput {
  rentalClass: string;
  category: string;
  units: number;
  inRepair?: number;
  /** Today's price; the days before the class's first line in the window are taken at it. */
  price: number;
}

/**
 * Reads the contract lines of the `days` days ending at `through` (plus the rentals still out at the start) and
 * lays them out as units on rent per class and day.
 */
export async function loadCapacityHistory(database: DatabaseHandle, classes: readonly CapacityClassInput[], options: { through: string; days?: number }): Promise<CapacityHistory> {
  const n = options.days ?? 365;
  const from = addDays(options.through, -(n - 1));
  const days = dayRange(from, options.through);
  const index = new Map(days.map((d, i) => [d, i]));
  const out = new Map<string, ClassCapacityHistory>();
  for (const c of classes) {
    out.set(c.rentalClass, {
      rentalClass: c.rentalClass,
      category: c.category,
      units: c.units,
      inRepair: c.inRepair ?? 0,
      onRent: new Float64Array(n),
      prices: new Float64Array(n).fill(c.price),
      newLines: new Float64Array(n),
      lines: 0,
      unitsOut: 0,
      unitDays: 0,
    });
  }
  const rows = await database.db
    .selectFrom('pos_transaction_items as i')
    .innerJoin('pos_transactions as t', 't.contract_no', 'i.contract_no')
    .select([
      'i.item_num as cls',
      'i.qty as qty',
      'i.price as price',
      sql<string>`substr(t.contract_date, 1, 10)`.as('day'),
      sql<string | null>`substr(i.due_date, 1, 10)`.as('due'),
    ])
    .where('t.contract_date', '>=', `${addDays(from, -60)} 00:00:00`)
    .where('t.contract_date', '<=', `${options.through} 23:59:59`)
    .where('i.qty', '>', 0)
    .orderBy('t.contract_date')
    .execute();
  const lastPriceDay = new Map<string, number>();
  for (const r of rows) {
    const h = out.get(String(r.cls));
    if (!h) continue;
    const qty = Number(r.qty);
    const start = String(r.day);
    // A line without a due date is taken as out for the day.
    const due = r.due && String(r.due) >= start ? String(r.due) : start;
    const i0 = index.get(start);
    if (i0 !== undefined) {
      h.lines++;
      h.newLines[i0]++;
      h.unitsOut += qty;
      const price = Number(r.price);
      if (price > 0) {
        // Prices carry forward from the day a line was written at them.
        if ((lastPriceDay.get(h.rentalClass) ?? -1) <= i0) {
          h.prices.fill(price, i0);
          lastPriceDay.set(h.rentalClass, i0);
        }
      }
    }
    for (let d = Math.max(0, i0 ?? (start < from ? 0 : n)); d < n && days[d]! <= due; d++) {
      h.onRent[d] += qty;
      if (i0 !== undefined) h.unitDays += qty;
    }
  }
  return { from, through: options.through, days, classes: out };
}

/** A class's demand model: units on rent wanted per day at today's price = level × weekday index × month index. */
export interface ClassDemandModel {
  rentalClass: string;
  category: string;
  /** Mean units on rent wanted per day at today's price, before the weekday and month indices (uncapped). */
  level: number;
  /** Standard deviation of log(level): 1/√(rental lines in the year). */
  levelSe: number;
  /** The category's units-on-rent index per weekday (0 = Sunday) and per month (0 = January), mean 1. */
  weekdayIndex: number[];
  monthIndex: number[];
  unitsPerRental: number;
  daysPerRental: number;
  units: number;
  /** Units owned minus out for repair. */
  capacity: number;
  /** Days on rent ≥ units owned over the last 8 weeks. */
  sellOuts: SellOutRecord;
}

/**
 * Fits each class's demand model. The weekday and month indices are its category's (units on rent summed over
 * the classes, where capacity rarely binds); the class's level is solved so that the expected units on rent,
 * capped at the units owned, add up to the units that were on rent: on a day it sold out, demand was at least
 * the fleet, so the level is not the mean of what was served. Past prices enter through the class elasticity.
 */
export function fitDemandModels(history: CapacityHistory, elasticities: Map<string, { elasticity: number }>): Map<string, ClassDemandModel> {
  const n = history.days.length;
  const wd = history.days.map((d) => weekday(d));
  const mo = history.days.map((d) => Number(d.slice(5, 7)) - 1);
  const byCat = new Map<string, ClassCapacityHistory[]>();
  for (const h of history.classes.values()) (byCat.get(h.category) ?? byCat.set(h.category, []).get(h.category)!).push(h);
  const out = new Map<string, ClassDemandModel>();
  for (const [, hs] of byCat) {
    const total = new Float64Array(n);
    for (const h of hs) for (let d = 0; d < n; d++) total[d] += h.onRent[d]!;
    const mean = total.reduce((a, b) => a + b, 0) / n;
    const index = (key: number[], k: number) => {
      const sums = new Array<number>(k).fill(0);
      const counts = new Array<number>(k).fill(0);
      for (let d = 0; d < n; d++) {
        sums[key[d]!] += total[d]!;
        counts[key[d]!]++;
      }
      return sums.map((s, i) => (counts[i]! > 0 && mean > 0 ? s / counts[i]! / mean : 1));
    };
    const weekdayIndex = index(wd, 7);
    const monthIndex = index(mo, 12);
    const catDaysPerRental =
      hs.reduce((s, h) => s + h.unitDays, 0) /
      Math.max(
        1,
        hs.reduce((s, h) => s + h.unitsOut, 0),
      );
    for (const h of hs) {
      const p0 = h.prices[n - 1]!;
      const e = elasticities.get(h.rentalClass)?.elasticity ?? 0;
      const cap = Math.max(0, h.units);
      const unitsPerRental = h.lines > 0 ? h.unitsOut / h.lines : 1;
      const daysPerRental = h.unitsOut > 0 ? h.unitDays / h.unitsOut : catDaysPerRental > 0 ? catDaysPerRental : 2;
      const shape = history.days.map((_, d) => weekdayIndex[wd[d]!]! * monthIndex[mo[d]!]! * (h.prices[d]! > 0 && p0 > 0 && Number.isFinite(e) ? (h.prices[d]! / p0) ** e : 1));
      let served = 0;
      for (let d = 0; d < n; d++) served += Math.min(cap, h.onRent[d]!);
      let level = 0;
      if (served > 0 && cap > 0) {
        const maxShape = Math.max(...shape);
        // Served unit-days are increasing in the level and cannot exceed n × cap: bisection on log(level).
        const target = Math.min(served, n * cap * 0.995);
        let lo = Math.log(served / n / Math.max(...shape) / 4);
        let hi = Math.log((cap * 50) / Math.max(1e-9, Math.min(...shape.filter((s) => s > 0))));
        const table = expectedMinTable(cap, unitsPerRental, Math.exp(hi) * maxShape);
        for (let it = 0; it < 50; it++) {
          const mid = (lo + hi) / 2;
          const L = Math.exp(mid);
          let s = 0;
          for (let d = 0; d < n; d++) s += table(L * shape[d]!);
          if (s < target) lo = mid;
          else hi = mid;
        }
        level = Math.exp((lo + hi) / 2);
      }
      const recent = Math.min(56, n);
      const soldBy = new Array<number>(7).fill(0);
      const seen = new Array<number>(7).fill(0);
      let total8 = 0;
      for (let d = n - recent; d < n; d++) {
        seen[wd[d]!]++;
        if (h.units > 0 && h.onRent[d]! >= h.units) {
          soldBy[wd[d]!]++;
          total8++;
        }
      }
      const top = soldBy.reduce((b, v, i) => (v > soldBy[b]! || (v === soldBy[b]! && i === 6 && v > 0) ? i : b), 6);
      out.set(h.rentalClass, {
        rentalClass: h.rentalClass,
        category: h.category,
        level,
        levelSe: 1 / Math.sqrt(Math.max(1, h.lines)),
        weekdayIndex,
        monthIndex,
        unitsPerRental,
        daysPerRental,
        units: h.units,
        capacity: Math.max(0, h.units - h.inRepair),
        sellOuts: { weekday: WEEKDAY_NAMES[top]!, soldOut: soldBy[top]!, of: seen[top]!, total: total8, days: recent },
      });
    }
  }
  return out;
}

/** The coming days' demand (units on rent wanted at today's price) and capacity for a class. */
export function forecastCapacityDays(model: ClassDemandModel, from: string, days: number, capacity = model.capacity): CapacityDay[] {
  return dayRange(from, addDays(from, days - 1)).map((date) => ({
    date,
    demand: model.level * model.weekdayIndex[weekday(date)]! * model.monthIndex[Number(date.slice(5, 7)) - 1]!,
    capacity,
  }));
}

/** A class's price elasticity: its own estimate shrunk towards its category's, with the weight of each. */
export interface ClassElasticity {
  elasticity: number;
  se: number;
  /** The class's own estimate (from its own price changes, against its category's other classes), if it has one. */
  own: { elasticity: number; se: number } | null;
  /** Weight of the class's own estimate in the pooled one (0: the category's). */
  weight: number;
}

/**
 * The between-group variance τ² of estimates with their own standard errors (DerSimonian–Laird):
 * max(floor, (Q − (k − 1)) / (Σw − Σw²/Σw)) with w = 1/se² and Q = Σw(ε − ε̄_w)². Noisy estimates count
 * little, so a few wild ones from classes with little data do not make the spread look large.
 */
export function betweenVariance(estimates: readonly { elasticity: number; se: number }[], floor: number): number {
  if (estimates.length < 2) return floor;
  const w = estimates.map((e) => 1 / e.se ** 2);
  const sw = w.reduce((a, b) => a + b, 0);
  const mu = estimates.reduce((s, e, i) => s + w[i]! * e.elasticity, 0) / sw;
  const q = estimates.reduce((s, e, i) => s + w[i]! * (e.elasticity - mu) ** 2, 0);
  return Math.max(floor, (q - (estimates.length - 1)) / (sw - w.reduce((s, x) => s + x * x, 0) / sw));
}

/**
 * Category elasticities partially pooled towards the business-wide mean (random effects, DerSimonian–Laird):
 * τ² = max(0.1², (Q − (k − 1)) / (Σw − Σw²/Σw)) with w = 1/se², and each category's estimate shrunk to
 * (ε/se² + μ/τ²)/(1/se² + 1/τ²) with variance 1/(1/se² + 1/τ²) + (its share of μ)²·var(μ). A category whose own
 * estimate is weak (few price changes) borrows from the others instead of swinging to ±5.
 */
export function shrinkCategories(estimates: readonly ElasticityEstimate[]): ElasticityEstimate[] {
  const usable = estimates.filter((e) => Number.isFinite(e.elasticity) && Number.isFinite(e.se) && e.se > 0);
  if (usable.length < 3) return [...estimates];
  const tau2 = betweenVariance(usable, 0.1 ** 2);
  const wr = usable.map((e) => 1 / (e.se ** 2 + tau2));
  const swr = wr.reduce((a, b) => a + b, 0);
  const muR = usable.reduce((s, e, i) => s + wr[i]! * e.elasticity, 0) / swr;
  const varMu = 1 / swr;
  return estimates.map((e) => {
    if (!usable.includes(e)) return e;
    const share = 1 / tau2 / (1 / e.se ** 2 + 1 / tau2);
    const elasticity = (1 - share) * e.elasticity + share * muR;
    const se = Math.sqrt(1 / (1 / e.se ** 2 + 1 / tau2) + share ** 2 * varMu);
    return { ...e, elasticity, se, ci95: [elasticity - 1.96 * se, elasticity + 1.96 * se] as [number, number] };
  });
}

/**
 * Class elasticities, partially pooled towards the category (precision-weighted shrinkage). A class whose price
 * changed gets its own estimate: log units per period on log price, its category's other classes' units that
 * period as the control for season (the period's share of the year), so weekdays are balanced within a period.
 * The between-class spread τ² is the DerSimonian–Laird estimate over the own estimates (at least 0.05²;
 * `betweenVariance`); the pooled estimate is (β/se² + ε_cat/τ²)/(1/se² + 1/τ²), its variance 1/(1/se² + 1/τ²) plus the
 * category's own sampling variance in the share it carries. A class without price changes takes the category's
 * estimate with variance se_cat² + τ².
 */
export function classElasticities(history: readonly PricePeriod[], estimates: readonly ElasticityEstimate[]): Map<string, ClassElasticity> {
  const categories = shrinkCategories(estimates);
  const byCat = new Map<string, PricePeriod[]>();
  for (const h of history) (byCat.get(h.category) ?? byCat.set(h.category, []).get(h.category)!).push(h);
  const out = new Map<string, ClassElasticity>();
  for (const cat of categories) {
    if (!Number.isFinite(cat.elasticity) || !Number.isFinite(cat.se)) continue;
    const rows = byCat.get(cat.group) ?? [];
    const periodTotal = new Map<string, number>();
    for (const r of rows) periodTotal.set(r.periodStart, (periodTotal.get(r.periodStart) ?? 0) + r.quantity);
    const byClass = new Map<string, PricePeriod[]>();
    for (const r of rows) (byClass.get(r.rentalClass) ?? byClass.set(r.rentalClass, []).get(r.rentalClass)!).push(r);
    const own = new Map<string, { elasticity: number; se: number }>();
    for (const [cls, rs] of byClass) {
      if (new Set(rs.map((r) => r.price)).size < 2 || rs.length < 4) continue;
      const obs = rs
        .map((r) => ({ price: r.price, quantity: r.quantity, others: (periodTotal.get(r.periodStart) ?? 0) - r.quantity }))
        .filter((o) => o.others > 0)
        .map((o) => ({ price: o.price, quantity: o.quantity / o.others, group: cls }));
      const [est] = estimateElasticity(obs);
      if (est && Number.isFinite(est.elasticity) && Number.isFinite(est.se) && est.se > 0) own.set(cls, { elasticity: est.elasticity, se: est.se });
    }
    const ests = [...own.values()];
    const tau2 = ests.length >= 3 ? betweenVariance(ests, 0.05 ** 2) : 0.05 ** 2;
    for (const cls of new Set(rows.map((r) => r.rentalClass))) {
      const o = own.get(cls) ?? null;
      if (!o) {
        out.set(cls, { elasticity: cat.elasticity, se: Math.sqrt(cat.se ** 2 + tau2), own: null, weight: 0 });
        continue;
      }
      const w = 1 / o.se ** 2 / (1 / o.se ** 2 + 1 / tau2);
      out.set(cls, {
        elasticity: w * o.elasticity + (1 - w) * cat.elasticity,
        se: Math.sqrt(1 / (1 / o.se ** 2 + 1 / tau2) + (1 - w) ** 2 * cat.se ** 2),
        own: o,
        weight: w,
      });
    }
  }
  return out;
}

/** A class's days as the censored elasticity reads them: lines written per day, the price, and the sold-out days. */
export function dailyDemandSeries(history: CapacityHistory, h: ClassCapacityHistory): DailyDemandSeries {
  const censored = new Uint8Array(history.days.length);
  for (let d = 0; d < censored.length; d++) censored[d] = h.units > 0 && h.onRent[d]! >= h.units ? 1 : 0;
  return { rentalClass: h.rentalClass, days: history.days, counts: h.newLines, prices: h.prices, censored };
}

/**
 * Category and class elasticities from daily rentals with sold-out days censored (`fitCensoredElasticity`):
 * per category one slope (with class levels, weekday, month and trend), shrunk across categories towards the
 * business mean (`shrinkCategories`); per class whose price changed its own slope under the same controls,
 * shrunk towards its category's with the DerSimonian–Laird spread of the own slopes (at least 0.05²).
 * Returns the class elasticities (as `classElasticities`) and the category estimates.
 */
export function censoredElasticities(history: CapacityHistory, options: { censoring?: boolean } = {}): { classes: Map<string, ClassElasticity>; categories: ElasticityEstimate[] } {
  const byCat = new Map<string, ClassCapacityHistory[]>();
  for (const h of history.classes.values()) (byCat.get(h.category) ?? byCat.set(h.category, []).get(h.category)!).push(h);
  const raw: ElasticityEstimate[] = [];
  const own = new Map<string, Map<string, { elasticity: number; se: number }>>();
  for (const [cat, hs] of [...byCat].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const series = hs.map((h) => dailyDemandSeries(history, h));
    const fit = fitCensoredElasticity(series, { censoring: options.censoring });
    const z = 1.959963984540054;
    raw.push({
      group: cat,
      elasticity: fit.elasticity,
      se: fit.se,
      ci95: [fit.elasticity - z * fit.se, fit.elasticity + z * fit.se],
      n: fit.n,
      r2: Number.NaN,
      intercept: Number.NaN,
      skipped: 0,
      controls: ['class', 'weekday', 'month', 'trend'],
      warnings: fit.converged ? [] : ['the censored fit did not converge'],
    });
    own.set(cat, fitCensoredElasticity(series, { censoring: options.censoring, classSlopes: true }).classes);
  }
  const categories = shrinkCategories(raw);
  const out = new Map<string, ClassElasticity>();
  for (const cat of categories) {
    if (!Number.isFinite(cat.elasticity) || !Number.isFinite(cat.se)) continue;
    const mine = new Map([...(own.get(cat.group) ?? new Map())].filter(([, o]) => Number.isFinite(o.elasticity) && Number.isFinite(o.se) && o.se > 0));
    const tau2 = mine.size >= 3 ? betweenVariance([...mine.values()], 0.05 ** 2) : 0.05 ** 2;
    for (const h of byCat.get(cat.group) ?? []) {
      const o = mine.get(h.rentalClass) ?? null;
      if (!o) {
        out.set(h.rentalClass, { elasticity: cat.elasticity, se: Math.sqrt(cat.se ** 2 + tau2), own: null, weight: 0 });
        continue;
      }
      const w = 1 / o.se ** 2 / (1 / o.se ** 2 + 1 / tau2);
      out.set(h.rentalClass, {
        elasticity: w * o.elasticity + (1 - w) * cat.elasticity,
        se: Math.sqrt(1 / (1 / o.se ** 2 + 1 / tau2) + (1 - w) ** 2 * cat.se ** 2),
        own: o,
        weight: w,
      });
    }
  }
  return { classes: out, categories };
}
