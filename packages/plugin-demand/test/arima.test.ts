import { Rng } from '@rfid3/core/simulator';
import { describe, expect, it } from 'vitest';
import { decomposableRegression, seasonalArima } from '../src/index.js';

describe('seasonal ARIMA (the airline model)', () => {
  // (1 − B)(1 − B⁷) y = (1 + θB)(1 + ΘB⁷) e, drawn with known θ and Θ.
  const simulate = (theta: number, big: number, n: number, seed: number) => {
    const rng = new Rng(seed);
    const e: number[] = [];
    const y: number[] = [];
    for (let t = 0; t < n; t++) {
      e.push(rng.normal());
      const w = e[t]! + (t >= 1 ? theta * e[t - 1]! : 0) + (t >= 7 ? big * e[t - 7]! : 0) + (t >= 8 ? theta * big * e[t - 8]! : 0);
      y.push(w + (t >= 7 ? y[t - 7]! : 100 + 5 * Math.sin(t)) + (t >= 1 ? y[t - 1]! : 0) - (t >= 8 ? y[t - 8]! : 0));
    }
    return y;
  };

  it('recovers the moving-average coefficients of a simulated series within 0.1', () => {
    const y = simulate(-0.6, -0.5, 900, 3);
    const state = seasonalArima().fit({ values: y });
    expect(Math.abs(state.theta - -0.6)).toBeLessThan(0.1);
    expect(Math.abs(state.seasonalTheta - -0.5)).toBeLessThan(0.1);
    expect(state.phi).toBe(0);
  });

  it('continues a weekly pattern on a trend, closer than the last week repeated', () => {
    const rng = new Rng(5);
    const profile = [10, 12, 14, 13, 20, 30, 25];
    const y = Array.from({ length: 400 }, (_, t) => 50 + 0.2 * t + profile[t % 7]! + rng.normal());
    const train = y.slice(0, 372);
    const model = seasonalArima();
    const fc = model.predict(model.fit({ values: train }), { horizon: 28 }).mean;
    const mae = (f: (k: number) => number) => y.slice(372).reduce((s, v, k) => s + Math.abs(v - f(k)), 0) / 28;
    const arima = mae((k) => fc[k]!);
    const lastWeek = mae((k) => train[365 + (k % 7)]!);
    expect(arima).toBeLessThan(lastWeek);
    expect(arima).toBeLessThan(2);
  });

  it('refuses a history too short to difference', () => {
    expect(() => seasonalArima().fit({ values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] })).toThrow(/at least 31 rows/);
  });
});

describe('the regression fitted towards least absolute deviations', () => {
  it('keeps its level on the typical day when a few days collapse (storms), where least squares drops', () => {
    const rng = new Rng(8);
    const values = Array.from({ length: 400 }, (_, t) => (t % 9 === 4 ? 5 : 100 + rng.normal() * 3));
    const opts = { holidays: 'none' as const, yearlyOrder: 0, weekly: false, changepoints: 0, levelWindow: 0, residualAr: false };
    const level = (robustIterations: number) => {
      const m = decomposableRegression({ ...opts, robustIterations });
      return m.predict(m.fit({ values }), { horizon: 1 }).mean[0]!;
    };
    // The mean is about 89; the median (the typical day, what minimises absolute error) is 100.
    expect(Math.abs(level(10) - 100)).toBeLessThan(2);
    expect(level(0)).toBeLessThan(92);
  });
});
