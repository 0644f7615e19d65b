import type { Model } from '@rfid3/core';
import { binColumns } from './binning.js';
import type { MaxFeatures, TabularQuery, TabularTrain } from './forest.js';
import { checkTrain, resolveMaxFeatures } from './forest.js';
import { SeededRandom } from './rng.js';
import type { TreeState } from './tree.js';
import { createWorkspace, growTree, treeValue } from './tree.js';

/** Hyper-parameters of gradient boosting (classification on log-odds or regression on squared error). */
export interface GradientBoostingConfig {
  task: 'classification' | 'regression';
  nEstimators: number;
  learningRate: number;
  maxDepth: number;
  minSamplesLeaf: number;
  /** Minimum hessian sum in a leaf. */
  minChildWeight: number;
  /** L2 penalty on leaf values. */
  lambda: number;
  /** Share of rows each round is fitted on (stochastic gradient boosting). */
  subsample: number;
  maxFeatures: MaxFeatures;
  maxBins: number;
  seed: number;
}

/** The defaults `gradientBoosting` fills in for every option not given. */
export const DEFAULT_BOOSTING: GradientBoostingConfig = {
  task: 'regression',
  nEstimators: 200,
  learningRate: 0.1,
  maxDepth: 6,
  minSamplesLeaf: 20,
  minChildWeight: 1e-3,
  lambda: 1,
  subsample: 1,
  maxFeatures: 'all',
  maxBins: 255,
  seed: 1,
};

/** A fitted gradient-boosting model as plain data (it serialises as JSON). */
export interface BoostingState {
  kind: 'gradient-boosting';
  task: 'classification' | 'regression';
  featureNames: string[];
  /** Raw score before any tree (mean, or log-odds of the positive rate). */
  base: number;
  /** Trees whose values already include the learning rate. */
  trees: TreeState[];
  importances: number[];
  trainRows: number;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * Gradient boosting with second-order (Newton) leaves on the same histogram trees as the forest: squared
 * error for regression, log-loss for 0/1 classification. Each round fits a tree to a = −gradient,
 * b = hessian, with gain Σ a² / (Σ b + λ).
 */
export function fitBoosting(train: TabularTrain, cfg: GradientBoostingConfig): BoostingState {
  const n = checkTrain(train);
  const F = train.x.length;
  const classification = cfg.task === 'classification';
  const y = Float64Array.from(train.y as ArrayLike<number>);
  const w = train.weights ? Float64Array.from(train.weights as ArrayLike<number>) : new Float64Array(n).fill(1);
  if (classification) for (let i = 0; i < n; i++) if (y[i] !== 0 && y[i] !== 1) throw new RangeError(`classification labels must be 0 or 1 (row ${i}: ${y[i]})`);
  let sw = 0;
  let swy = 0;
  for (let i = 0; i < n; i++) {
    sw += w[i]!;
    swy += w[i]! * y[i]!;
  }
  const mean = swy / sw;
  const base = classification ? Math.log(Math.max(1e-9, mean) / Math.max(1e-9, 1 - mean)) : mean;
  const data = binColumns(train.x, cfg.maxBins);
  const rng = new SeededRandom(cfg.seed);
  const ws = createWorkspace(F, cfg.maxBins);
  const opts = {
    maxDepth: cfg.maxDepth,
    minSamplesLeaf: cfg.minSamplesLeaf,
    minChildWeight: cfg.minChildWeight,
    maxFeatures: resolveMaxFeatures(cfg.maxFeatures, F),
    lambda: cfg.lambda,
  };
  const score = new Float64Array(n).fill(base);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const rows = new Uint32Array(n);
  const importance = new Float64Array(F);
  const trees: TreeState[] = [];
  for (let t = 0; t < cfg.nEstimators; t++) {
    for (let i = 0; i < n; i++) {
      if (classification) {
        const p = sigmoid(score[i]!);
        a[i] = (y[i]! - p) * w[i]!;
        b[i] = Math.max(1e-6, p * (1 - p)) * w[i]!;
      } else {
        a[i] = (y[i]! - score[i]!) * w[i]!;
        b[i] = w[i]!;
      }
    }
    let m = 0;
    for (let i = 0; i < n; i++) if (cfg.subsample >= 1 || rng.next() < cfg.subsample) rows[m++] = i;
    const tree = growTree(data, a, b, rows, m, opts, rng, ws, importance);
    for (let k = 0; k < tree.value.length; k++) tree.value[k] *= cfg.learningRate;
    trees.push(tree);
    for (let i = 0; i < n; i++) score[i] += treeValue(tree, train.x, i);
  }
  const total = importance.reduce((s, v) => s + v, 0) || 1;
  return {
    kind: 'gradient-boosting',
    task: cfg.task,
    featureNames: train.featureNames ?? Array.from({ length: F }, (_, f) => `x${f}`),
    base,
    trees,
    importances: Array.from(importance, (v) => v / total),
    trainRows: n,
  };
}

/** Predicted values (regression) or probabilities (classification). */
export function predictBoosting(state: BoostingState, x: ArrayLike<number>[]): Float64Array {
  if (x.length !== state.featureNames.length) throw new RangeError(`expected ${state.featureNames.length} features, got ${x.length}`);
  const n = x.length ? x[0]!.length : 0;
  const out = new Float64Array(n).fill(state.base);
  for (const tree of state.trees) for (let i = 0; i < n; i++) out[i] += treeValue(tree, x, i);
  if (state.task === 'classification') for (let i = 0; i < n; i++) out[i] = sigmoid(out[i]!);
  return out;
}

/** Gradient boosting as a `Model` (fit → `BoostingState`, predict → one score per row), `DEFAULT_BOOSTING` filling the options not given. */
export function gradientBoosting(config: Partial<GradientBoostingConfig> = {}): Model<TabularTrain, BoostingState, TabularQuery, Float64Array> {
  const cfg: GradientBoostingConfig = { ...DEFAULT_BOOSTING, ...config };
  return {
    name: `gradient-boosting-${cfg.task}`,
    type: 'gradient-boosting',
    config: { ...cfg },
    fit: (train) => fitBoosting(train, cfg),
    predict: (state, query) => predictBoosting(state, query.x),
  };
}
