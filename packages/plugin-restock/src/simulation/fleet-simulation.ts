import { Rng } from '@rfid3/core/simulator';
import { allocateBudget, expectedStockoutDays, stockoutTable, unitLayers } from '../policy/allocation.js';
import { reorderLevels } from '../policy/reorder-policy.js';
import type { ReorderLevels } from '../policy/reorder-policy.js';

/** One rental class of the simulated fleet. */
export interface FleetClass {
  id: string;
  category: string;
  /** Units owned when the simulation starts. */
  units: number;
  /** Point of Rental's static levels for the class. */
  reorderMin: number;
  reorderMax: number;
  /** Mean units per contract line (lines are 1 + Poisson(meanQty − 1) units). Used to draw demand only. */
  meanQty: number;
  /** Rental length in days, uniform on [lo, hi]. Used to draw demand only. */
  rentalDays: [number, number];
  /** Expected units requested on each day (index 0 = first simulated day). Used to draw demand only. */
  expected: ArrayLike<number>;
}

/** Options of `simulateFleet`: the evaluation window, lead time and the policies' parameters. */
export interface FleetSimulationOptions {
  /** Day index from which stockouts and inventory are counted; the days before are history. */
  evalFrom: number;
  /** Day index from which both policies may order (default `evalFrom`). */
  actFrom?: number;
  /** Days from a purchase order to the units being rentable (default 14). */
  leadTimeDays?: number;
  /** Days between two reviews of the forecast policy (default 7). */
  reviewDays?: number;
  /**
   * Average units the forecast policy may own over the evaluation. Default: the static rule's average, forecast
   * by replaying it on `budgetPaths` draws of the forecast demand when the policy first acts, less
   * `budgetMarginSd` standard deviations of those replays.
   */
  inventoryBudget?: number;
  /** Default 0.5 (the smallest of 0, 0.5, 1, … that kept the policy within the static inventory on training draws 1–4). */
  budgetMarginSd?: number;
  /** Default 32. */
  budgetPaths?: number;
  /**
   * Standard deviation of the forecast's error, as a share of the units it expects on rent, added to the rental
   * noise (default 0: of 0, 0.15 and 0.3 on training draws 1–4, 0 avoided the most stockouts).
   */
  forecastErrorShare?: number;
  /** Seed of the demand draw (the same requests are replayed under both policies). */
  seed?: number;
  /**
   * Also replay the textbook (s, S) rule from a moving average (see `movingAverageLevels`) on the same requests, as a
   * stronger baseline than the static levels.
   */
  movingAverageBaseline?: MovingAverageRule;
}

/** The moving-average (s, S) rule: the weeks of history it averages (default 8) and its service level (default 0.95). */
export interface MovingAverageRule {
  weeks?: number;
  serviceLevel?: number;
}

/** What one ordering policy achieved over the evaluation days of a fleet simulation. */
export interface PolicyOutcome {
  /** Class-days in the evaluation with requests that could not be served. */
  stockoutDays: number;
  /** Units owned, summed over classes, averaged over the evaluation days. */
  avgInventory: number;
  unitsPurchased: number;
  /** Units served ÷ units requested over the evaluation. */
  fillRate: number;
  /** Stockout days, units bought and units owned at the end, per class (input order). */
  byClass: { stockoutDays: number; purchased: number; finalUnits: number }[];
}

/** A fleet simulation's outcome: the forecast-driven policy beside the static reorder levels (baseline) on the same requests. */
export interface FleetSimulationResult {
  days: number;
  evalDays: number;
  classes: number;
  policy: PolicyOutcome;
  baseline: PolicyOutcome;
  /** The moving-average (s, S) rule on the same requests, when asked for. */
  movingAverageBaseline?: PolicyOutcome;
  /** The forecast policy's inventory budget (average units) and the replayed static rule it came from. */
  budget: { avgUnits: number; staticForecastMean: number; staticForecastSd: number };
  /**
   * Calibration of the policy's stockout model: on the days its orders could first reach (each review's first
   * block after the lead time), the stockout days it expected with the units it would then have, and the stockout
   * days that happened on those days.
   */
  calibration: { expectedStockoutDays: number; stockoutDays: number };
}

