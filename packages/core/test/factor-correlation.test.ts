import { describe, expect, it } from 'vitest';
import { Rng } from '../src/simulator/index.js';
import { laggedCorrelations } from '../src/index.js';

describe('lagged correlations of demand with a factor', () => {
  it('finds the lag at which a factor drives demand, and skips unknown factor days', () => {
    const rng = new Rng(5);
    const x = Array.from({ length: 400 }, () => rng.normal(0, 1));
    // Demand answers the factor three days later.
    const y = x.map((_, t) => (t >= 3 ? 2 * x[t - 3]! : 0) + rng.normal(0, 1));
    const factor: (number | null)[] = x.map((v, t) => (t % 10 === 0 ? null : v));
    const c = laggedCorrelations(y, factor, 6);
    expect(c.map((r) => r.lag)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const best = c.reduce((a, b) => (Math.abs(b.r) > Math.abs(a.r) ? b : a));
    expect(best.lag).toBe(3);
    // r = 2 / √(4 + 1) ≈ 0.894 for the driving lag; the others are noise.
    expect(best.r).toBeGreaterThan(0.85);
    expect(best.notable).toBe(true);
    expect(c.filter((r) => r.lag !== 3).every((r) => Math.abs(r.r) < 0.15)).toBe(true);
    // Days with an unknown factor drop out of the pairs.
    expect(c[0]!.n).toBe(360);
  });

  it('rejects misaligned series', () => {
    expect(() => laggedCorrelations([1, 2, 3], [1, 2])).toThrow(/3 days, the factor 2/);
  });
});
