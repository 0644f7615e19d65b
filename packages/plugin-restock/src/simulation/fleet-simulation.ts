import { normalQuantile } from '@rfid3/core';
import { Rng } from '@rfid3/core/simulator';
import { onRentDistribution } from '../policy/reorder-policy.js';

/** One rental class of the simulated fleet. */
export interface FleetClass {
  id: string;
  category: string;
  /** Units owned when the simulation starts. */
  units: number;
  /** Point of Rental's static levels for the class. */
  reorderMin: number;
  reorderMax: number;
  /** Mean units per contract line (lines are 1 + Poisson(meanQty − 1) units). */
  meanQty: number;
  /** Rental length in days, uniform on [lo, hi]. */
  rentalDays: [number, number];
  /** Expected units requested on each day (index 0 = first simulated day). */
  expected: ArrayLike<number>;
}

export interface FleetSimulationOptions {
  /** Day index from which stockouts and inventory are counted. */
  evalFrom: number;
  /** Day index from which both policies may order (default `evalFrom`: the days before are history). */
  actFrom?: number;
  /** Days from a purchase order to the units being rentable (default 14). */
  leadTimeDays?: number;
  /** Days from a sub-rental order to the units arriving (default 7). */
  subRentLeadDays?: number;
  /** Days a sub-rented unit is kept before it goes back (default 7). */
  subRentDays?: number;
  /** Weeks ahead the purchase decision looks (default 12). */
  purchaseHorizonWeeks?: number;
  /** Cycle service level the forecast policy protects each day (default 0.95). */
  serviceLevel?: number;
  /**
   * Let the forecast policy sub-rent peak shortfalls and buy only for the typical day (default false: on the
   * simulator it held more units for the same stockouts than buying for the busiest day of the horizon).
   */
  subRent?: boolean;
  seed?: number;
}

export interface PolicyOutcome {
  /** Class-days in the evaluation with requests that could not be served. */
  stockoutDays: number;
  /** Units on hand (owned plus sub-rented in), summed over classes, averaged over the evaluation days. */
  avgInventory: number;
  /** Units owned, summed over classes, averaged over the evaluation days. */
  avgOwned: number;
  unitsPurchased: number;
  /** Unit-days of sub-rented units. */
  subRentUnitDays: number;
  /** Units served ÷ units requested over the evaluation. */
  fillRate: number;
  /** Stockout days and units owned at the end, per class (input order). */
  byClass: { stockoutDays: number; finalUnits: number }[];
}

export interface FleetSimulationResult {
  days: number;
  evalDays: number;
  classes: number;
  policy: PolicyOutcome;
  baseline: PolicyOutcome;
  /** Share of evaluation class-days whose units on rent (requested) stayed within the policy's bound. */
  boundCoverage: number;
}

interface Line {
  qty: number;
  days: number;
}

interface State {
  ci: number;
  t: number;
  owned: number;
  out: number;
  onOrder: number;
  /** Sub-rented units on hand or arriving, per future day. */
  subRentedOn(day: number): number;
  /** Units out now still out on a future day (due dates are known). */
  outOn(day: number): number;
}

interface Decision {
  buy: number;
  subRent: number;
}

/**
 * Replays the same drawn requests (common random numbers) under two policies of a rental fleet:
 * Point of Rental's static (min, max) — when available + on order ≤ min, buy up to max — and the forecast
 * policy: own enough for the service-level bound of units on rent at once on the busiest day between the
 * purchase's arrival and the horizon (optionally: buy for the typical day and sub-rent the peaks). Units return after their rental; requests beyond the units on hand
 * are lost (a stockout day). Both start each class with the same fleet and the same history.
 */