interface Line {
  qty: number;
  days: number;
}

/** Point of Rental's rule: when available + on order falls to reorder_min, order up to reorder_max. */
export function staticOrder(c: Pick<FleetClass, 'reorderMin' | 'reorderMax'>, owned: number, out: number, onOrder: number): number {
  const position = owned - out + onOrder;
  return position <= c.reorderMin ? Math.max(0, c.reorderMax - position) : 0;
}

/**
 * Units demanded on rent each day had every request been served: each requested line (lost ones included) counts
 * on the days of its rental. Day d uses only the requests of days ≤ d, which the business has recorded by then.
 */
export function onRentDemand(linesByDay: readonly (readonly { qty: number; days: number }[])[]): Float64Array {
  const x = new Float64Array(linesByDay.length);
  linesByDay.forEach((lines, d) => {
    for (const l of lines) for (let k = 0; k < Math.max(1, l.days) && d + k < x.length; k++) x[d + k] += l.qty;
  });
  return x;
}

/**
 * The textbook (s, S) rule a planner without a forecast model uses, for a rental fleet: the units demanded on rent
 * over the last `weeks` weeks (days t − 7·weeks + 1 … t) give a mean and a standard deviation, and
 * s = ⌈mean + z·sd⌉ at the service level (`reorderLevels`). The fleet's units come back, so nothing is consumed
 * between reviews and S = s; the rule orders S − (owned + on order) when that position is below s.
 */
export function movingAverageLevels(onRent: ArrayLike<number>, t: number, rule: MovingAverageRule = {}): ReorderLevels {
  const from = Math.max(0, t - 7 * (rule.weeks ?? 8) + 1);
  const n = t - from + 1;
  let sum = 0;
  let sq = 0;
  for (let d = from; d <= t; d++) {
    sum += onRent[d]!;
    sq += onRent[d]! ** 2;
  }
  const mean = sum / n;
  const variance = n > 1 ? Math.max(0, (sq - n * mean * mean) / (n - 1)) : 0;
  return reorderLevels({ mean, variance }, 0, rule.serviceLevel ?? 0.95);
}

/** What a policy sees of one class at the end of a day. */
interface ClassState {
  owned: number;
  out: number;
  onOrder: number;
  /** Units out now that are due back on `day`. */
  returning(day: number): number;
  /** Units on order arriving on `day`. */
  arriving(day: number): number;
}

/** A policy decides, at the end of day t, how many units of each class to order (they arrive on t + lead time). */
type Policy = (t: number, states: readonly ClassState[], unitDaysSoFar: number) => ArrayLike<number> | null;

/**
 * Replays the same drawn requests (common random numbers) under two policies of a rental fleet: Point of
 * Rental's static (min, max), and the forecast policy — a weekly inventory-neutral allocation that spends the
 * unit-days the static rule is forecast to hold where one more unit avoids the most expected stockout days
 * (see `allocateBudget`). Units return after their rental; requests beyond the units available are lost (a
 * stockout day); units are never sold. Both start each class with the same fleet and the same history.
 *
 * The forecast policy sees only what a rental business records up to the day it decides: the units requested per
 * class and day (lost requests included), the contract lines (their units and rental lengths), the units out and
 * their due dates, and its fleet. It never reads `expected`, `meanQty` or `rentalDays`, which only draw the demand.
 */
