import type { CalendarEvent, ForecastModel, SeriesInput } from '@rfid3/core';
import { historicalAverage, maseScale, naive, rollingOriginBacktest, scoreBacktest, seasonalNaive, withConformalIntervals } from '@rfid3/core';
import type { ForecastScores } from '@rfid3/core';
import { forecastEnsemble } from './models/ensemble.js';
import { seasonalArima } from './models/arima.js';
import { holtWinters } from './models/holt-winters.js';
import { decomposableRegression } from './models/regression.js';
import type { RegressionConfig } from './models/regression.js';

/** The ensemble's possible members (each a core `Model`). */
export type DemandMember = 'regression' | 'regression-log' | 'regression-local' | 'holt-winters' | 'arima' | 'seasonal-naive' | 'historical-average';

/** The plain-data description of the demand model; it is what the registry versions. */
export interface DemandModelSpec {
  /** `ensemble` (this version) or the first version's `seasonal-naive`, still readable from the registry. */
  kind: 'ensemble' | 'seasonal-naive';
  season: number;
  levels: number[];
  members?: DemandMember[];
  /** Rows between the inner origins weights and intervals come from (0 = from the horizon), and how many recent origins. */
  calibrationStep: number;
  calibrationOrigins: number;
  holidays?: 'us' | 'none';
  /** Days before and after each US holiday with their own effect. */
  holidayWindow?: [number, number];
  /** How inner backtest errors become weights (see `EnsembleOptions.weighting`); default `search`. */
  weighting?: 'search' | { softmax: number; orBest?: boolean };
  /** Overrides of the regression members' configuration (plain data, e.g. fewer changepoints). */
  regression?: Partial<Omit<RegressionConfig, 'events'>>;
  /** How intervals are made (see `EnsembleOptions.intervals`); absent in versions before it, which were `conformal`. */
  intervals?: 'conformal' | 'counts';
}

/** The demand model's default spec: an ensemble of its members, weighted by inner backtests. */
export const DEFAULT_DEMAND_SPEC: DemandModelSpec = {
  kind: 'ensemble',
  season: 7,
  levels: [0.8, 0.95],
  members: ['regression', 'regression-log', 'regression-local', 'holt-winters', 'seasonal-naive'],
  calibrationStep: 0,
  calibrationOrigins: 16,
  holidays: 'us',
  holidayWindow: [-3, 1],
  // Soft weights: picking the single best of five members on a few hundred correlated inner errors is noisy.
  weighting: { softmax: 0.3 },
};

/**
 * What the plugin serves: rental demand is multiplicative (a busy season scales the weekly swing), so the
 * log regression stands in for the additive ones; the recency-weighted one earns its place with weather
 * regressors, which the plugin's series do not carry. A lighter regression (10 changepoints, yearly order 4,
 * no robust pass) keeps a category's forecast fast; 20 inner origins a week apart calibrate it.
 */
export const SERVING_DEMAND_SPEC: DemandModelSpec = {
  ...DEFAULT_DEMAND_SPEC,
  members: ['regression-log', 'holt-winters', 'seasonal-naive'],
  calibrationStep: 7,
  calibrationOrigins: 20,
  holidayWindow: [-3, 0],
  regression: { changepoints: 10, yearlyOrder: 4, robustIterations: 0 },
  // Three members far apart: the best alone when it errs less inside than the soft blend.
  weighting: { softmax: 0.3, orBest: true },
  // Units out per day are counts, often of a few units: negative binomial ranges (eval: demand-counts).
  intervals: 'counts',
};

/**
 * For forecasting thousands of rental-class series at once: the log regression with a lighter design
 * (10 changepoints, yearly order 4, holidays on their day, no robust pass) beside seasonal naive, with
 * fewer inner origins.
 */
export const BULK_DEMAND_SPEC: DemandModelSpec = {
  ...SERVING_DEMAND_SPEC,
  members: ['regression-log', 'seasonal-naive'],
  calibrationStep: 7,
  // 14 inner origins instead of 20: a third less work, intervals a little wider (tails at 3.6 % and 96.4 %).
  calibrationOrigins: 14,
  holidayWindow: [0, 0],
  regression: { changepoints: 10, yearlyOrder: 4, robustIterations: 0 },
};

/** Options of the demand model beyond its spec. */
export interface DemandModelOptions {
  nonNegative?: boolean;
  /** Local events (graduations, fairs…) the regression members model beside the holidays. */
  events?: CalendarEvent[];
}

