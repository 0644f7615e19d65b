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
  const rng = new Rng(options.seed ?? 1);
  const pad = nDays + L + 400;

  // Draw every request once: lines per class and day.
  const draws: Line[][][] = classes.map((c) =>
    Array.from({ length: nDays }, (_, d) => {
      const lines: Line[] = [];
      const n = rng.poisson(Math.max(0, c.expected[d]!) / c.meanQty);
      for (let i = 0; i < n; i++) lines.push({ qty: c.meanQty <= 1 ? 1 : 1 + rng.poisson(c.meanQty - 1), days: rng.int(c.rentalDays[0], c.rentalDays[1]) });
      return lines;
    }),
  );

  const run = (policy: Policy) => {
    let stockoutDays = 0;
    let unitDays = 0;
    let purchased = 0;
    let served = 0;
    let asked = 0;
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
        let available = Math.max(0, owned[ci]! - out[ci]!);
        let short = false;
        for (const line of draws[ci]![t]!) {
          const got = Math.min(line.qty, available);
          if (got < line.qty) short = true;
          if (got > 0) {
            available -= got;
            out[ci]! += got;
            returns[ci]![t + line.days]! += got;
          }
          if (t >= evalFrom) {
            served += got;
            asked += line.qty;
          }
        }
        if (t >= evalFrom) {
          if (short) {
            stockoutDays++;
            stockoutOn[t]++;
            byClass[ci]!.stockoutDays++;
          }
          unitDays += owned[ci]!;
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
      const buys = policy(t, states, unitDays);
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
      stockoutDays,
      avgInventory: unitDays / (nDays - evalFrom),
      unitsPurchased: purchased,
      fillRate: asked > 0 ? served / asked : 1,
      byClass,
    };
    return { outcome, stockoutOn };
  };

  const baseline = run((_, states) => states.map((s, ci) => staticOrder(classes[ci]!, s.owned, s.out, s.onOrder))).outcome;
  let movingAverageBaseline: PolicyOutcome | undefined;
  if (options.movingAverageBaseline) {
    const rule = options.movingAverageBaseline;
    const onRent = draws.map(onRentDemand);
    movingAverageBaseline = run((t, states) =>
      states.map((s, ci) => {
        const levels = movingAverageLevels(onRent[ci]!, t, rule);
        const position = s.owned + s.onOrder;
        return position < levels.reorderPoint ? levels.orderUpTo - position : 0;
      }),
    ).outcome;
  }
  const planner = forecastPolicy(classes, draws, { nDays, evalFrom, actFrom, L, review, options });
  const { outcome: policy, stockoutOn } = run(planner.decide);
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
  const { nDays, evalFrom, actFrom, L, review, options } = ctx;
  const end = nDays;
  const evalDays = nDays - evalFrom;
  const errShare = options.forecastErrorShare ?? 0;

  // What the business has recorded: units requested per class and day.
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
  const catCum = catRequested.map(prefix);
  const clsCum = requested.map(prefix);
  const bizCum = prefix(Float64Array.from({ length: nDays }, (_, d) => catRequested.reduce((s, r) => s + r[d]!, 0)));

  // Contract lines of the history (before the policy acts): rental lengths per category, units per line per class.
  const lengthCounts = categories.map(() => [] as number[]);
  const lineQty = classes.map(() => [] as number[]);
  draws.forEach((byDay, ci) => {
    for (let d = 0; d < actFrom; d++) {
      for (const l of byDay[d]!) {
        const counts = lengthCounts[catOf[ci]!]!;
        counts[l.days] = (counts[l.days] ?? 0) + 1;
        lineQty[ci]!.push(l.qty);
      }
    }
  });
  // stillOut[k][j] = P(a line rented j days before a day is still out that day) = P(length > j).
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

  const growth = (t: number) => {
    const w = Math.min(91, t - 364);
    if (w < 28) return 1;
    const before = sum(bizCum, t - w + 1 - 364, t - 364);
    return before > 0 ? sum(bizCum, t - w + 1, t) / before : 1;
  };
  /** Forecast units requested per category on days t + 1 … end − 1 (index s − t − 1). */
  const categoryForecast = (k: number, t: number): Float64Array => {
    const cc = catCum[k]!;
    const year = sum(cc, t - 363, t);
    const weekday = new Float64Array(7).fill(1);
    if (year > 0) {
      for (let w = 0; w < 7; w++) {
        let s = 0;
        for (let d = t - 363 + w; d <= t; d += 7) s += d >= 0 ? catRequested[k]![d]! : 0;
        weekday[w] = (s * 7) / year;
      }
    }
    const g = growth(t);
    const f = new Float64Array(Math.max(0, end - t - 1));
    for (let s = t + 1; s < end; s++) {
      const lo = s - 364 - 7;
      const hi = Math.min(s - 364 + 7, t);
      const level = hi - lo + 1 >= 8 && lo >= 0 ? sum(cc, lo, hi) / (hi - lo + 1) : sum(cc, t - 27, t) / Math.min(28, t + 1);
      f[s - t - 1] = level * g * weekday[(((s - (t - 363)) % 7) + 7) % 7]!;
    }
    return f;
  };
  const shares = (t: number): Float64Array => {
    const U = classes.map((_, ci) => sum(clsCum[ci]!, t - 363, t));
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
  };
  const classForecasts = (t: number) => {
    const share = shares(t);
    const byCat = categories.map((_, k) => categoryForecast(k, t));
    return classes.map((_, ci) => {
      const f = byCat[catOf[ci]!]!;
      return Float64Array.from(f, (x) => x * share[ci]!);
    });
  };

  // The static rule replayed on draws of the forecast demand from the state at t: its average units owned over the evaluation.
  const budgetRng = new Rng(((options.seed ?? 1) * 7919 + 17) >>> 0);
  const staticForecast = (t: number, states: readonly ClassState[]) => {
    const paths = Math.max(2, options.budgetPaths ?? 32);
    const forecasts = classForecasts(t);
    const totals: number[] = [];
    for (let p = 0; p < paths; p++) {
      let unitDays = 0;
      classes.forEach((c, ci) => {
        const st = states[ci]!;
        const f = forecasts[ci]!;
        const horizon = end - t + 400;
        const back = new Float64Array(horizon);
        const arrive = new Float64Array(horizon);
        for (let d = t + 1; d < Math.min(end, t + L + 1); d++) arrive[d - t] += st.arriving(d);
        for (let d = t + 1; d < t + 400 && d - t < horizon; d++) back[d - t] += st.returning(d);
        let owned = st.owned;
        let out = st.out;
        let onOrder = st.onOrder;
        const lengths = lengthSample[catOf[ci]!]!;
        const qtys = lineSample[ci]!;
        for (let d = t + 1; d < end; d++) {
          const i = d - t;
          out -= back[i]!;
          owned += arrive[i]!;
          onOrder -= arrive[i]!;
          let available = Math.max(0, owned - out);
          const n = budgetRng.poisson(Math.max(0, f[d - t - 1]!) / meanQty[ci]!);
          for (let j = 0; j < n; j++) {
            const q = qtys[budgetRng.int(0, qtys.length - 1)]!;
            const len = lengths.length > 0 ? lengths[budgetRng.int(0, lengths.length - 1)]! : 1;
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
      });
      totals.push(unitDays);
    }
    const mean = totals.reduce((a, b) => a + b, 0) / paths;
    const sd = Math.sqrt(totals.reduce((a, b) => a + (b - mean) ** 2, 0) / (paths - 1));
    return { mean, sd };
  };

  const budget = { avgUnits: Number.NaN, staticForecastMean: Number.NaN, staticForecastSd: Number.NaN };
  let budgetUnitDays = Number.NaN;
  const blockDays: number[] = [];
  let expected = 0;

  const decide: Policy = (t, states, unitDaysSoFar) => {
    if ((t - actFrom) % review !== 0) return null;
    if (Number.isNaN(budgetUnitDays)) {
      const s = staticForecast(t, states);
      // Unit-days before the forecast starts (t + 1) are the static rule's too: both hold the same fleet until then.
      const before = t + 1 > evalFrom ? unitDaysSoFar : 0;
      budget.staticForecastMean = (before + s.mean) / evalDays;
      budget.staticForecastSd = s.sd / evalDays;
      budget.avgUnits = options.inventoryBudget ?? budget.staticForecastMean - (options.budgetMarginSd ?? 0.5) * budget.staticForecastSd;
      budgetUnitDays = budget.avgUnits * evalDays;
    }
    const a0 = t + L;
    if (a0 >= end) return null;
    const blockStarts: number[] = [];
    for (let a = a0; a < end; a += review) blockStarts.push(a);
    // Unit-days spent (from evalFrom to t) and committed (units owned and on order, to the end).
    let committed = t >= evalFrom ? unitDaysSoFar : 0;
    const forecasts = classForecasts(t);
    const days = end - a0;
    const perClass = classes.map((_, ci) => {
      const st = states[ci]!;
      committed += st.owned * (end - Math.max(t + 1, evalFrom));
      for (let d = t + 1; d <= t + L; d++) committed += st.arriving(d) * Math.max(0, end - Math.max(d, evalFrom));
      const f = forecasts[ci]!;
      // Units out now still out on day d: due back after d.
      const outAfter = new Float64Array(days);
      let later = 0;
      for (let d = t + 400; d > a0; d--) {
        later += st.returning(d);
        if (d - 1 < end) outAfter[d - 1 - a0] = later;
      }
      const so = stillOut[catOf[ci]!]!;
      const disp = dispersion[ci]!;
      const u0 = st.owned + st.onOrder;
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
      const table = stockoutTable({ known, carried, today, dispersion: disp, meanQty: meanQty[ci]!, errorShare: errShare }, u0);
      const layers = unitLayers(table, review);
      /** Expected stockout days on the first block's days with `extra` units more. */
      const firstBlock = (extra: number) => expectedStockoutDays(table, extra, Math.max(0, evalFrom - a0), Math.min(review, days));
      return { layers, firstBlock };
    });
    const allocation = allocateBudget({ classes: perClass, blockStarts, end, committed, budget: budgetUnitDays });
    // Calibration: the first block's days get exactly the units owned and on order plus what is bought now.
    if (t >= evalFrom - L) {
      for (let d = a0; d < Math.min(end, a0 + review); d++) if (d >= evalFrom) blockDays.push(d);
      perClass.forEach((pc, ci) => (expected += pc.firstBlock(allocation.buyNow[ci]!)));
    }
    return allocation.buyNow;
  };
  return { decide, budget, blockDays, expectedStockoutDays: () => expected };
}
