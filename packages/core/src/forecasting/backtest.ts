import type { ForecastModel, SeriesInput } from '../contracts/model.js';
import { coverage, mae, rmse, seasonalNaiveInSampleMae, smape } from '../evaluation/metrics.js';
import { sliceSeries } from './series.js';

/** Rolling-origin backtest settings: the first origin, the step between origins and the horizon. */
export interface RollingOriginOptions {
  /** First origin: the model is first fitted on rows [0, initial). */
  initial: number;
  /** Rows between origins. */
  step: number;
  /** Rows forecast from each origin. */
  horizon: number;
  levels?: number[];
  /** Called after each fold, for progress. */
  onFold?(done: number, total: number): void;
}

/** One backtest forecast point: its origin, steps ahead, the actual value, the mean and the intervals. */
export interface BacktestPoint {
  origin: number;
  /** 1-based steps ahead. */
  h: number;
  actual: number;
  mean: number;
  intervals: { level: number; lower: number; upper: number }[];
}

/** The points of a rolling-origin backtest, with the folds and the time it took. */
export interface BacktestRun {
  folds: number;
  points: BacktestPoint[];
  /** Wall time spent fitting and forecasting, in milliseconds. */
  fitMs: number;
}

/** Origins at initial, initial + step, … while origin + horizon ≤ rows. */
export function rollingOrigins(rows: number, o: Pick<RollingOriginOptions, 'initial' | 'step' | 'horizon'>): number[] {
  if (!(o.initial >= 1 && o.step >= 1 && o.horizon >= 1)) throw new RangeError('initial, step and horizon must be positive integers');
  const origins: number[] = [];
  for (let origin = o.initial; origin + o.horizon <= rows; origin += o.step) origins.push(origin);
  return origins;
}

/**
 * Rolling-origin evaluation (never shuffled): fit on the rows before each origin, forecast the next
 * `horizon` rows, compare with what happened.
 */
export function rollingOriginBacktest(series: SeriesInput, model: ForecastModel<any>, options: RollingOriginOptions): BacktestRun {
  const origins = rollingOrigins(series.values.length, options);
  if (origins.length === 0) {
    throw new RangeError(`no fold fits: ${series.values.length} rows, initial ${options.initial}, horizon ${options.horizon} (need initial + horizon ≤ rows)`);
  }
  const points: BacktestPoint[] = [];
  const started = performance.now();
  origins.forEach((origin, fold) => {
    const state = model.fit(sliceSeries(series, 0, origin));
    const future = sliceSeries(series, origin, origin + options.horizon);
    const fc = model.predict(state, {
      horizon: options.horizon,
      levels: options.levels,
      futureRegressors: future.regressors,
      futureDates: future.dates,
    });
    for (let k = 0; k < options.horizon; k++) {
      points.push({
        origin,
        h: k + 1,
        actual: series.values[origin + k]!,
        mean: fc.mean[k]!,
        intervals: fc.intervals.map((iv) => ({ level: iv.level, lower: iv.lower[k]!, upper: iv.upper[k]! })),
      });
    }
    options.onFold?.(fold + 1, origins.length);
  });
  return { folds: origins.length, points, fitMs: performance.now() - started };
}

/** Error and interval coverage of a backtest: MAE, RMSE, sMAPE, MASE and 80 %/95 % coverage. */
export interface ForecastScores {
  mae: number;
  rmse: number;
  /** Percent. */
  smape: number;
  mase: number;
  coverage80: number | null;
  coverage95: number | null;
}

/** Error and interval coverage of backtest points; MASE divides by `maseScale`. */
export function scoreBacktest(points: BacktestPoint[], maseScale: number): ForecastScores {
  const actual = points.map((p) => p.actual);
  const mean = points.map((p) => p.mean);
  const cov = (level: number) => {
    const within = points.filter((p) => p.intervals.some((iv) => Math.abs(iv.level - level) < 1e-9));
    if (within.length === 0) return null;
    const iv = within.map((p) => p.intervals.find((x) => Math.abs(x.level - level) < 1e-9)!);
    return coverage(
      within.map((p) => p.actual),
      iv.map((x) => x.lower),
      iv.map((x) => x.upper),
    );
  };
  const m = mae(actual, mean);
  return { mae: m, rmse: rmse(actual, mean), smape: smape(actual, mean), mase: m / maseScale, coverage80: cov(0.8), coverage95: cov(0.95) };
}

/** MASE's denominator as the CLI defines it: in-sample seasonal-naive MAE over the first `initial` rows. */
export function maseScale(values: number[], initial: number, season = 7): number {
  return seasonalNaiveInSampleMae(values.slice(0, initial), season);
}
