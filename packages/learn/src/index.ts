export { binColumns } from './binning.js';
export type { BinnedColumns } from './binning.js';
export { growTree, treeValue, treeContributions, createWorkspace } from './tree.js';
export type { TreeState, GrowOptions } from './tree.js';
export {
  randomForest,
  fitForest,
  fitForestAsync,
  forestSteps,
  runSteps,
  runStepsAsync,
  predictForest,
  predictForestRaw,
  explainForest,
  resolveMaxFeatures,
  DEFAULT_FOREST,
} from './forest.js';
export type { RandomForestConfig, ForestState, TabularTrain, TabularQuery, MaxFeatures, OutOfBag } from './forest.js';
export { fitPlatt, applyPlatt } from './calibration.js';
export type { PlattCalibration } from './calibration.js';
export { averagePrecision, rocAuc, bestF1Threshold, binaryScores, confusionAt, brier, calibrationTable } from './metrics.js';
export type { BinaryScores } from './metrics.js';
export { parseCsv, encodeTable, sliceColumns } from './table.js';
export type { EncodedTable } from './table.js';
export { SeededRandom } from './rng.js';
export { backtestClassify } from './backtest.js';
export type { ClassifyBacktestOptions, ClassifyBacktestResult } from './backtest.js';
export { gradientBoosting, fitBoosting, predictBoosting, DEFAULT_BOOSTING } from './boosting.js';
export type { GradientBoostingConfig, BoostingState } from './boosting.js';