export function simulateFleet(classes: readonly FleetClass[], options: FleetSimulationOptions): FleetSimulationResult {
  const L = options.leadTimeDays ?? 14;
  const Ls = options.subRentLeadDays ?? 7;
  const subRentDays = options.subRentDays ?? 7;
  const horizon = 7 * (options.purchaseHorizonWeeks ?? 12);
  const serviceLevel = options.serviceLevel ?? 0.95;
  const allowSubRent = options.subRent ?? false;
  const rng = new Rng(options.seed ?? 1);
  const nDays = classes[0]?.expected.length ?? 0;
  const evalFrom = options.evalFrom;
  const actFrom = options.actFrom ?? evalFrom;
  if (evalFrom < 1 || evalFrom >= nDays) throw new RangeError(`evalFrom must be within the ${nDays} simulated days`);
  const pad = nDays + horizon + L + 400;

  // Draw every request once: lines per class and day.
  const draws: Line[][][] = classes.map((c) =>
    Array.from({ length: nDays }, (_, d) => {
      const lines: Line[] = [];
      const n = rng.poisson(Math.max(0, c.expected[d]!) / c.meanQty);
      for (let i = 0; i < n; i++) lines.push({ qty: c.meanQty <= 1 ? 1 : 1 + rng.poisson(c.meanQty - 1), days: rng.int(c.rentalDays[0], c.rentalDays[1]) });
      return lines;
    }),
  );
  // Requests are what the forecast learns from (a rental counter records a request it cannot fill).
  const requested = draws.map((byDay) => byDay.map((lines) => lines.reduce((s, l) => s + l.qty, 0)));
  const categories = [...new Set(classes.map((c) => c.category))];
  const catIndex = classes.map((c) => categories.indexOf(c.category));
  const catRequested = categories.map((_, k) => {
    const out = new Float64Array(nDays);
    classes.forEach((_, ci) => {
      if (catIndex[ci] === k) for (let d = 0; d < nDays; d++) out[d] += requested[ci]![d]!;
    });
    return out;
  });
  const sum = (xs: ArrayLike<number>, from: number, to: number) => {
    let s = 0;
    for (let d = Math.max(0, from); d <= Math.min(xs.length - 1, to); d++) s += xs[d]!;
    return s;
  };
  const stillOut = classes.map((c) => (k: number) => {
    const [lo, hi] = c.rentalDays;
    return Math.min(1, Math.max(0, (hi - Math.max(k, lo - 1)) / (hi - lo + 1)));
  });
  const dispersion = classes.map((c) => (c.meanQty <= 1 ? 1 : (c.meanQty - 1 + c.meanQty ** 2) / c.meanQty));
  // Units on rent at once if every request had been served: what the policy's bound is checked against.
  const latentOut = classes.map(() => new Float64Array(pad));
  draws.forEach((byDay, ci) =>
    byDay.forEach((lines, d) => {
      for (const l of lines) for (let k = d; k < d + l.days; k++) latentOut[ci]![k] += l.qty;
    }),
  );

  /** Expected requests of class ci on day s, forecast at the end of day t: the category's level around that date a year earlier × its growth since × the class's share of the last year. */
  const forecastDay = (ci: number, t: number, s: number) => {
    const cat = catRequested[catIndex[ci]!]!;
    const lastYear = s - 364;
    let level: number;
    if (lastYear - 7 >= 0 && lastYear + 7 <= t) {
      level = sum(cat, lastYear - 7, lastYear + 7) / 15;
      const before = sum(cat, t - 27 - 364, t - 364);
      if (t - 364 >= 27 && before > 0) level *= Math.min(2, Math.max(0.5, sum(cat, t - 27, t) / before));
    } else {
      level = sum(cat, t - 27, t) / Math.min(28, t + 1);
    }
    const catYear = sum(cat, t - 363, t);
    return catYear > 0 ? (level * sum(requested[ci]!, t - 363, t)) / catYear : 0;
  };

  // Conformal calibration: standardised errors of the bound for day t + Ls, pooled over classes; once there
  // are enough, their service-level quantile replaces the normal z.
  const scores: number[] = [];
  const pending = new Map<number, { ci: number; mean: number; sd: number }[]>();
  const zNormal = normalQuantile(serviceLevel);
  let z = zNormal;
  let covered = 0;
  let checked = 0;

  const forecastPolicy = (s: State): Decision => {
    const { ci, t } = s;
    const expected = Array.from({ length: L + horizon }, (_, k) => forecastDay(ci, t, t + 1 + k));
    const bound = (day: number) => {
      const outThen = s.outOn(day);
      const dist = onRentDistribution(outThen, expected.slice(0, day - t), stillOut[ci]!, dispersion[ci]!);
      // Forecast error beyond Poisson noise: 15 % of the part still to be rented (the conformal step rescales it).
      const sd = Math.sqrt(dist.variance + (0.15 * (dist.mean - outThen)) ** 2);
      return { mean: dist.mean, sd, units: Math.ceil(dist.mean + z * sd) };
    };
    // Buy for the typical day of the weeks after the purchase would arrive (a lasting need), ...
    const needs: number[] = [];
    for (let day = t + L; day < t + L + horizon; day += 7) needs.push(bound(day).units);
    needs.sort((a, b) => a - b);
    const lasting = needs[Math.floor(needs.length / 2)]!;
    const buy = allowSubRent ? Math.max(0, lasting - (s.owned + s.onOrder)) : Math.max(0, needs[needs.length - 1]! - (s.owned + s.onOrder));
    // ... and sub-rent what the peak days need beyond it, a week at a time.
    const near = bound(t + Ls);
    const list = pending.get(t + Ls) ?? [];
    list.push({ ci, mean: near.mean, sd: near.sd });
    pending.set(t + Ls, list);
    let subRent = 0;
    if (allowSubRent) {
      let peak = 0;
      for (let day = t + Ls; day < t + Ls + subRentDays; day++) peak = Math.max(peak, bound(day).units - s.subRentedOn(day));
      const arriving = s.owned + (Ls >= L ? s.onOrder : 0);
      subRent = Math.max(0, peak - arriving);
    }
    return { buy, subRent };
  };

  const staticPolicy = (s: State): Decision => {
    const c = classes[s.ci]!;
    const position = s.owned - s.out + s.onOrder;
    return { buy: position <= c.reorderMin ? Math.max(0, c.reorderMax - position) : 0, subRent: 0 };
  };

  const run = (decide: (s: State) => Decision, calibrate: boolean): PolicyOutcome => {
    let stockoutDays = 0;
    let onHandDays = 0;
    let ownedDays = 0;
    let purchased = 0;
    let subRentUnitDays = 0;
    let served = 0;
    let asked = 0;
    const byClass = classes.map(() => ({ stockoutDays: 0, finalUnits: 0 }));
    const returns = classes.map(() => new Float64Array(pad));
    const arrivals = classes.map(() => new Float64Array(pad));
    const subRented = classes.map(() => new Float64Array(pad));
    const owned = classes.map((c) => c.units);
    const out = classes.map(() => 0);
    const onOrder = classes.map(() => 0);
    for (let t = 0; t < nDays; t++) {
      if (calibrate) {
        for (const p of pending.get(t) ?? []) {
          const actual = latentOut[p.ci]![t]!;
          scores.push((actual - p.mean) / Math.max(1e-9, p.sd));
          if (t >= evalFrom) {
            checked++;
            if (actual <= Math.ceil(p.mean + z * p.sd)) covered++;
          }
        }
        pending.delete(t);
        if (scores.length >= 500 && t % 7 === 0) {
          const sorted = [...scores].sort((a, b) => a - b);
          z = sorted[Math.min(sorted.length - 1, Math.ceil(serviceLevel * (sorted.length + 1)) - 1)]!;
        }
      }
      for (let ci = 0; ci < classes.length; ci++) {
        out[ci]! -= returns[ci]![t]!;
        owned[ci]! += arrivals[ci]![t]!;
        onOrder[ci]! -= arrivals[ci]![t]!;
        const onHand = owned[ci]! + subRented[ci]![t]!;
        // Units come back before they go out again, so `out` never exceeds what is on hand.
        let available = Math.max(0, onHand - out[ci]!);
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
            byClass[ci]!.stockoutDays++;
          }
          onHandDays += onHand;
          ownedDays += owned[ci]!;
          subRentUnitDays += subRented[ci]![t]!;
        }
        if (t >= actFrom) {
          const r = returns[ci]!;
          const d = decide({
            ci,
            t,
            owned: owned[ci]!,
            out: out[ci]!,
            onOrder: onOrder[ci]!,
            subRentedOn: (day) => subRented[ci]![day]!,
            outOn: (day) => {
              let s = 0;
              for (let k = day + 1; k < t + 400 && k < r.length; k++) s += r[k]!;
              return s;
            },
          });
          const buy = Math.round(d.buy);
          if (buy > 0) {
            purchased += buy;
            onOrder[ci]! += buy;
            arrivals[ci]![t + L]! += buy;
          }
          const sub = Math.round(d.subRent);
          for (let k = 0; sub > 0 && k < subRentDays; k++) subRented[ci]![t + Ls + k]! += sub;
        }
      }
    }
    const evalDays = nDays - evalFrom;
    owned.forEach((u, ci) => (byClass[ci]!.finalUnits = u));
    return {
      stockoutDays,
      avgInventory: onHandDays / evalDays,
      avgOwned: ownedDays / evalDays,
      unitsPurchased: purchased,
      subRentUnitDays,
      fillRate: asked > 0 ? served / asked : 1,
      byClass,
    };
  };

  const baseline = run(staticPolicy, false);
  const policy = run(forecastPolicy, true);
  return { days: nDays, evalDays: nDays - evalFrom, classes: classes.length, policy, baseline, boundCoverage: checked > 0 ? covered / checked : Number.NaN };
}
