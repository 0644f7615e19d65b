import type { Model } from '@rfid3/core';
import { binColumns } from './binning.js';
import type { PlattCalibration } from './calibration.js';
import { applyPlatt, fitPlatt } from './calibration.js';
import { averagePrecision, bestF1Threshold, brier, rocAuc } from './metrics.js';
import { SeededRandom } from './rng.js';
import type { TreeState } from './tree.js';
import { createWorkspace, growTree, treeContributions, treeValue } from './tree.js';

/** Training data by column (feature-major): x[f][i] is feature f of row i. Classification labels are 0/1. */
export interface TabularTrain {
  x: ArrayLike<number>[];
  y: ArrayLike<number>;
  featureNames?: string[];
  /** Optional per-row weights (multiplied with class weights). */
  weights?: ArrayLike<number>;
}

/** Rows to predict, by column (feature-major) like `TabularTrain`. */
export interface TabularQuery {
  x: ArrayLike<number>[];
}

/** Features tried at each split: a rule on the feature count F (√F, log₂F, F/3, all) or a number. */
export type MaxFeatures = 'sqrt' | 'log2' | 'third' | 'all' | number;

/** Hyper-parameters of the histogram random forest. */
export interface RandomForestConfig {
  task: 'classification' | 'regression';
  nEstimators: number;
  maxDepth: number;
  minSamplesLeaf: number;
  /** Features tried per split: a rule, a count (≥ 1) or a fraction (< 1). */
  maxFeatures: MaxFeatures;
  /** Rows drawn (with replacement) per tree, as a fraction of the training rows. */
  maxSamples: number;
  /**
   * At most this many rows drawn per tree. On large data each tree sees a bootstrap of this size (as
   * scikit-learn's max_samples does), which keeps training linear in trees × this cap, not in the rows.
   */
  maxRowsPerTree: number;
  /** Out-of-bag figures (calibration, threshold) are computed on at most this many rows, spread over the data. */
  maxOobRows: number;
  /** 'balanced' weighs each class by rows / (2 · class rows); or explicit weights of class 0 and 1. */
  classWeight: 'none' | 'balanced' | [number, number];
  maxBins: number;
  seed: number;
  /** Classification: fit Platt scaling on the out-of-bag scores. */
  calibrate: boolean;
  /** Classification: choose the decision threshold that maximises out-of-bag F1. */
  tuneThreshold: boolean;
}

/** The defaults of `randomForest` (a regression forest instead tries all features, uncalibrated, with no tuned threshold). */
export const DEFAULT_FOREST: RandomForestConfig = {
  task: 'classification',
  nEstimators: 100,
  maxDepth: Number.POSITIVE_INFINITY,
  minSamplesLeaf: 1,
  maxFeatures: 'sqrt',
  maxSamples: 1,
  maxRowsPerTree: Number.POSITIVE_INFINITY,
  maxOobRows: Number.POSITIVE_INFINITY,
  classWeight: 'none',
  maxBins: 255,
  seed: 1,
  calibrate: true,
  tuneThreshold: true,
};

/** Out-of-bag figures: every row scored only by the trees that did not see it. */
export interface OutOfBag {
  rows: number;
  prAuc?: number;
  rocAuc?: number;
  f1AtThreshold?: number;
  brierRaw?: number;
  brierCalibrated?: number;
  rmse?: number;
}

/** A fitted random forest as plain data (it serialises as JSON). */
export interface ForestState {
  kind: 'random-forest';
  task: 'classification' | 'regression';
  featureNames: string[];
  trees: TreeState[];
  calibration: PlattCalibration | null;
  /** Decision threshold on the (calibrated) probability. */
  threshold: number;
  /** Total split gain per feature, normalised to sum 1. */
  importances: number[];
  oob: OutOfBag;
  trainRows: number;
}

/** The number of features tried at each split for `m` out of `F` features (at least 1). */
export function resolveMaxFeatures(m: MaxFeatures, F: number): number {
  if (m === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(F)));
  if (m === 'log2') return Math.max(1, Math.floor(Math.log2(F)));
  if (m === 'third') return Math.max(1, Math.floor(F / 3));
  if (m === 'all') return F;
  if (m < 1) return Math.max(1, Math.floor(m * F));
  return Math.min(F, Math.floor(m));
}

export function checkTrain(train: TabularTrain): number {
  const F = train.x.length;
  if (!F) throw new RangeError('no features');
  const n = train.y.length;
  if (!n) throw new RangeError('no training rows');
  train.x.forEach((c, f) => {
    if (c.length !== n) throw new RangeError(`feature ${train.featureNames?.[f] ?? f} has ${c.length} rows, labels have ${n}`);
  });
  return n;
}