export function simulateFleet(classes: readonly FleetClass[], options: FleetSimulationOptions): FleetSimulationResult {
  const L = options.leadTimeDays ?? 14;
  const review = options.reviewDays ?? 7;
  const nDays = classes[0]?.expected.length ?? 0;
  const evalFrom = options.evalFrom;
  const actFrom = options.actFrom ?? evalFrom;
  if (evalFrom < 1 || evalFrom >= nDays) throw new RangeError(`evalFrom must be within the ${nDays} simulated days`);
  if (actFrom < 1 || actFrom > evalFrom) throw new RangeError('actFrom must be within the history and no later than evalFrom');
  const ctx: PlannerContext = { nDays, evalFrom, actFrom, L, review, options };
  const draws = drawRequests(classes, nDays, new Rng(options.seed ?? 1));

  const baseline = replayPolicy(classes, draws, ctx, (_, states) => states.map((s, ci) => staticOrder(classes[ci]!, s.owned, s.out, s.onOrder))).outcome;
  let movingAverageBaseline: PolicyOutcome | undefined;
  if (options.movingAverageBaseline) {
    const rule = options.movingAverageBaseline;
    const onRent = draws.map(onRentDemand);
    movingAverageBaseline = replayPolicy(classes, draws, ctx, (t, states) =>
      states.map((s, ci) => {
        const levels = movingAverageLevels(onRent[ci]!, t, rule);
        const position = s.owned + s.onOrder;
        return position < levels.reorderPoint ? levels.orderUpTo - position : 0;
      }),
    ).outcome;
  }
  const planner = forecastPolicy(classes, draws, ctx);
  const { outcome: policy, stockoutOn } = replayPolicy(classes, draws, ctx, planner.decide);
  let covered = 0;
  for (const d of planner.blockDays) covered += stockoutOn[d]!;
  return {
    days: nDays,
    evalDays: nDays - evalFrom,
    classes: classes.length,
    policy,
    baseline,
    ...(movingAverageBaseline ? { movingAverageBaseline } : {}),
    budget: planner.budget,
    calibration: { expectedStockoutDays: planner.expectedStockoutDays(), stockoutDays: covered },
  };
}

/** Draws every request once: the contract lines (units, rental days) per class and day. */
function drawRequests(classes: readonly FleetClass[], nDays: number, rng: Rng): Line[][][] {
  return classes.map((c) =>
    Array.from({ length: nDays }, (_, d) => {
      const lines: Line[] = [];
      const n = rng.poisson(Math.max(0, c.expected[d]!) / c.meanQty);
      for (let i = 0; i < n; i++) lines.push({ qty: c.meanQty <= 1 ? 1 : 1 + rng.poisson(c.meanQty - 1), days: rng.int(c.rentalDays[0], c.rentalDays[1]) });
      return lines;
    }),
  );
}

/** Replays the drawn requests under one policy: what it achieved over the evaluation, and the stockouts per day. */
function replayPolicy(classes: readonly FleetClass[], draws: Line[][][], ctx: PlannerContext, policy: Policy): { outcome: PolicyOutcome; stockoutOn: Uint32Array } {
  const { nDays, evalFrom, actFrom, L } = ctx;
  const pad = nDays + L + 400;
  const tally = { stockoutDays: 0, unitDays: 0, served: 0, asked: 0 };
  let purchased = 0;
  const byClass = classes.map(() => ({ stockoutDays: 0, purchased: 0, finalUnits: 0 }));
  const stockoutOn = new Uint32Array(nDays);
  const returns = classes.map(() => new Float64Array(pad));
  const arrivals = classes.map(() => new Float64Array(pad));
  const owned = classes.map((c) => c.units);
  const out = classes.map(() => 0);
  const onOrder = classes.map(() => 0);
  for (let t = 0; t < nDays; t++) {
    for (let ci = 0; ci < classes.length; ci++) {
      out[ci]! -= returns[ci]![t]!;
      owned[ci]! += arrivals[ci]![t]!;
      onOrder[ci]! -= arrivals[ci]![t]!;
      // Units come back before they go out again.
      const counted = t >= evalFrom;
      const short = serveDay(draws[ci]![t]!, t, owned[ci]! - out[ci]!, returns[ci]!, counted ? tally : undefined);
      out[ci]! += short.rented;
      if (counted) {
        if (short.short) {
          tally.stockoutDays++;
          stockoutOn[t]++;
          byClass[ci]!.stockoutDays++;
        }
        tally.unitDays += owned[ci]!;
      }
    }
    if (t < actFrom) continue;
    const states: ClassState[] = classes.map((_, ci) => ({
      owned: owned[ci]!,
      out: out[ci]!,
      onOrder: onOrder[ci]!,
      returning: (day) => returns[ci]![day]!,
      arriving: (day) => arrivals[ci]![day]!,
    }));
    const buys = policy(t, states, tally.unitDays);
    if (!buys) continue;
    for (let ci = 0; ci < classes.length; ci++) {
      const buy = Math.round(buys[ci] ?? 0);
      if (buy <= 0) continue;
      purchased += buy;
      byClass[ci]!.purchased += buy;
      onOrder[ci]! += buy;
      arrivals[ci]![t + L]! += buy;
    }
  }
  owned.forEach((u, ci) => (byClass[ci]!.finalUnits = u));
  const outcome: PolicyOutcome = {
    stockoutDays: tally.stockoutDays,
    avgInventory: tally.unitDays / (nDays - evalFrom),
    unitsPurchased: purchased,
    fillRate: tally.asked > 0 ? tally.served / tally.asked : 1,
    byClass,
  };
  return { outcome, stockoutOn };
}