/** One member of the ensemble, configured for a spec. */
export function createMember(member: DemandMember, spec: DemandModelSpec, options: DemandModelOptions = {}): ForecastModel {
  const calendar = {
    ...spec.regression,
    holidays: spec.holidays ?? 'us',
    holidayWindow: spec.holidayWindow ?? ([0, 0] as [number, number]),
    events: options.events ?? [],
  };
  switch (member) {
    case 'regression':
      // Trend with changepoints, yearly Fourier, weekday, calendar, regressors.
      return decomposableRegression(calendar, 'regression') as ForecastModel;
    case 'regression-log':
      // Multiplicative effects (a busy season scales the weekly swing): the regression on log(1 + y).
      return decomposableRegression({ ...calendar, transform: 'log1p' }, 'regression-log') as ForecastModel;
    case 'regression-local':
      // The same regression leaning on the recent past: recent days weigh more, no yearly terms.
      return decomposableRegression({ ...calendar, yearlyOrder: 0, halfLifeDays: 120 }, 'regression-local') as ForecastModel;
    case 'holt-winters':
      return holtWinters({ season: spec.season }) as ForecastModel;
    case 'arima':
      // The airline model, (0, 1, 1)(0, 1, 1) with the spec's season. Not in the default spec: on the bike
      // folds it gained 0.3 % without regressors and cost 1.7 % with weather (eval notes).
      return seasonalArima({ season: spec.season }) as ForecastModel;
    case 'seasonal-naive':
      return seasonalNaive(spec.season) as ForecastModel;
    case 'historical-average':
      return historicalAverage(28) as ForecastModel;
  }
}

/** Rows between inner origins when the spec leaves it to the horizon: about half the horizon, 7 to 30 days. */
export function calibrationStep(spec: DemandModelSpec, horizon: number): number {
  return spec.calibrationStep > 0 ? spec.calibrationStep : Math.min(30, Math.max(7, Math.round(horizon / 2)));
}

/**
 * The forecaster the plugin answers with: an ensemble of the spec's members whose weights and intervals
 * come from rolling-origin backtests inside each series' own history (see `forecastEnsemble`).
 */
export function createDemandModel(spec: DemandModelSpec, horizon: number, options: DemandModelOptions = {}): ForecastModel {
  if (spec.kind === 'seasonal-naive') {
    return withConformalIntervals(seasonalNaive(spec.season), {
      horizon,
      levels: spec.levels,
      step: spec.calibrationStep || 1,
      maxOrigins: spec.calibrationOrigins,
      nonNegative: options.nonNegative ?? true,
    }) as ForecastModel;
  }
  const members = (spec.members ?? DEFAULT_DEMAND_SPEC.members!).map((m) => createMember(m, spec, options));
  return forecastEnsemble(members, {
    horizon,
    levels: spec.levels,
    step: calibrationStep(spec, horizon),
    maxOrigins: spec.calibrationOrigins,
    nonNegative: options.nonNegative ?? true,
    weighting: spec.weighting,
    intervals: spec.intervals ?? 'conformal',
  }) as ForecastModel;
}

/** Options of `backtestDemand`: the rolling origins (initial window, step, horizon) and what else to score. */
export interface BacktestOptions {
  initial: number;
  step: number;
  horizon: number;
  /** Season of the seasonal-naive baseline and of MASE's scale (default 7). */
  season?: number;
  nonNegative?: boolean;
  /** Also backtest each member alone (with the same conformal intervals), to compare the ensemble with its best member. */
  members?: boolean;
  events?: CalendarEvent[];
  /** Called after each fold, for progress. */
  onFold?(done: number, total: number, model: string): void;
}

/** A model's backtest scores under its name. */
export interface ScoredModel extends ForecastScores {
  name: string;
}

/** What `backtestDemand` reports: the model's scores beside the naive and seasonal-naive baselines'. */
export interface DemandBacktestResult {
  folds: number;
  points: number;
  fitMs: number;
  model: ScoredModel;
  baselines: { seasonalNaive: ScoredModel; naive: ScoredModel };
  /** Each member backtested alone, when asked for. */
  members?: ScoredModel[];
  /** Regressors the model used (those the series carries). */
  regressors: string[];
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
  const nonNegative = options.nonNegative ?? false;
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
      step: 1,
      maxOrigins: 365,
      nonNegative,
    }) as ForecastModel;
  const modelName = spec.kind === 'ensemble' ? 'ensemble' : `${spec.kind}+conformal`;
  const model = run(modelName, createDemandModel(spec, options.horizon, { nonNegative, events: options.events }));
  const sn = run('seasonal-naive', calibrate(seasonalNaive(season)));
  const nv = run('naive', calibrate(naive()));
  const members =
    options.members && spec.kind === 'ensemble'
      ? (spec.members ?? DEFAULT_DEMAND_SPEC.members!).map(
          (m) => run(m, createDemandModel({ ...spec, members: [m] }, options.horizon, { nonNegative, events: options.events })).scores,
        )
      : undefined;
  const regs = Object.keys(series.regressors ?? {});
  const usesRegressors = spec.kind === 'ensemble' && (spec.members ?? DEFAULT_DEMAND_SPEC.members!).some((m) => m.startsWith('regression'));
  return {
    folds: model.run.folds,
    points: model.run.points.length,
    fitMs: Math.round(model.run.fitMs * 10) / 10,
    model: model.scores,
    baselines: { seasonalNaive: sn.scores, naive: nv.scores },
    ...(members ? { members } : {}),
    regressors: usesRegressors ? regs : [],
    ignoredRegressors: usesRegressors ? [] : regs,
  };
}
