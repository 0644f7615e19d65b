import { erfc } from '@rfid3/core';

/**
 * Inventory-neutral allocation of a rental fleet: spend a budget of unit-days where one more unit avoids the most
 * expected stockout days.
 */

let scratch = new Float64Array(256);

/**
 * P(units on rent on a day > u) for u = from, from + 1, …, from + count − 1, written to out[offset …], when `known`
 * units are certainly out that day and the rest (rentals still to come) has the given mean and variance. The
 * uncertain part is a scaled Poisson, s·N with N ~ Poisson(mean / s) and s = variance / mean ≥ 1 (compound
 * Poisson rentals of lines of several units): exact for one-unit lines, and right in the tail for small fleets,
 * where a normal approximation understates the chance of a busy day several times over. Between the multiples
 * of s the tail is interpolated linearly, so each extra unit has a value; it never rises with u.
 */
export function onRentTails(known: number, mean: number, variance: number, from: number, count: number, out: Float64Array, offset = 0): void {
  const m = Math.max(0, mean);
  const scale = m > 1e-9 ? Math.max(1, variance / m) : 1;
  const mu = m / scale;
  if (mu > 600) {
    // A large fleet: the normal approximation is good and the Poisson recursion would underflow.
    const sd = Math.sqrt(Math.max(variance, 1e-9));
    for (let j = 0; j < count; j++) out[offset + j] = 0.5 * erfc((from + j + 0.5 - known - m) / (sd * Math.SQRT2));
    return;
  }
  // atLeast[k] = P(N ≥ k), for k up to the largest the levels need.
  const kMax = Math.max(1, Math.min(Math.ceil(mu + 12 * Math.sqrt(mu) + 14), Math.floor((from + count - known) / scale) + 3));
  if (scratch.length < kMax + 2) scratch = new Float64Array(2 * (kMax + 2));
  const atLeast = scratch;
  let p = Math.exp(-mu);
  let cdf = 0;
  atLeast[0] = 1;
  for (let k = 0; k <= kMax; k++) {
    cdf += p;
    atLeast[k + 1] = Math.max(0, 1 - cdf);
    p *= mu / (k + 1);
  }
  const ge = (k: number) => (k <= 0 ? 1 : k > kMax + 1 ? 0 : atLeast[k]!);
  for (let j = 0; j < count; j++) {
    const y = from + j - known;
    let v: number;
    if (y < 0) v = 1;
    else if (scale <= 1.0001) v = ge(Math.floor(y + 1e-9) + 1);
    else {
      const x = y / scale + 0.5;
      const k = Math.floor(x);
      const fr = x - k;
      // N = 0 is no rental at all, exactly `known` units: its mass is not spread above them (else P(X > known) would
      // be at least one half whatever the mean, and a fleet with every unit out would look short on a quiet day).
      v = k === 0 ? ge(1) : (1 - fr) * ge(k) + fr * ge(k + 1);
    }
    out[offset + j] = v;
  }
}

/** P(units on rent on a day > u), as `onRentTails` computes it, for one u. */
export function onRentTail(known: number, mean: number, variance: number, u: number): number {
  const out = new Float64Array(1);
  onRentTails(known, mean, variance, u, 1, out);
  return out[0]!;
}

/** The forecast of units on rent of one class, day by day, that a stockout table is computed from. */
export interface OnRentForecast {
  /** Units out now (known rentals) still out on each day. */
  known: ArrayLike<number>;
  /** Expected units of the forecast rentals of earlier days still out on each day. */
  carried: ArrayLike<number>;
  /** Expected units requested on each day. */
  today: ArrayLike<number>;
  /** E[q²] ÷ E[q] of the units q per contract line (compound Poisson: variance = mean × dispersion). */
  dispersion: number;
  /** Mean units per contract line (a day without a line cannot be short). */
  meanQty: number;
  /** Standard deviation of the forecast's error as a share of the units it expects on rent (default 0). */
  errorShare?: number;
  /** Further variance of the units on rent with the day's requests (e.g. from the forecast's intervals), per day. */
  errorVariance?: ArrayLike<number>;
  /** Further variance of the units on rent from the earlier days' rentals only, per day. */
  carriedErrorVariance?: ArrayLike<number>;
}

/** P(a request of a day goes unserved) for each day and each number of units from `from` up. */
export interface StockoutTable {
  days: number;
  /** Units the first column stands for. */
  from: number;
  /** Columns: units from, from + 1, …, from + width − 1 (beyond the last, the chance is negligible). */
  width: number;
  /** p[i · width + j]: P(a request of day i goes unserved with from + j units). */
  p: Float64Array;
}

/**
 * The units on rent of day i as `onRentTails` reads them: `known` certain units, the rentals still to come with the
 * day's requests (mean, variance), the same without the day's requests (carried), and P(no request that day).
 */