/**
 * Serves a class's lines of day t from the units not out (`free`), booking each rental's return in `returns`:
 * the units rented and whether a line was short. With `tally`, the units served and asked are counted there.
 */
function serveDay(lines: readonly Line[], t: number, free: number, returns: Float64Array, tally?: { served: number; asked: number }): { rented: number; short: boolean } {
  let available = Math.max(0, free);
  let rented = 0;
  let short = false;
  for (const line of lines) {
    const got = Math.min(line.qty, available);
    if (got < line.qty) short = true;
    if (got > 0) {
      available -= got;
      rented += got;
      returns[t + line.days]! += got;
    }
    if (tally) {
      tally.served += got;
      tally.asked += line.qty;
    }
  }
  return { rented, short };
}

interface PlannerContext {
  nDays: number;
  evalFrom: number;
  actFrom: number;
  L: number;
  review: number;
  options: FleetSimulationOptions;
}

/** Prefix sums: sum(p, a, b) = xs[a] + … + xs[b], clipped to the array. */
function prefix(xs: ArrayLike<number>): Float64Array {
  const p = new Float64Array(xs.length + 1);
  for (let i = 0; i < xs.length; i++) p[i + 1] = p[i]! + xs[i]!;
  return p;
}
function sum(p: Float64Array, a: number, b: number): number {
  const lo = Math.max(0, a);
  const hi = Math.min(p.length - 2, b);
  return hi >= lo ? p[hi + 1]! - p[lo]! : 0;
}

/** What the forecast policy reads of the business's records: requests per class, category and day, and the history's contract lines. */
interface History {
  categories: string[];
  /** Each class's category (index into `categories`). */
  catOf: number[];
  /** Units requested per category and day. */
  catRequested: Float64Array[];
  /** Prefix sums of the requests per category, per class and of the whole business. */
  catCum: Float64Array[];
  clsCum: Float64Array[];
  bizCum: Float64Array;
  /** Per category: stillOut[j] = P(a line rented j days before a day is still out that day) = P(length > j). */
  stillOut: Float64Array[];
  /** Per category: the rental lengths of the history's lines, one entry per line. */
  lengthSample: number[][];
  /** Per class: its units per line (or its category's, with fewer than 10 lines), their mean and E[q²] / E[q]. */
  lineSample: number[][];
  meanQty: number[];
  dispersion: number[];
}

/** The forecast policy's working state across its reviews: what it learnt, its budget, and its calibration tally. */
interface Planner {
  classes: readonly FleetClass[];
  ctx: PlannerContext;
  history: History;
  /** Draws of the static rule's replays that set the budget. */
  budgetRng: Rng;
  budget: FleetSimulationResult['budget'];
  budgetUnitDays: number;
  /** The days of each review's first block after the lead time (within the evaluation). */
  blockDays: number[];
  /** Stockout days expected on `blockDays` with the units the policy gave them. */
  expected: number;
}

