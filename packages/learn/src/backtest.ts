import type { RandomForestConfig } from './forest.js';
import { DEFAULT_FOREST, fitForest, predictForest } from './forest.js';
import { binaryScores, brier, calibrationTable } from './metrics.js';
import { encodeTable, parseCsv, sliceColumns } from './table.js';

/** Options of `backtestClassify`: the 0/1 target column, columns to leave out, and the held-out tail. */
export interface ClassifyBacktestOptions {
  target: string;
  drop?: string[];
  /** Fraction of rows, taken from the end, that are scored (the rest, in file order, is the training set). */
  holdoutLast: number;
  forest?: Partial<RandomForestConfig>;
}

/** What `backtestClassify` reports: the row counts of each part, the time to train, the features used and the held-out scores. */
export interface ClassifyBacktestResult {
  rows: number;
  trainRows: number;
  testRows: number;
  testPositives: number;
  trainMs: number;
  features: string[];
  model: { name: string; f1: number; precision: number; recall: number; prAuc: number; rocAuc: number; threshold: number; brier: number; ece: number };
  /** Always "no failure": PR-AUC equals the positive rate, F1 is 0. */
  baseline: { name: string; f1: number; prAuc: number; rocAuc: number };
}

/**
 * Trains the forest on the first rows of a CSV table and scores it on the last `holdoutLast` of them,
 * never shuffling, so a file in time order is backtested as it would have been used.
 */
export function backtestClassify(csvText: string, options: ClassifyBacktestOptions): ClassifyBacktestResult {
  if (!(options.holdoutLast > 0 && options.holdoutLast < 1)) throw new RangeError(`holdout fraction must be between 0 and 1 (got ${options.holdoutLast})`);
  const { header, rows } = parseCsv(csvText);
  const cut = Math.round(rows.length * (1 - options.holdoutLast));
  if (cut < 2 || cut >= rows.length) throw new RangeError(`a ${options.holdoutLast} holdout of ${rows.length} rows leaves no training or no test rows`);
  const table = encodeTable(header, rows, { target: options.target, drop: options.drop, levelsFrom: cut });
  for (let i = 0; i < table.rows; i++) {
    if (table.y[i] !== 0 && table.y[i] !== 1) throw new RangeError(`target '${options.target}' must be 0 or 1 (row ${i + 2}: ${table.y[i]})`);
  }
  const cfg: RandomForestConfig = { ...DEFAULT_FOREST, ...options.forest };
  const t0 = performance.now();
  const state = fitForest({ x: sliceColumns(table.x, 0, cut), y: table.y.subarray(0, cut), featureNames: table.featureNames }, cfg);
  const trainMs = performance.now() - t0;
  const yTest = table.y.subarray(cut);
  const p = predictForest(state, sliceColumns(table.x, cut, table.rows));
  const s = binaryScores(yTest, p, state.threshold);
  const zero = binaryScores(yTest, new Float64Array(yTest.length), 0.5);
  return {
    rows: table.rows,
    trainRows: cut,
    testRows: table.rows - cut,
    testPositives: s.positives,
    trainMs: Math.round(trainMs),
    features: table.featureNames,
    model: {
      name: `random-forest(${cfg.nEstimators} trees, histogram, OOB-calibrated, OOB-F1 threshold)`,
      f1: s.f1,
      precision: s.precision,
      recall: s.recall,
      prAuc: s.prAuc,
      rocAuc: s.rocAuc,
      threshold: state.threshold,
      brier: brier(yTest, p),
      ece: calibrationTable(yTest, p).ece,
    },
    baseline: { name: 'always-negative', f1: zero.f1, prAuc: s.positives / yTest.length, rocAuc: 0.5 },
  };
}