export function dayOnRent(f: OnRentForecast, i: number): { known: number; mean: number; variance: number; carriedMean: number; carriedVariance: number; noRequest: number } {
  const e = f.errorShare ?? 0;
  const carried = f.carried[i]!;
  const all = carried + f.today[i]!;
  return {
    known: f.known[i]!,
    mean: all,
    variance: all * f.dispersion + (e * all) ** 2 + (f.errorVariance?.[i] ?? 0),
    carriedMean: carried,
    carriedVariance: carried * f.dispersion + (e * carried) ** 2 + (f.carriedErrorVariance?.[i] ?? 0),
    noRequest: Math.exp(-f.today[i]! / f.meanQty),
  };
}

/**
 * Day by day, the chance that a request goes unserved with u = from, from + 1, … units: short on a day when the
 * units on rent with the day's requests exceed the units, unless the day had no request (then the units still
 * out from earlier days exceeding u are no stockout). Columns go up to where even a busy day is served.
 */
export function stockoutTable(f: OnRentForecast, from: number): StockoutTable {
  const days = f.today.length;
  const e = f.errorShare ?? 0;
  let top = from;
  for (let i = 0; i < days; i++) {
    const d = dayOnRent(f, i);
    top = Math.max(top, Math.ceil(d.known + d.mean * (1 + 3 * e) + 8 * Math.sqrt(d.mean * f.dispersion + (f.errorVariance?.[i] ?? 0)) + 2));
  }
  const width = top - from + 1;
  const p = new Float64Array(days * width);
  const busy = new Float64Array(width);
  for (let i = 0; i < days; i++) {
    const d = dayOnRent(f, i);
    onRentTails(d.known, d.mean, d.variance, from, width, p, i * width);
    onRentTails(d.known, d.carriedMean, d.carriedVariance, from, width, busy);
    for (let j = 0; j < width; j++) p[i * width + j] = Math.max(0, p[i * width + j]! - d.noRequest * busy[j]!);
  }
  return { days, from, width, p };
}

/** Expected stockout days over days [fromDay, toDay) of a table with `extra` units above its first column. */
export function expectedStockoutDays(t: StockoutTable, extra = 0, fromDay = 0, toDay = t.days): number {
  const j = Math.min(Math.max(0, extra), t.width - 1);
  let e = 0;
  for (let i = Math.max(0, fromDay); i < Math.min(toDay, t.days); i++) e += t.p[i * t.width + j]!;
  return e;
}

/**
 * The layers of `AllocationClass`: for the (j + 1)-th unit above `units` (default: the table's first column), the
 * expected stockout days it avoids in each block of `blockDays` days from `fromDay` (days before it are left out:
 * units bought now arrive on it). Stops at the first unit that avoids less than 1e-4 stockout days in all.
 */
export function unitLayers(t: StockoutTable, blockDays: number, fromDay = 0, units = t.from): Float64Array[] {
  const nBlocks = Math.max(0, Math.ceil((t.days - fromDay) / blockDays));
  const layers: Float64Array[] = [];
  for (let j = Math.max(0, units - t.from) + 1; j < t.width; j++) {
    const values = new Float64Array(nBlocks);
    let total = 0;
    for (let i = Math.max(0, fromDay); i < t.days; i++) {
      const gain = t.p[i * t.width + j - 1]! - t.p[i * t.width + j]!;
      values[Math.floor((i - fromDay) / blockDays)] += gain;
      total += gain;
    }
    if (total < 1e-4) break;
    layers.push(values);
  }
  return layers;
}

/**
 * The stockout days that the 1st, 2nd, … unit above `units` avoids over days [fromDay, toDay), on the concave
 * envelope of the total avoided: a class far short of its peak gains little from its first extra unit alone (it is
 * short anyway) but much from enough of them together, so units that only help together share their value evenly.
 * Trailing units avoiding less than 1e-4 are left out. With one block, the values are non-increasing, as the
 * greedy `allocateBudget` needs.
 */
export function concaveUnitValues(t: StockoutTable, units: number, fromDay = 0, toDay = t.days): number[] {
  const col = Math.max(0, units - t.from);
  const total = (j: number) => expectedStockoutDays(t, j, fromDay, toDay);
  const gains: number[] = [];
  const base = total(col);
  for (let j = col + 1; j < t.width; j++) gains.push(base - total(j));
  // Upper concave hull of (k, avoided by k units), k = 0 … n.
  const hull: number[] = [0];
  const y = (k: number) => (k === 0 ? 0 : gains[k - 1]!);
  for (let k = 1; k <= gains.length; k++) {
    while (hull.length >= 2) {
      const a = hull[hull.length - 2]!;
      const b = hull[hull.length - 1]!;
      if ((y(b) - y(a)) * (k - a) <= (y(k) - y(a)) * (b - a)) hull.pop();
      else break;
    }
    hull.push(k);
  }
  const values: number[] = [];
  for (let h = 1; h < hull.length; h++) {
    const a = hull[h - 1]!;
    const b = hull[h]!;
    const slope = (y(b) - y(a)) / (b - a);
    for (let k = a; k < b; k++) values.push(slope);
  }
  while (values.length && values[values.length - 1]! < 1e-4) values.pop();
  return values;
}