/**
 * The forecast policy. At each review (every `review` days from `actFrom`) it forecasts, for every class and every
 * day from the lead time to the end of the evaluation, the distribution of units on rent (rentals out now by due
 * date, plus the forecast rentals to come), turns it into the value of each extra unit in each week, and lets
 * `allocateBudget` decide what to order now within the budget.
 *
 * The forecast of units requested per class and day: the category's requests around the same date a year earlier
 * (± 7 days) × the category's weekday profile over the last year × the business's growth (its last 13 weeks
 * against the same weeks a year earlier, once there are 4 weeks to compare) × the class's share of its category.
 * The share is empirical Bayes: the class's requests over the last year, shrunk toward its share of the
 * category's fleet when the simulation started, by how much the classes' requests spread around their fleet
 * shares beyond rental noise (method of moments). Rental lengths come from the category's contract lines of the
 * history, units per line from the class's (or, with fewer than 10, its category's).
 */
function forecastPolicy(classes: readonly FleetClass[], draws: Line[][][], ctx: PlannerContext) {
  const requests = requestHistory(classes, draws, ctx.nDays);
  const p: Planner = {
    classes,
    ctx,
    history: { ...requests, ...lineHistory(requests, draws, ctx.actFrom) },
    budgetRng: new Rng(((ctx.options.seed ?? 1) * 7919 + 17) >>> 0),
    budget: { avgUnits: Number.NaN, staticForecastMean: Number.NaN, staticForecastSd: Number.NaN },
    budgetUnitDays: Number.NaN,
    blockDays: [],
    expected: 0,
  };
  const decide: Policy = (t, states, unitDaysSoFar) => review(p, t, states, unitDaysSoFar);
  return { decide, budget: p.budget, blockDays: p.blockDays, expectedStockoutDays: () => p.expected };
}

/** What the business has recorded: units requested per class and day, summed per category and over the business. */
function requestHistory(classes: readonly FleetClass[], draws: Line[][][], nDays: number) {
  const requested = draws.map((byDay) => Float64Array.from(byDay, (lines) => lines.reduce((s, l) => s + l.qty, 0)));
  const categories = [...new Set(classes.map((c) => c.category))];
  const catOf = classes.map((c) => categories.indexOf(c.category));
  const catRequested = categories.map((_, k) => {
    const o = new Float64Array(nDays);
    requested.forEach((r, ci) => {
      if (catOf[ci] === k) for (let d = 0; d < nDays; d++) o[d] += r[d]!;
    });
    return o;
  });
  return {
    categories,
    catOf,
    catRequested,
    catCum: catRequested.map(prefix),
    clsCum: requested.map(prefix),
    bizCum: prefix(Float64Array.from({ length: nDays }, (_, d) => catRequested.reduce((s, r) => s + r[d]!, 0))),
  };
}

/** Contract lines of the history (before the policy acts): rental lengths per category, units per line per class. */
function lineHistory({ categories, catOf }: Pick<History, 'categories' | 'catOf'>, draws: Line[][][], actFrom: number) {
  const lengthCounts = categories.map(() => [] as number[]);
  const lineQty = draws.map(() => [] as number[]);
  draws.forEach((byDay, ci) => {
    for (let d = 0; d < actFrom; d++) {
      for (const l of byDay[d]!) {
        const counts = lengthCounts[catOf[ci]!]!;
        counts[l.days] = (counts[l.days] ?? 0) + 1;
        lineQty[ci]!.push(l.qty);
      }
    }
  });
  const stillOut = lengthCounts.map((counts) => {
    const n = counts.reduce((s, x) => s + (x ?? 0), 0);
    const maxLen = Math.max(1, counts.length - 1);
    const p = new Float64Array(maxLen);
    for (let j = 0; j < maxLen; j++) {
      let longer = 0;
      for (let len = j + 1; len < counts.length; len++) longer += counts[len] ?? 0;
      p[j] = n > 0 ? longer / n : j === 0 ? 1 : 0;
    }
    return p;
  });
  const catLines = categories.map((_, k) => lineQty.filter((_, ci) => catOf[ci] === k).flat());
  const lineSample = lineQty.map((q, ci) => (q.length >= 10 ? q : catLines[catOf[ci]!]!.length > 0 ? catLines[catOf[ci]!]! : [1]));
  const meanQty = lineSample.map((q) => q.reduce((s, x) => s + x, 0) / q.length);
  // Compound Poisson: variance of units = mean × E[q²] / E[q].
  const dispersion = lineSample.map((q, ci) => q.reduce((s, x) => s + x * x, 0) / q.length / meanQty[ci]!);
  const lengthSample = lengthCounts.map((counts) => counts.flatMap((n, len) => Array.from({ length: n ?? 0 }, () => len)));
  return { stillOut, lengthSample, lineSample, meanQty, dispersion };
}

