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
 * of s the tail is interpolated linearly, so each extra unit has a value.
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
      v = (1 - fr) * ge(k) + fr * ge(k + 1);
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

/** One rental class to allocate: the value of each extra unit (layer) in each block of days. */
export interface AllocationClass {
  /**
   * `layers[j][k]`: expected stockout days that the (j + 1)-th unit above what is owned and on order avoids in
   * block k (nested: the j-th layer is only useful once the ones below it are there).
   */
  layers: readonly ArrayLike<number>[];
}

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
}

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
  let lo = 1e-9;
  if (plan(lo).unitDays <= budget) return finish(lo, plan(lo));
  for (let it = 0; it < 40 && hi / lo > 1.0001; it++) {
    const mid = Math.sqrt(lo * hi);
    if (plan(mid).unitDays > budget) lo = mid;
    else hi = mid;
  }
  return finish(hi, plan(hi));
}