/** One rental class to allocate: the value of each extra unit (layer) in each block of days. */
export interface AllocationClass {
  /**
   * `layers[j][k]`: expected stockout days that the (j + 1)-th unit above what is owned and on order avoids in
   * block k (nested: the j-th layer is only useful once the ones below it are there).
   */
  layers: readonly ArrayLike<number>[];
}

/** Input of `allocateBudget`: the classes with their unit layers, the arrival blocks and the budget in unit-days. */
export interface AllocationInput {
  classes: readonly AllocationClass[];
  /** First day of each block (ascending); a unit bought for block k arrives on blockStarts[k]. */
  blockStarts: readonly number[];
  /** Day the budget period ends (exclusive): a unit arriving on day a costs `end − a` unit-days. */
  end: number;
  /** Unit-days already spent or committed (units owned and on order, to the end). */
  committed: number;
  /** Unit-days the period may hold in all. */
  budget: number;
  /** Expected stockout days one unit-day must avoid at least (default: any positive value). */
  minPrice?: number;
}

/** What `allocateBudget` decides: the budget's shadow price and, per class, units to buy now and the layers planned later. */
export interface Allocation {
  /** Expected stockout days one unit-day must avoid to be bought (the budget's shadow price). */
  price: number;
  /** Units to order now (arriving at blockStarts[0]), per class. */
  buyNow: number[];
  /** Block each class's layers are planned to arrive in (blockStarts.length = never), per class. */
  planned: number[][];
  /** Unit-days committed plus planned. */
  unitDays: number;
  /** Expected stockout days the planned units avoid. */
  avoided: number;
}

/**
 * Greedy allocation of a unit-day budget by marginal value: at a shadow price λ every layer of every class is
 * bought for the block that maximises (stockout days it avoids from then to the end) − λ · (unit-days it is
 * held), or not at all when nothing beats zero; λ is the smallest price (bisection) at which committed plus planned
 * unit-days fit the budget. Units are never sold, so a layer once bought is held to the end; layers of a class
 * arrive in order. When the budget is already spent nothing is bought.
 */
export function allocateBudget(input: AllocationInput): Allocation {
  const { classes, blockStarts, end, committed, budget } = input;
  const nBlocks = blockStarts.length;
  const cost = blockStarts.map((a) => Math.max(0, end - a));
  // Suffix sums: a layer arriving in block k avoids suffix[k].
  const suffixes = classes.map((c) =>
    c.layers.map((values) => {
      const s = new Float64Array(nBlocks + 1);
      for (let k = nBlocks - 1; k >= 0; k--) s[k] = s[k + 1]! + (values[k] ?? 0);
      return s;
    }),
  );
  const plan = (price: number) => {
    let unitDays = committed;
    let avoided = 0;
    const planned = suffixes.map((layers) => {
      const blocks: number[] = [];
      let first = 0;
      for (const s of layers) {
        let best = 0;
        let at = -1;
        for (let k = first; k < nBlocks; k++) {
          const gain = s[k]! - price * cost[k]!;
          if (gain > best) {
            best = gain;
            at = k;
          }
        }
        if (at < 0) break;
        blocks.push(at);
        unitDays += cost[at]!;
        avoided += s[at]!;
        first = at;
      }
      return blocks;
    });
    return { unitDays, avoided, planned };
  };
  const finish = (price: number, r: ReturnType<typeof plan>): Allocation => ({
    price,
    buyNow: r.planned.map((blocks) => blocks.filter((k) => k === 0).length),
    planned: r.planned,
    unitDays: r.unitDays,
    avoided: r.avoided,
  });
  if (nBlocks === 0 || committed >= budget) return finish(Number.POSITIVE_INFINITY, { unitDays: committed, avoided: 0, planned: classes.map(() => []) });
  // λ above every layer's value per unit-day buys nothing.
  let hi = 1;
  for (const layers of suffixes) for (const s of layers) for (let k = 0; k < nBlocks; k++) if (cost[k]! > 0) hi = Math.max(hi, (2 * s[k]!) / cost[k]!);
  let lo = Math.max(1e-9, input.minPrice ?? 0);
  if (plan(lo).unitDays <= budget) return finish(lo, plan(lo));
  hi = Math.max(hi, lo);
  for (let it = 0; it < 40 && hi / lo > 1.0001; it++) {
    const mid = Math.sqrt(lo * hi);
    if (plan(mid).unitDays > budget) lo = mid;
    else hi = mid;
  }
  return finish(hi, plan(hi));
}
