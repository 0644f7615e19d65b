import { describe, expect, it } from 'vitest';
import { Rng } from '@rfid3/core/simulator';
import type { CapacityHistory, ClassCapacityHistory, DailyDemandSeries } from '../src/index.js';
import { censoredElasticities, dailyDemandSeries, fitCensoredElasticity, poissonUpperTail } from '../src/index.js';

/**
 * A plain generated history, not the simulator's: `classes` classes over `n` days from 2024-01-01, each with
 * Poisson demand at mean level × weekday factor × (price/p0)^ε, the price switching between a few levels every
 * `block` days, and a daily capacity: the rentals written are min(demand, capacity), and a day is sold out
 * when demand reached the capacity.
 */
function generate(seed: number, { classes = 6, n = 540, elasticity = -0.7, level = 4, capacityShare = 1.1, block = 30 } = {}): DailyDemandSeries[] {
  const rng = new Rng(seed);
  const weekdayFactor = [0.6, 0.8, 0.8, 0.9, 1.1, 1.4, 1.4];
  const days = Array.from({ length: n }, (_, d) => new Date(Date.UTC(2024, 0, 1 + d)).toISOString().slice(0, 10));
  return Array.from({ length: classes }, (_, c) => {
    const p0 = 20 + 10 * c;
    const lvl = level * (0.6 + 0.2 * c);
    const cap = Math.max(1, Math.round(lvl * capacityShare));
    const counts = new Float64Array(n);
    const prices = new Float64Array(n);
    const censored = new Uint8Array(n);
    let price = p0;
    for (let d = 0; d < n; d++) {
      if (d % block === 0) price = p0 * [0.8, 0.9, 1, 1.1, 1.2][rng.int(0, 4)]!;
      prices[d] = price;
      const demand = rng.poisson(lvl * weekdayFactor[new Date(`${days[d]}T00:00:00Z`).getUTCDay()]! * (price / p0) ** elasticity);
      counts[d] = Math.min(demand, cap);
      censored[d] = demand >= cap ? 1 : 0;
    }
    return { rentalClass: `C${c}`, days, counts, prices, censored };
  });
}

describe('censored Poisson elasticity', () => {
  it('P(N ≥ l) matches the summed pmf in both tails', () => {
    for (const [l, mu] of [
      [0, 3],
      [1, 0.2],
      [3, 3],
      [10, 2],
      [40, 5],
      [5, 30],
    ] as const) {
      let below = 0;
      let logp = -mu;
      for (let k = 0; k < l; k++) {
        below += Math.exp(logp);
        logp += Math.log(mu / (k + 1));
      }
      const tail = poissonUpperTail(l, mu);
      if (l <= mu) expect(tail).toBeCloseTo(1 - below, 10);
      else expect(Math.abs(Math.log(tail) - Math.log(1 - below || tail))).toBeLessThan(1e-6 + (1 - below < 1e-12 ? 1 : 0));
    }
    // Far in the upper tail it stays accurate where 1 − cdf would underflow to 0.
    expect(poissonUpperTail(60, 2)).toBeGreaterThan(0);
    expect(poissonUpperTail(60, 2)).toBeLessThan(1e-40);
  });

  it('recovers the elasticity from a series with sell-outs where the naive fit is biased towards zero', () => {
    const truth = -0.7;
    let censoredErr = 0;
    let naiveErr = 0;
    let covered = 0;
    const runs = 6;
    for (let seed = 1; seed <= runs; seed++) {
      const series = generate(seed, { elasticity: truth });
      const share = series.reduce((s, x) => s + Array.from(x.censored).filter((c) => c > 0).length, 0) / series.reduce((s, x) => s + x.days.length, 0);
      expect(share).toBeGreaterThan(0.2);
      const fit = fitCensoredElasticity(series, { trend: false });
      const naive = fitCensoredElasticity(series, { censoring: false, trend: false });
      expect(fit.converged).toBe(true);
      // The naive fit reads the capped counts as demand: cheap days are undercounted, the slope flattens.
      expect(naive.elasticity).toBeGreaterThan(truth + 2 * naive.se);
      if (Math.abs(fit.elasticity - truth) <= 1.96 * fit.se) covered++;
      censoredErr += Math.abs(fit.elasticity - truth);
      naiveErr += Math.abs(naive.elasticity - truth);
    }
    expect(covered).toBeGreaterThanOrEqual(runs - 1);
    expect(censoredErr).toBeLessThan(naiveErr / 3);
  });

  it('without sell-outs the censored and naive fits agree', () => {
    const series = generate(9, { capacityShare: 50 });
    expect(series.every((s) => Array.from(s.censored).every((c) => c === 0))).toBe(true);
    const a = fitCensoredElasticity(series);
    const b = fitCensoredElasticity(series, { censoring: false });
    expect(a.elasticity).toBeCloseTo(b.elasticity, 8);
    expect(a.se).toBeCloseTo(b.se, 8);
  });

  it('gives each class whose price changed its own slope, near the truth it was generated with', () => {
    const rng = new Rng(3);
    const base = generate(4, { classes: 4, n: 720, level: 8, capacityShare: 1.3 });
    // Class 3 made twice as elastic by regenerating its counts.
    const days = base[3]!.days;
    const s3 = base[3]!;
    for (let d = 0; d < days.length; d++) {
      const demand = rng.poisson(8 * 1.2 * (s3.prices[d]! / 50) ** -1.6);
      (s3.counts as Float64Array)[d] = Math.min(demand, Math.round(8 * 1.2 * 1.3));
      (s3.censored as Uint8Array)[d] = demand >= Math.round(8 * 1.2 * 1.3) ? 1 : 0;
    }
    const fit = fitCensoredElasticity(base, { classSlopes: true, trend: false, seasonControls: false });
    const own = fit.classes.get('C3')!;
    expect(Math.abs(own.elasticity + 1.6)).toBeLessThan(3 * own.se);
    expect(Math.abs(fit.classes.get('C0')!.elasticity + 0.7)).toBeLessThan(3 * fit.classes.get('C0')!.se);
    expect(own.elasticity).toBeLessThan(fit.classes.get('C0')!.elasticity);
  });
});

