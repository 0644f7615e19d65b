export { forecastEnsemble, horizonQuantiles } from './ensemble.js';
export type { EnsembleOptions, EnsembleState, MemberScore } from './ensemble.js';
export { seasonalArima } from './arima.js';
export type { ArimaConfig, ArimaState } from './arima.js';
export { holtWinters } from './holt-winters.js';
export type { HoltWintersConfig, HoltWintersState } from './holt-winters.js';
export { decomposableRegression, regressionComponents, DEFAULT_REGRESSION } from './regression.js';
export type { RegressionConfig, RegressionState, RegressionComponents } from './regression.js';
export { calendarColumns, dayNumber, isoOfDay, seriesDays, weekdayOf } from './calendar.js';
