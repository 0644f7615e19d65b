import { describe, expect, it } from 'vitest';
import { fitBoosting, gradientBoosting, predictBoosting, rocAuc, SeededRandom, DEFAULT_BOOSTING } from '../src/index.js';
import type { BoostingState } from '../src/index.js';

function data(n: number, seed: number) {
  const rng = new SeededRandom(seed);
  const x0 = Float64Array.from({ length: n }, () => rng.next());
  const x1 = Float64Array.from({ length: n }, () => rng.next());
  const noise = Float64Array.from({ length: n }, () => rng.next());
  const p = Float64Array.from(x0, (v, i) => 1 / (1 + Math.exp(-(6 * (v - 0.5) + 4 * (x1[i]! > 0.7 ? 1 : 0) - 1))));
  const y = Float64Array.from(p, (pi) => (rng.next() < pi ? 1 : 0));
  return { x: [x0, x1, noise], y, p };
}

describe('gradient boosting', () => {
  it('regression fits a step plus a slope with Newton leaves', () => {
    const rng = new SeededRandom(3);
    const n = 3000;
    const x0 = Float64Array.from({ length: n }, () => rng.next());
    const y = Float64Array.from(x0, (v) => (v > 0.5 ? 10 : 0) + 4 * v + 0.2 * (rng.next() - 0.5));
    const state = fitBoosting({ x: [x0], y }, { ...DEFAULT_BOOSTING, nEstimators: 100, maxDepth: 3 });
    const p = predictBoosting(state, [Float64Array.of(0.25, 0.75)]);
    expect(p[0]).toBeCloseTo(1, 0);
    expect(p[1]).toBeCloseTo(13, 0);
  });

  it('classification ranks held-out rows nearly as well as the true probability does', () => {
    const train = data(4000, 1);
    const test = data(4000, 2);
    const m = gradientBoosting({ task: 'classification', nEstimators: 100, maxDepth: 3, learningRate: 0.1 });
    const state = m.fit(train);
    const p = m.predict(state, test);
    expect(rocAuc(test.y, p)).toBeGreaterThan(rocAuc(test.y, test.p) - 0.02);
    // log-loss leaves are on the probability scale: the mean prediction tracks the positive rate
    const mean = p.reduce((a, b) => a + b, 0) / p.length;
    const rate = test.y.reduce((a, b) => a + b, 0) / test.y.length;
    expect(Math.abs(mean - rate)).toBeLessThan(0.03);
    expect(state.importances[2]!).toBeLessThan(Math.min(state.importances[0]!, state.importances[1]!));
  });

  it('its state is plain data', () => {
    const train = data(500, 4);
    const m = gradientBoosting({ task: 'classification', nEstimators: 10 });
    const state = m.fit(train);
    const copy = JSON.parse(JSON.stringify(state)) as BoostingState;
    expect(Array.from(m.predict(copy, train))).toEqual(Array.from(m.predict(state, train)));
  });
});