describe('censoredElasticities over a capacity history', () => {
  /** Generated series laid out as a capacity history: a sold-out day has units on rent at the fleet size. */
  function history(): CapacityHistory {
    const classes = new Map<string, ClassCapacityHistory>();
    let days: readonly string[] = [];
    for (const [category, seed, elasticity] of [
      ['Tents', 11, -0.6],
      ['Linens', 12, -1.5],
      ['Chairs', 13, -1.0],
    ] as const) {
      const series = generate(seed, { classes: 5, n: 540, elasticity, level: 6, capacityShare: 1.2 });
      // One class in each category never changes its price.
      const fixed = series[4]!;
      (fixed.prices as Float64Array).fill(fixed.prices[fixed.prices.length - 1]!);
      days = series[0]!.days;
      for (const s of series) {
        const units = Math.max(...Array.from(s.counts));
        const onRent = Float64Array.from(Array.from(s.counts), (c, d) => (s.censored[d]! > 0 ? units : Math.min(c, units - 1)));
        classes.set(`${category}-${s.rentalClass}`, {
          rentalClass: `${category}-${s.rentalClass}`,
          category,
          units,
          inRepair: 0,
          onRent,
          prices: Float64Array.from(s.prices),
          newLines: Float64Array.from(s.counts),
          lines: 0,
          unitsOut: 0,
          unitDays: 0,
        });
      }
    }
    return { from: days[0]!, through: days[days.length - 1]!, days: [...days], classes };
  }

  it('reads sold-out days from units on rent, and gives every class an estimate, pooled classes wider than their category', () => {
    const h = history();
    const one = h.classes.get('Tents-C0')!;
    expect(Array.from(dailyDemandSeries(h, one).censored).filter((c) => c > 0).length).toBeGreaterThan(30);
    const { classes, categories } = censoredElasticities(h);
    expect(classes.size).toBe(15);
    const tents = categories.find((c) => c.group === 'Tents')!;
    const linens = categories.find((c) => c.group === 'Linens')!;
    // The two categories stay apart: shrinkage towards the mean does not erase a difference the data show.
    expect(linens.elasticity).toBeLessThan(tents.elasticity);
    for (const cat of ['Tents', 'Linens', 'Chairs']) {
      const fixed = classes.get(`${cat}-C4`)!;
      const est = categories.find((c) => c.group === cat)!;
      expect(fixed.own).toBeNull();
      expect(fixed.weight).toBe(0);
      expect(fixed.elasticity).toBeCloseTo(est.elasticity, 10);
      expect(fixed.se).toBeGreaterThan(est.se);
      expect(classes.get(`${cat}-C0`)!.own).not.toBeNull();
    }
  });
});
