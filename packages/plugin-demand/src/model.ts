import type { ForecastModel, SeriesInput } from '@rfid3/core';
import { maseScale, naive, rollingOriginBacktest, scoreBacktest, seasonalNaive, withConformalIntervals } from '@rfid3/core';
import type { ForecastScores } from '@rfid3/core';

/** The plain-data description of the demand model; it is what the registry versions. */
export interface DemandModelSpec {
  kind: 'seasonal-naive';
  season: number;
  levels: number[];
  /** Rows between the inner origins its intervals are calibrated on, and how many recent origins it uses. */
  calibrationStep: number;
  calibrationOrigins: number;
}

export const DEFAULT_DEMAND_SPEC: DemandModelSpec = {
  kind: 'seasonal-naive',
  season: 7,
  levels: [0.8, 0.95],
  calibrationStep: 1,
  calibrationOrigins: 365,
};

/**
 * The forecaster the plugin answers with: seasonal naive (a day repeats the same weekday of the last
 * week) with intervals calibrated by horizon on its own rolling-origin errors inside the history.
 */
export function createDemandModel(spec: DemandModelSpec, horizon: number, options: { nonNegative?: boolean } = {}): ForecastModel {
  return withConformalIntervals(seasonalNaive(spec.season), {
    horizon,
    levels: spec.levels,
    step: spec.calibrationStep,
    maxOrigins: spec.calibrationOrigins,
    nonNegative: options.nonNegative ?? true,
  }) as ForecastModel;
}

export interface BacktestOptions {
  initial: number;
  step: number;
  horizon: number;
  /** Season of the seasonal-naive baseline and of MASE's scale (default 7). */
  season?: number;
  nonNegative?: boolean;
  onFold?(done: number, total: number, model: string): void;
}

export interface ScoredModel extends ForecastScores {
  name: string;
}

export interface DemandBacktestResult {
  folds: number;
  points: number;
  fitMs: number;
  model: ScoredModel;
  baselines: { seasonalNaive: ScoredModel; naive: ScoredModel };
  /** Regressors given but not used by this model. */
  ignoredRegressors: string[];
}

/**
 * Rolling-origin backtest of the plugin's model beside the seasonal-naive and naive baselines,
 * each with intervals calibrated the same way (only on rows before each origin).
 */
export function backtestDemand(series: SeriesInput, options: BacktestOptions, spec: DemandModelSpec = DEFAULT_DEMAND_SPEC): DemandBacktestResult {
  const season = options.season ?? 7;
  const scale = maseScale(series.values, options.initial, season);
  const run = (name: string, model: ForecastModel) => {
    const r = rollingOriginBacktest(series, model, {
      initial: options.initial,
      step: options.step,
      horizon: options.horizon,
      levels: spec.levels,
      onFold: (done, total) => options.onFold?.(done, total, name),
    });
    return { run: r, scores: { name, ...scoreBacktest(r.points, scale) } };
  };
  const calibrate = (m: ForecastModel) =>
    withConformalIntervals(m, {
      horizon: options.horizon,
      levels: spec.levels,
      step: spec.calibrationStep,
      maxOrigins: spec.calibrationOrigins,
      nonNegative: options.nonNegative ?? false,
    }) as ForecastModel;
  const model = run(`${spec.kind}+conformal`, createDemandModel(spec, options.horizon, { nonNegative: options.nonNegative ?? false }));
  const sn = run('seasonal-naive', calibrate(seasonalNaive(season)));
  const nv = run('naive', calibrate(naive()));
  return {
    folds: model.run.folds,
    points: model.run.points.length,
    fitMs: Math.round(model.run.fitMs * 10) / 10,
    model: model.scores,
    baselines: { seasonalNaive: sn.scores, naive: nv.scores },
    ignoredRegressors: Object.keys(series.regressors ?? {}),
  };
}