function classWeights(cw: RandomForestConfig['classWeight'], y: ArrayLike<number>): [number, number] {
  if (cw === 'none') return [1, 1];
  if (cw === 'balanced') {
    let P = 0;
    for (let i = 0; i < y.length; i++) P += y[i] === 1 ? 1 : 0;
    const N = y.length - P;
    return [N ? y.length / (2 * N) : 1, P ? y.length / (2 * P) : 1];
  }
  return cw;
}

/**
 * Random forest (Breiman) with histogram split finding on binned columns, so a node costs
 * O(rows × features tried) rather than a sort; bootstrap rows are kept as weights. Classification grows
 * probability trees on 0/1 labels (Gini), then calibrates and picks its threshold out of bag.
 */
export function randomForest(config: Partial<RandomForestConfig> = {}): Model<TabularTrain, ForestState, TabularQuery, Float64Array> {
  const cfg: RandomForestConfig = {
    ...DEFAULT_FOREST,
    ...(config.task === 'regression' ? { maxFeatures: 'all' as MaxFeatures, calibrate: false, tuneThreshold: false } : {}),
    ...config,
  };
  return {
    name: `random-forest-${cfg.task}`,
    type: 'random-forest',
    config: { ...cfg },
    fit: (train) => fitForest(train, cfg),
    predict: (state, query) => predictForest(state, query.x),
  };
}

/** Fits a random forest on column-major training data (classification labels must be 0 or 1). */
export function fitForest(train: TabularTrain, cfg: RandomForestConfig): ForestState {
  return runSteps(forestSteps(train, cfg));
}

/**
 * `fitForest` that gives the event loop a turn after every tree, so a host keeps answering (and a BullMQ worker
 * keeps renewing its job's lock) while a large forest is fitted. The same data and seed give the same forest.
 */
export function fitForestAsync(train: TabularTrain, cfg: RandomForestConfig): Promise<ForestState> {
  return runStepsAsync(forestSteps(train, cfg));
}

/** Long work written as a generator that yields between steps: run to the end at once … */
export function runSteps<T>(steps: Generator<void, T>): T {
  let r = steps.next();
  while (!r.done) r = steps.next();
  return r.value;
}

/** … or with a turn of the event loop (`setImmediate`) at every yield. */
export async function runStepsAsync<T>(steps: Generator<void, T>): Promise<T> {
  let r = steps.next();
  while (!r.done) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    r = steps.next();
  }
  return r.value;
}

/** The forest's fit, yielding after each tree (`fitForest` and `fitForestAsync` drive it). */
export function* forestSteps(train: TabularTrain, cfg: RandomForestConfig): Generator<void, ForestState> {
  const n = checkTrain(train);
  const F = train.x.length;
  const classification = cfg.task === 'classification';
  const y = Float64Array.from(train.y as ArrayLike<number>);
  if (classification) for (let i = 0; i < n; i++) if (y[i] !== 0 && y[i] !== 1) throw new RangeError(`classification labels must be 0 or 1 (row ${i}: ${y[i]})`);
  const data = binColumns(train.x, cfg.maxBins);
  yield;
  const cw = classification ? classWeights(cfg.classWeight, y) : [1, 1];
  const rowW = new Float64Array(n);
  for (let i = 0; i < n; i++) rowW[i] = (classification ? cw[y[i]!]! : 1) * (train.weights ? train.weights[i]! : 1);
  const rng = new SeededRandom(cfg.seed);
  const ws = createWorkspace(F, cfg.maxBins);
  const opts = { maxDepth: cfg.maxDepth, minSamplesLeaf: cfg.minSamplesLeaf, minChildWeight: 0, maxFeatures: resolveMaxFeatures(cfg.maxFeatures, F), lambda: 0 };
  const counts = new Uint16Array(n);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const rows = new Uint32Array(n);
  const oobSum = new Float64Array(n);
  const oobN = new Uint16Array(n);
  const importance = new Float64Array(F);
  const draws = Math.max(1, Math.min(cfg.maxRowsPerTree ?? Number.POSITIVE_INFINITY, Math.round(cfg.maxSamples * n)));
  // rows whose out-of-bag votes are collected: all of them, or an even spread of maxOobRows
  const oobStride = Math.max(1, Math.ceil(n / Math.min(n, cfg.maxOobRows ?? Number.POSITIVE_INFINITY)));
  const trees: TreeState[] = [];
  for (let t = 0; t < cfg.nEstimators; t++) {
    counts.fill(0);
    for (let k = 0; k < draws; k++) counts[Math.floor(rng.next() * n)]++;
    let m = 0;
    for (let i = 0; i < n; i++) {
      const c = counts[i]!;
      if (c === 0) continue;
      rows[m++] = i;
      b[i] = c * rowW[i]!;
      a[i] = b[i]! * y[i]!;
    }
    const tree = growTree(data, a, b, rows, m, opts, rng, ws, importance, y);
    trees.push(tree);
    for (let i = 0; i < n; i += oobStride) {
      if (counts[i] !== 0) continue;
      oobSum[i] += treeValue(tree, train.x, i);
      oobN[i]++;
    }
    yield;
  }
  const oobIdx: number[] = [];
  for (let i = 0; i < n; i++) if (oobN[i]) oobIdx.push(i);
  const oobY = Float64Array.from(oobIdx, (i) => y[i]!);
  const oobP = Float64Array.from(oobIdx, (i) => oobSum[i]! / oobN[i]!);
  let calibration: PlattCalibration | null = null;
  let threshold = 0.5;
  const oob: OutOfBag = { rows: oobIdx.length };
  if (classification && oobIdx.length) {
    oob.prAuc = averagePrecision(oobY, oobP);
    oob.rocAuc = rocAuc(oobY, oobP);
    oob.brierRaw = brier(oobY, oobP);
    let scored = oobP;
    if (cfg.calibrate) {
      const platt = fitPlatt(oobY, oobP, 0.5 / cfg.nEstimators);
      const calibrated = oobP.map((p) => applyPlatt(platt, p));
      const b = brier(oobY, calibrated);
      // Kept only when it helps out of bag: vote shares of a large forest are often calibrated already.
      if (b < oob.brierRaw) {
        calibration = platt;
        scored = calibrated;
        oob.brierCalibrated = b;
      } else oob.brierCalibrated = oob.brierRaw;
    }
    if (cfg.tuneThreshold) {
      const best = bestF1Threshold(oobY, scored);
      threshold = best.threshold;
      oob.f1AtThreshold = best.f1;
    }
  } else if (oobIdx.length) {
    let s = 0;
    for (let k = 0; k < oobIdx.length; k++) s += (oobP[k]! - oobY[k]!) ** 2;
    oob.rmse = Math.sqrt(s / oobIdx.length);
  }
  const total = importance.reduce((s, v) => s + v, 0) || 1;
  return {
    kind: 'random-forest',
    task: cfg.task,
    featureNames: train.featureNames ?? Array.from({ length: F }, (_, f) => `x${f}`),
    trees,
    calibration,
    threshold,
    importances: Array.from(importance, (v) => v / total),
    oob,
    trainRows: n,
  };
}

