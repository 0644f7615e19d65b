import { describe, expect, it } from 'vitest';
import { dummyCoding, leastSquares, LeastSquaresError, normalQuantile, penalisedLeastSquares, tQuantile } from '../src/stats/least-squares.js';
import { Rng } from '../src/simulator/rng.js';

describe('leastSquares', () => {
  const rng = new Rng(7);
  const xs = Array.from({ length: 200 }, () => rng.uniform(0, 10));
  const ys = xs.map((x) => 2 + 3 * x + rng.normal() * 0.5);

  it('matches the closed form of simple regression: slope, intercept, their standard errors and R²', () => {
    const fit = leastSquares(
      xs.map((x) => [1, x]),
      ys,
      { names: ['intercept', 'x'] },
    );
    const n = xs.length;
    const mx = xs.reduce((a, b) => a + b) / n;
    const my = ys.reduce((a, b) => a + b) / n;
    const sxx = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
    const sxy = xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0);
    const slope = sxy / sxx;
    const intercept = my - slope * mx;
    const rss = xs.reduce((s, x, i) => s + (ys[i]! - intercept - slope * x) ** 2, 0);
    const sigma2 = rss / (n - 2);
    expect(fit.coef[1]).toBeCloseTo(slope, 12);
    expect(fit.coef[0]).toBeCloseTo(intercept, 11);
    expect(fit.se[1]).toBeCloseTo(Math.sqrt(sigma2 / sxx), 12);
    expect(fit.se[0]).toBeCloseTo(Math.sqrt(sigma2 * (1 / n + mx ** 2 / sxx)), 12);
    const tss = ys.reduce((s, y) => s + (y - my) ** 2, 0);
    expect(fit.r2).toBeCloseTo(1 - rss / tss, 12);
    expect(fit.dfResidual).toBe(198);
    expect(Math.abs(fit.coef[1]! - 3)).toBeLessThan(3 * fit.se[1]!);
  });

  it('an integer weight equals repeating the row, and a zero weight drops it', () => {
    const rows = xs.slice(0, 20).map((x) => [1, x]);
    const y = ys.slice(0, 20);
    const w = rows.map((_, i) => (i % 3) + 0);
    const weighted = leastSquares(rows, y, { weights: w });
    const repRows: number[][] = [];
    const repY: number[] = [];
    rows.forEach((r, i) => {
      for (let k = 0; k < w[i]!; k++) repRows.push(r), repY.push(y[i]!);
    });
    const repeated = leastSquares(repRows, repY);
    expect(weighted.coef[0]).toBeCloseTo(repeated.coef[0]!, 10);
    expect(weighted.coef[1]).toBeCloseTo(repeated.coef[1]!, 10);
    expect(weighted.n).toBe(rows.filter((_, i) => w[i]! > 0).length);
  });

  it('a ridge penalty on one column gives Σxy / (Σx² + λ), and leaves an unpenalised intercept alone', () => {
    const lambda = 50;
    const fit = leastSquares(
      xs.map((x) => [x]),
      ys,
      { ridge: lambda },
    );
    const sxy = xs.reduce((s, x, i) => s + x * ys[i]!, 0);
    const sxx = xs.reduce((s, x) => s + x * x, 0);
    expect(fit.coef[0]).toBeCloseTo(sxy / (sxx + lambda), 12);
    const withIntercept = leastSquares(
      xs.map((x) => [1, x]),
      ys,
      { ridge: [0, 1e9] },
    );
    expect(withIntercept.coef[1]).toBeLessThan(1e-4);
    expect(withIntercept.coef[0]).toBeCloseTo(ys.reduce((a, b) => a + b) / ys.length, 3);
  });

  it('names the column that makes the design rank deficient, and rejects non-finite input by name', () => {
    const rows = xs.map((x) => [1, x, 2 * x - 1]);
    expect(() => leastSquares(rows, ys, { names: ['one', 'x', 'twice'] })).toThrow(/column twice .*rank deficient/);
    const bad = [
      [1, 2],
      [1, Number.NaN],
      [1, 3],
    ];
    expect(() => leastSquares(bad, [1, 2, 3], { names: ['one', 'price'] })).toThrow(LeastSquaresError);
    expect(() => leastSquares(bad, [1, 2, 3], { names: ['one', 'price'] })).toThrow(/price is NaN in row 1/);
    // A ridge penalty resolves the collinearity.
    expect(() => leastSquares(rows, ys, { ridge: [0, 1e-6, 1e-6] })).not.toThrow();
  });

  it('dummy coding drops the first level in sorted order', () => {
    const d = dummyCoding(['b', 'a', 'c', 'a'], 'store=');
    expect(d.levels).toEqual(['b', 'c']);
    expect(d.names).toEqual(['store=b', 'store=c']);
    expect(d.encode('a')).toEqual([0, 0]);
    expect(d.encode('c')).toEqual([0, 1]);
  });
});

describe('penalisedLeastSquares', () => {
  const rng = new Rng(11);
  const n = 300;
  const p = 12;
  const rows = Array.from({ length: n }, (_, i) => [1, i / n, ...Array.from({ length: p - 2 }, (_, j) => (j % 3 === 0 ? (i % (j + 2) === 0 ? 1 : 0) : rng.normal()))]);
  const beta = Array.from({ length: p }, (_, j) => (j % 2 ? 1 : -0.5) * (j + 1));
  const y = rows.map((r) => r.reduce((s, v, j) => s + v * beta[j]!, 0) + rng.normal());
  const dense = { data: Float64Array.from(rows.flat()), n, p };
  const ridge = Array.from({ length: p }, (_, j) => (j === 0 ? 0 : j === 1 ? 1e-6 : 0.5 * j));

  it('gives the coefficients of the QR solver on a ridge-penalised weighted design', () => {
    const weights = rows.map((_, i) => 0.5 + ((i * 7) % 5) / 4);
    const fast = penalisedLeastSquares(dense, y, { ridge, weights });
    const qr = leastSquares(rows, y, { ridge, weights });
    qr.coef.forEach((c, j) => expect(fast[j]).toBeCloseTo(c, 9));
    // Penalties shrink: with a huge one on every slope the coefficients vanish.
    const shrunk = penalisedLeastSquares(dense, y, { ridge: ridge.map((l, j) => (j === 0 ? 0 : 1e12)) });
    for (let j = 1; j < p; j++) expect(Math.abs(shrunk[j]!)).toBeLessThan(1e-6);
  });

  it('names the column that makes an unpenalised design singular, and rejects bad weights', () => {
    const twice = { data: Float64Array.from(rows.flatMap((r) => [r[0]!, r[2]!, 2 * r[2]!])), n, p: 3 };
    expect(() => penalisedLeastSquares(twice, y, { ridge: 0, names: ['one', 'x', 'twice'] })).toThrow(/column twice .*rank deficient/);
    expect(() => penalisedLeastSquares(twice, y, { ridge: [0, 1e-3, 1e-3] })).not.toThrow();
    expect(() => penalisedLeastSquares(dense, y, { ridge, weights: y.map((_, i) => (i === 3 ? -1 : 1)) })).toThrow(/weight 3 is -1/);
  });
});

describe('quantiles', () => {
  it('normal and Student-t quantiles match the tables', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
    expect(normalQuantile(0.9)).toBeCloseTo(1.281552, 6);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
    expect(tQuantile(0.975, 10)).toBeCloseTo(2.228139, 3);
    expect(tQuantile(0.975, 30)).toBeCloseTo(2.042272, 4);
    expect(tQuantile(0.975, 1000)).toBeCloseTo(1.959964, 5);
  });
});
