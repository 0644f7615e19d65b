import { Rng } from '@rfid3/core/simulator';
import { describe, expect, it } from 'vitest';
import { countCdf, countInterval, countQuantile, fitNegativeBinomialSize, logGamma, nearestCountInterval } from '../src/counts.js';
import { countIntervals, fitCountBuckets } from '../src/models/ensemble.js';

/** Negative binomial draws as a gamma–Poisson mixture: mean m, size r. */
function nbDraws(rng: Rng, m: number, r: number, n: number): number[] {
  return Array.from({ length: n }, () => rng.poisson(rng.gamma(r, m / r)));
}

describe('count distributions', () => {
  it('gives the Poisson quantiles and cdf when the variance is the mean', () => {
    // Poisson(3): P(X ≤ 0) = 0.0498, P(X ≤ 1) = 0.199, P(X ≤ 4) = 0.815, P(X ≤ 5) = 0.916.
    expect(countCdf(3, 3, 0)).toBeCloseTo(0.0498, 4);
    expect(countCdf(3, 3, 4)).toBeCloseTo(0.8153, 4);
    expect(countQuantile(3, 3, 0.1)).toBe(1);
    expect(countQuantile(3, 3, 0.9)).toBe(5);
    expect(countInterval(3, 3, 0.8)).toEqual({ lower: 1, upper: 5 });
  });

  it('takes the range whose probability is nearest the level, always holding the forecast', () => {
    // The central [1, 5] holds 86.6 %; [1, 4] holds 76.5 %, nearer 80 %.
    expect(nearestCountInterval(3, 3, 0.8)).toEqual({ lower: 1, upper: 4 });
    // A forecast of 0.3: [0, 0] would hold 74 % but not the forecast; the range stays [0, 1].
    expect(nearestCountInterval(0.3, 0.3, 0.8)).toEqual({ lower: 0, upper: 1 });
    // Over many days of different means, the nearest ranges hold close to 80 % on average.
    const means = Array.from({ length: 200 }, (_, i) => 0.5 + i * 0.1);
    const held = means.map((m) => {
      const iv = nearestCountInterval(m, m + (m * m) / 4, 0.8);
      return countCdf(m, m + (m * m) / 4, iv.upper) - countCdf(m, m + (m * m) / 4, iv.lower - 1);
    });
    const avg = held.reduce((a, b) => a + b, 0) / held.length;
    expect(avg).toBeGreaterThan(0.77);
    expect(avg).toBeLessThan(0.83);
  });

  it('computes ln Γ as the sum of logs it stands in for', () => {
    for (const r of [0.05, 0.7, 3, 250]) {
      let sum = 0;
      for (let j = 0; j < 60; j++) sum += Math.log(r + j);
      expect(logGamma(r + 60) - logGamma(r)).toBeCloseTo(sum, 8);
    }
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
  });

  it('recovers the negative binomial size (also of large counts) by maximum likelihood, and finds Poisson data near-Poisson', () => {
    const rng = new Rng(5);
    const y = nbDraws(rng, 10, 3, 4000);
    const r = fitNegativeBinomialSize(y, new Array(y.length).fill(10));
    expect(r).toBeGreaterThan(2.5);
    expect(r).toBeLessThan(3.6);
    const p = Array.from({ length: 4000 }, () => rng.poisson(6));
    expect(fitNegativeBinomialSize(p, new Array(p.length).fill(6))).toBeGreaterThan(50);
    const big = nbDraws(rng, 80, 5, 4000);
    const rb = fitNegativeBinomialSize(big, new Array(big.length).fill(80));
    expect(rb).toBeGreaterThan(4.3);
    expect(rb).toBeLessThan(5.8);
  });

  it('fits a count distribution per week of horizon whose 80 % ranges hold about 80 % of fresh draws', () => {
    const rng = new Rng(9);
    // Inner forecasts f with what followed them: NB(f, size 4) in week 1, NB(f, size 1) in week 2 (noisier).
    const pairs = Array.from({ length: 1400 }, (_, i) => {
      const k = i % 14;
      const f = 2 + (i % 17);
      return { k, f, y: rng.poisson(rng.gamma(k < 7 ? 4 : 1, f / (k < 7 ? 4 : 1))) };
    });
    const buckets = fitCountBuckets(pairs, 2)!;
    expect(buckets[0]!.size).toBeGreaterThan(buckets[1]!.size * 2);
    const mean = Array.from({ length: 14 }, () => 8);
    const [iv] = countIntervals(mean, buckets, [0.8]);
    const held = (k: number, size: number) => {
      const draws = Array.from({ length: 3000 }, () => rng.poisson(rng.gamma(size, 8 / size)));
      return draws.filter((y) => y >= iv!.lower[k]! && y <= iv!.upper[k]!).length / draws.length;
    };
    for (const [k, size] of [
      [0, 4],
      [10, 1],
    ] as const) {
      expect(held(k, size)).toBeGreaterThan(0.74);
      expect(held(k, size)).toBeLessThan(0.86);
    }
  });

  it('never makes a later week ahead more certain than an earlier one', () => {
    const rng = new Rng(4);
    // Week 1 noisier (size 1) than week 2 (size 20) in the inner forecasts: week 2 keeps week 1's size.
    const pairs = Array.from({ length: 1400 }, (_, i) => {
      const k = i % 14;
      const size = k < 7 ? 1 : 20;
      return { k, f: 10, y: rng.poisson(rng.gamma(size, 10 / size)) };
    });
    const [w1, w2] = fitCountBuckets(pairs, 2)!;
    expect(w1!.size).toBeLessThan(2);
    expect(w2!.size).toBe(w1!.size);
  });

  it('leaves a series steadier than a Poisson to the conformal bands', () => {
    expect(
      fitCountBuckets(
        Array.from({ length: 100 }, (_, i) => ({ k: i % 7, f: 4, y: 4 })),
        1,
      ),
    ).toBeUndefined();
    expect(fitCountBuckets([], 1)).toBeUndefined();
  });
});