interface PackedTree {
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
}
const PACKED = new WeakMap<TreeState, PackedTree>();
/** Typed-array copy of a tree for scoring many rows (the state itself stays plain JSON-able arrays). */
function packed(tree: TreeState): PackedTree {
  let p = PACKED.get(tree);
  if (!p) {
    p = {
      feature: Int32Array.from(tree.feature),
      threshold: Float64Array.from(tree.threshold),
      left: Int32Array.from(tree.left),
      right: Int32Array.from(tree.right),
      value: Float64Array.from(tree.value),
    };
    PACKED.set(tree, p);
  }
  return p;
}

/** Mean of the trees' leaf values (the raw vote share for classification). */
export function predictForestRaw(state: ForestState, x: ArrayLike<number>[]): Float64Array {
  if (x.length !== state.featureNames.length) throw new RangeError(`expected ${state.featureNames.length} features, got ${x.length}`);
  const n = x.length ? x[0]!.length : 0;
  const out = new Float64Array(n);
  for (const tree of state.trees) {
    const { feature, threshold, left, right, value } = packed(tree);
    for (let i = 0; i < n; i++) {
      let k = 0;
      let f = feature[0]!;
      while (f >= 0) {
        k = x[f]![i]! <= threshold[k]! ? left[k]! : right[k]!;
        f = feature[k]!;
      }
      out[i] += value[k]!;
    }
  }
  const T = state.trees.length;
  for (let i = 0; i < n; i++) out[i] /= T;
  return out;
}

/** Calibrated probabilities (classification) or predicted values (regression). */
export function predictForest(state: ForestState, x: ArrayLike<number>[]): Float64Array {
  const raw = predictForestRaw(state, x);
  if (state.calibration) for (let i = 0; i < raw.length; i++) raw[i] = applyPlatt(state.calibration, raw[i]!);
  return raw;
}

/** Each feature's contribution to row i's raw score (mean over trees of the value changes along its path). */
export function explainForest(state: ForestState, x: ArrayLike<number>[], i: number): { bias: number; contributions: { feature: string; value: number; contribution: number }[] } {
  const c = new Float64Array(state.featureNames.length);
  let bias = 0;
  for (const tree of state.trees) bias += treeContributions(tree, x, i, c);
  const T = state.trees.length;
  return {
    bias: bias / T,
    contributions: state.featureNames
      .map((feature, f) => ({ feature, value: x[f]![i]!, contribution: c[f]! / T }))
      .sort((p, q) => Math.abs(q.contribution) - Math.abs(p.contribution)),
  };
}
