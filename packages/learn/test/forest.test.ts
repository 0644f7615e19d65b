import { RandomForestClassifier } from 'ml-random-forest';
import { describe, expect, it } from 'vitest';
import { binColumns, calibrationTable, explainForest, fitForest, fitForestAsync, predictForest, randomForest, rocAuc, SeededRandom, DEFAULT_FOREST } from '../src/index.js';
import type { ForestState } from '../src/index.js';

/** y = 1 with probability σ(3·(x0·x1 > 0.25 ? 1 : −1) + x2), the rest noise features. */
function synthetic(n: number, seed: number) {
  const rng = new SeededRandom(seed);
  const x = [0, 1, 2, 3, 4].map(() => new Float64Array(n));
  const y = new Float64Array(n);
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (const c of x) c[i] = rng.next();
    const z = 3 * (x[0][i]! * x[1][i]! > 0.25 ? 1 : -1) + 2 * (x[2][i]! - 0.5) - 1;
    p[i] = 1 / (1 + Math.exp(-z));
    y[i] = rng.next() < p[i]! ? 1 : 0;
  }
  return { x, y, p };
}
const rowsOf = (x: Float64Array[]) => Array.from({ length: x[0]!.length }, (_, i) => x.map((c) => c[i]!));

describe('histogram random forest', () => {
  it('ranks as well as ml-random-forest 2.1 (the reference implementation) on small data', () => {
    const train = synthetic(400, 1);
    const test = synthetic(400, 2);
    const ours = randomForest({ nEstimators: 50, seed: 3, maxFeatures: 'all' });
    const p = ours.predict(ours.fit(train), test);
    const ref = new RandomForestClassifier({ nEstimators: 50, seed: 3, maxFeatures: 1.0, replacement: false, useSampleBagging: true });
    ref.train(rowsOf(train.x), Array.from(train.y));
    const pRef = ref.predictProbability(rowsOf(test.x), 1);
    const aucOurs = rocAuc(test.y, p);
    const aucRef = rocAuc(test.y, pRef);
    // The Bayes-optimal score (the true probability) bounds both from above.
    const aucBayes = rocAuc(test.y, test.p);
    expect(aucOurs).toBeGreaterThan(aucRef - 0.02);
    expect(aucOurs).toBeLessThanOrEqual(aucBayes + 0.02);
    expect(aucOurs).toBeGreaterThan(0.8);
  });

  it('calibrates out of bag: held-out probabilities land near the observed frequencies', () => {
    const train = synthetic(6000, 4);
    const test = synthetic(6000, 5);
    const state = fitForest(train, { ...DEFAULT_FOREST, nEstimators: 60, seed: 1 });
    const p = predictForest(state, test.x);
    const raw = fitForest(train, { ...DEFAULT_FOREST, nEstimators: 60, seed: 1, calibrate: false });
    const pRaw = predictForest(raw, test.x);
    expect(state.oob.brierCalibrated!).toBeLessThanOrEqual(state.oob.brierRaw!);
    expect(calibrationTable(test.y, p).ece).toBeLessThan(0.04);
    expect(calibrationTable(test.y, p).ece).toBeLessThanOrEqual(calibrationTable(test.y, pRaw).ece + 0.005);
    // Platt scaling is increasing: the ranking is the raw forest's.
    expect(rocAuc(test.y, p)).toBeCloseTo(rocAuc(test.y, pRaw), 10);
  });

  it('fitted without holding the event loop: the same forest, with a turn for other work after every tree', async () => {
    const train = synthetic(800, 8);
    const cfg = { ...DEFAULT_FOREST, nEstimators: 12 };
    let turns = 0;
    let running = true;
    const tick = () => {
      if (!running) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const state = await fitForestAsync(train, cfg);
    running = false;
    expect(state).toEqual(fitForest(train, cfg));
    // Each of the 12 trees is followed by one turn of the event loop, in which the ticker runs once.
    expect(turns).toBeGreaterThanOrEqual(cfg.nEstimators);
  });

  it('its fitted state is plain data: a JSON round trip predicts the same', () => {
    const train = synthetic(500, 6);
    const m = randomForest({ nEstimators: 10 });
    const state = m.fit(train);
    const copy = JSON.parse(JSON.stringify(state)) as ForestState;
    const test = synthetic(200, 7);
    expect(Array.from(m.predict(copy, test))).toEqual(Array.from(m.predict(state, test)));
    expect(m.type).toBe('random-forest');
  });

  it('puts the importance on the informative features and explains a row by them', () => {
    const train = synthetic(3000, 8);
    const state = fitForest(train, { ...DEFAULT_FOREST, nEstimators: 40 });
    const [i0, i1, i2, i3, i4] = state.importances;
    expect(Math.min(i0!, i1!)).toBeGreaterThan(Math.max(i3!, i4!));
    expect(i2!).toBeGreaterThan(Math.max(i3!, i4!));
    const ex = explainForest(state, train.x, 0);
    const raw = fitForest(train, { ...DEFAULT_FOREST, nEstimators: 40, calibrate: false });
    const exRaw = explainForest(raw, train.x, 0);
    // bias + contributions is the raw vote share
    const sum = exRaw.bias + exRaw.contributions.reduce((s, c) => s + c.contribution, 0);
    expect(sum).toBeCloseTo(
      predictForest(
        raw,
        train.x.map((c) => c.subarray(0, 1)),
      )[0]!,
      10,
    );
    expect(ex.contributions).toHaveLength(5);
  });

  it('regression recovers a step and a slope', () => {
    const rng = new SeededRandom(9);
    const n = 2000;
    const x0 = Float64Array.from({ length: n }, () => rng.next());
    const x1 = Float64Array.from({ length: n }, () => rng.next());
    const y = Float64Array.from({ length: n }, (_, i) => (x0[i]! > 0.5 ? 10 : 0) + 4 * x1[i]! + (rng.next() - 0.5));
    const state = fitForest(
      { x: [x0, x1], y },
      { ...DEFAULT_FOREST, task: 'regression', maxFeatures: 'all', calibrate: false, tuneThreshold: false, nEstimators: 30, minSamplesLeaf: 5 },
    );
    const p = predictForest(state, [Float64Array.of(0.25, 0.75, 0.75), Float64Array.of(0.5, 0.5, 0)]);
    expect(p[0]).toBeCloseTo(2, 0);
    expect(p[1]).toBeCloseTo(12, 0);
    expect(p[2]).toBeCloseTo(10, 0);
    expect(state.oob.rmse!).toBeLessThan(0.6);
  });

  it('bins low-cardinality columns exactly and sends NaN right both when binning and predicting', () => {
    const b = binColumns([Float64Array.of(1, 2, 2, 3, Number.NaN)]);
    expect(Array.from(b.edges[0]!)).toEqual([1.5, 2.5]);
    expect(Array.from(b.bins[0]!)).toEqual([0, 1, 1, 2, 2]);
    const x = [Float64Array.of(1, 1, 2, 2, 3, 3, Number.NaN, Number.NaN)];
    const y = Float64Array.of(0, 0, 0, 0, 1, 1, 1, 1);
    const state = fitForest({ x, y }, { ...DEFAULT_FOREST, nEstimators: 1, maxSamples: 1, calibrate: false, tuneThreshold: false, seed: 2 });
    const p = predictForest(state, [Float64Array.of(1, 3, Number.NaN)]);
    expect(p[1]).toBeGreaterThanOrEqual(p[0]!);
    expect(p[2]).toBe(p[1]);
  });

  it('rejects labels that are not 0/1 and features of the wrong length', () => {
    expect(() => fitForest({ x: [Float64Array.of(1, 2)], y: [0, 2] }, DEFAULT_FOREST)).toThrow(/0 or 1/);
    expect(() => fitForest({ x: [Float64Array.of(1, 2, 3)], y: [0, 1] }, DEFAULT_FOREST)).toThrow(/rows/);
  });
});

describe('large-data caps', () => {
  it('maxRowsPerTree bounds each tree’s bootstrap and maxOobRows the out-of-bag rows', () => {
    const data = synthetic(5000, 12);
    const state = fitForest(data, { ...DEFAULT_FOREST, nEstimators: 20, maxRowsPerTree: 200, maxOobRows: 1000, seed: 4 });
    // a leaf holds at least one distinct row, so a tree grown on ≤ 200 draws has ≤ 200 leaves
    for (const t of state.trees) expect(t.feature.filter((f) => f < 0).length).toBeLessThanOrEqual(200);
    expect(state.oob.rows).toBeLessThanOrEqual(1000);
    expect(state.oob.rows).toBeGreaterThan(900);
    const full = fitForest(data, { ...DEFAULT_FOREST, nEstimators: 20, seed: 4 });
    expect(Math.max(...full.trees.map((t) => t.feature.filter((f) => f < 0).length))).toBeGreaterThan(200);
  });
});