/** The business's growth at t: its requests over the last 13 weeks against the same weeks a year earlier (1 with fewer than 4 weeks to compare). */
function growth(h: History, t: number): number {
  const w = Math.min(91, t - 364);
  if (w < 28) return 1;
  const before = sum(h.bizCum, t - w + 1 - 364, t - 364);
  return before > 0 ? sum(h.bizCum, t - w + 1, t) / before : 1;
}

/** Forecast units requested per category on days t + 1 … end − 1 (index s − t − 1). */
function categoryForecast(h: History, k: number, t: number, end: number): Float64Array {
  const cc = h.catCum[k]!;
  const year = sum(cc, t - 363, t);
  const weekday = new Float64Array(7).fill(1);
  if (year > 0) {
    for (let w = 0; w < 7; w++) {
      let s = 0;
      for (let d = t - 363 + w; d <= t; d += 7) s += d >= 0 ? h.catRequested[k]![d]! : 0;
      weekday[w] = (s * 7) / year;
    }
  }
  const g = growth(h, t);
  const f = new Float64Array(Math.max(0, end - t - 1));
  for (let s = t + 1; s < end; s++) {
    const lo = s - 364 - 7;
    const hi = Math.min(s - 364 + 7, t);
    const level = hi - lo + 1 >= 8 && lo >= 0 ? sum(cc, lo, hi) / (hi - lo + 1) : sum(cc, t - 27, t) / Math.min(28, t + 1);
    f[s - t - 1] = level * g * weekday[(((s - (t - 363)) % 7) + 7) % 7]!;
  }
  return f;
}

/** Each class's share of its category's requests at t: its last year's requests shrunk toward its fleet share (empirical Bayes). */
function classShares(classes: readonly FleetClass[], h: History, t: number): Float64Array {
  const { categories, catOf, dispersion } = h;
  const U = classes.map((_, ci) => sum(h.clsCum[ci]!, t - 363, t));
  const unitsBy = categories.map((_, k) => classes.reduce((s, c, ci) => s + (catOf[ci] === k ? c.units : 0), 0));
  const reqBy = categories.map((_, k) => U.reduce((s, u, ci) => s + (catOf[ci] === k ? u : 0), 0));
  const prior = classes.map((c, ci) => (unitsBy[catOf[ci]!]! > 0 ? (c.units / unitsBy[catOf[ci]!]!) * reqBy[catOf[ci]!]! : 0));
  let num = 0;
  let den = 0;
  classes.forEach((_, ci) => {
    num += (U[ci]! - prior[ci]!) ** 2 - dispersion[ci]! * prior[ci]!;
    den += prior[ci]! ** 2;
  });
  const tau2 = den > 0 ? Math.max(1e-4, num / den) : 1;
  const rate = classes.map((_, ci) => {
    const m = prior[ci]!;
    const w = (tau2 * m * m) / (tau2 * m * m + dispersion[ci]! * Math.max(m, 1e-9));
    return w * U[ci]! + (1 - w) * m;
  });
  const total = categories.map((_, k) => rate.reduce((s, r, ci) => s + (catOf[ci] === k ? r : 0), 0));
  return Float64Array.from(rate, (r, ci) => (total[catOf[ci]!]! > 0 ? r / total[catOf[ci]!]! : 0));
}

/** Forecast units requested per class on days t + 1 … end − 1: its category's forecast × its share. */
function classForecasts(p: Planner, t: number): Float64Array[] {
  const { classes, history: h } = p;
  const share = classShares(classes, h, t);
  const byCat = h.categories.map((_, k) => categoryForecast(h, k, t, p.ctx.nDays));
  return classes.map((_, ci) => {
    const f = byCat[h.catOf[ci]!]!;
    return Float64Array.from(f, (x) => x * share[ci]!);
  });
}

/** The static rule replayed on `budgetPaths` draws of the forecast demand from the state at t: the mean and sd of its unit-days over the evaluation. */
function staticForecast(p: Planner, t: number, states: readonly ClassState[]): { mean: number; sd: number } {
  const paths = Math.max(2, p.ctx.options.budgetPaths ?? 32);
  const forecasts = classForecasts(p, t);
  const totals: number[] = [];
  for (let path = 0; path < paths; path++) {
    let unitDays = 0;
    p.classes.forEach((_, ci) => (unitDays += staticPath(p, ci, states[ci]!, forecasts[ci]!, t)));
    totals.push(unitDays);
  }
  const mean = totals.reduce((a, b) => a + b, 0) / paths;
  const sd = Math.sqrt(totals.reduce((a, b) => a + (b - mean) ** 2, 0) / (paths - 1));
  return { mean, sd };
}

/** One class on one drawn path of the forecast demand under the static rule, from its state at t: its units owned summed over the evaluation. */
function staticPath(p: Planner, ci: number, st: ClassState, f: Float64Array, t: number): number {
  const { nDays: end, evalFrom, L } = p.ctx;
  const { budgetRng: rng, history: h } = p;
  const c = p.classes[ci]!;
  const horizon = end - t + 400;
  const back = new Float64Array(horizon);
  const arrive = new Float64Array(horizon);
  for (let d = t + 1; d < Math.min(end, t + L + 1); d++) arrive[d - t] += st.arriving(d);
  for (let d = t + 1; d < t + 400 && d - t < horizon; d++) back[d - t] += st.returning(d);
  let owned = st.owned;
  let out = st.out;
  let onOrder = st.onOrder;
  let unitDays = 0;
  const lengths = h.lengthSample[h.catOf[ci]!]!;
  const qtys = h.lineSample[ci]!;
  for (let d = t + 1; d < end; d++) {
    const i = d - t;
    out -= back[i]!;
    owned += arrive[i]!;
    onOrder -= arrive[i]!;
    let available = Math.max(0, owned - out);
    const n = rng.poisson(Math.max(0, f[d - t - 1]!) / h.meanQty[ci]!);
    for (let j = 0; j < n; j++) {
      const q = qtys[rng.int(0, qtys.length - 1)]!;
      const len = lengths.length > 0 ? lengths[rng.int(0, lengths.length - 1)]! : 1;
      const got = Math.min(q, available);
      if (got > 0) {
        available -= got;
        out += got;
        back[i + len]! += got;
      }
    }
    if (d >= evalFrom) unitDays += owned;
    const buy = staticOrder(c, owned, out, onOrder);
    if (buy > 0) {
      onOrder += buy;
      arrive[i + L]! += buy;
    }
  }
  return unitDays;
}

/**
 * Sets the budget at the first review: the static rule's forecast average units (or `inventoryBudget`), less
 * `budgetMarginSd` standard deviations of its replays.
 */
function setBudget(p: Planner, t: number, states: readonly ClassState[], unitDaysSoFar: number): void {
  const { nDays, evalFrom, options } = p.ctx;
  const evalDays = nDays - evalFrom;
  const s = staticForecast(p, t, states);
  // Unit-days before the forecast starts (t + 1) are the static rule's too: both hold the same fleet until then.
  const before = t + 1 > evalFrom ? unitDaysSoFar : 0;
  p.budget.staticForecastMean = (before + s.mean) / evalDays;
  p.budget.staticForecastSd = s.sd / evalDays;
  p.budget.avgUnits = options.inventoryBudget ?? p.budget.staticForecastMean - (options.budgetMarginSd ?? 0.5) * p.budget.staticForecastSd;
  p.budgetUnitDays = p.budget.avgUnits * evalDays;
}

/** One review at the end of day t (every `review` days from `actFrom`): the units to order of each class, or null between reviews. */
function review(p: Planner, t: number, states: readonly ClassState[], unitDaysSoFar: number): ArrayLike<number> | null {
  const { nDays: end, evalFrom, actFrom, L, review: every } = p.ctx;
  if ((t - actFrom) % every !== 0) return null;
  if (Number.isNaN(p.budgetUnitDays)) setBudget(p, t, states, unitDaysSoFar);
  const a0 = t + L;
  if (a0 >= end) return null;
  const blockStarts: number[] = [];
  for (let a = a0; a < end; a += every) blockStarts.push(a);
  // Unit-days spent (from evalFrom to t) and committed (units owned and on order, to the end).
  let committed = t >= evalFrom ? unitDaysSoFar : 0;
  for (const st of states) {
    committed += st.owned * (end - Math.max(t + 1, evalFrom));
    for (let d = t + 1; d <= t + L; d++) committed += st.arriving(d) * Math.max(0, end - Math.max(d, evalFrom));
  }
  const forecasts = classForecasts(p, t);
  const perClass = states.map((st, ci) => classPlan(p, ci, st, forecasts[ci]!, t));
  const allocation = allocateBudget({ classes: perClass, blockStarts, end, committed, budget: p.budgetUnitDays });
  // Calibration: the first block's days get exactly the units owned and on order plus what is bought now.
  if (t >= evalFrom - L) {
    for (let d = a0; d < Math.min(end, a0 + every); d++) if (d >= evalFrom) p.blockDays.push(d);
    perClass.forEach((pc, ci) => (p.expected += pc.firstBlock(allocation.buyNow[ci]!)));
  }
  return allocation.buyNow;
}

/**
 * A class's units on rent from the lead time on (units out now and due back later, rentals of the days before
 * still out, the day's own requests) as a stockout table: the value of each extra unit per block, and the expected
 * stockout days of the first block.
 */
function classPlan(p: Planner, ci: number, st: ClassState, f: Float64Array, t: number) {
  const { nDays: end, evalFrom, L, review: every, options } = p.ctx;
  const h = p.history;
  const a0 = t + L;
  const days = end - a0;
  // Units out now still out on day d: due back after d.
  const outAfter = new Float64Array(days);
  let later = 0;
  for (let d = t + 400; d > a0; d--) {
    later += st.returning(d);
    if (d - 1 < end) outAfter[d - 1 - a0] = later;
  }
  const so = h.stillOut[h.catOf[ci]!]!;
  const known = new Float64Array(days);
  const carried = new Float64Array(days);
  const today = new Float64Array(days);
  for (let i = 0; i < days; i++) {
    const d = a0 + i;
    // Units out now and due back after d; rentals of days t + 1 … d − 1 still out on d; the day's own requests.
    known[i] = outAfter[i]!;
    let m = 0;
    for (let j = 1; j < so.length && d - j > t; j++) m += f[d - j - t - 1]! * so[j]!;
    carried[i] = m;
    today[i] = f[d - t - 1]!;
  }
  const forecast = { known, carried, today, dispersion: h.dispersion[ci]!, meanQty: h.meanQty[ci]!, errorShare: options.forecastErrorShare ?? 0 };
  const table = stockoutTable(forecast, st.owned + st.onOrder);
  const layers = unitLayers(table, every);
  /** Expected stockout days on the first block's days with `extra` units more. */
  const firstBlock = (extra: number) => expectedStockoutDays(table, extra, Math.max(0, evalFrom - a0), Math.min(every, days));
  return { layers, firstBlock };
}
