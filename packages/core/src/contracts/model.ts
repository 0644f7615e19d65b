/**
 * The one surface every model has (scikit-learn / statsforecast style): configuration is plain data,
 * `fit` returns plain fitted state that serialises, `predict` is a pure function of that state.
 * Baselines (naive, seasonal naive, historical average) are models like any other.
 */
export interface Model<TTrain, TState, TQuery, TOutput> {
  /** Stable name, e.g. `seasonal-naive`; the registry versions fitted states under it. */
  readonly name: string;
  /** Model family, e.g. `baseline`, `ets`, `random-forest`; stored as `model_type`. */
  readonly type: string;
  /** The configuration it was built with (plain data, recorded with each fitted version). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Fits the model: training data in, plain fitted state out. */
  fit(train: TTrain): TState;
  /** Predicts from fitted state: a pure function of the state and the query. */
  predict(state: TState, query: TQuery): TOutput;
}

/** A univariate series, one value per step (a day for demand), with optional aligned regressors. */
export interface SeriesInput {
  values: number[];
  /** ISO dates (YYYY-MM-DD) aligned with `values`, when known. */
  dates?: string[];
  /** Regressors aligned with `values`; a forecast must be given their future values. */
  regressors?: Record<string, number[]>;
}

/** What to forecast: the horizon, the interval levels, and the future values of the regressors and dates. */
export interface ForecastQuery {
  horizon: number;
  /** Interval levels wanted, e.g. [0.8, 0.95]. */
  levels?: number[];
  /** Future values of the regressors, `horizon` long each. Only forecastable inputs belong here. */
  futureRegressors?: Record<string, number[]>;
  futureDates?: string[];
}

/** A forecast interval at one level: lower and upper bounds for each step. */
export interface ForecastInterval {
  level: number;
  lower: number[];
  upper: number[];
}

/** A forecast: the mean for each step and the intervals around it. */
export interface ForecastOutput {
  mean: number[];
  intervals: ForecastInterval[];
}

/** A model over a single series: fit on history, forecast `horizon` steps with intervals. */
export type ForecastModel<TState = unknown> = Model<SeriesInput, TState, ForecastQuery, ForecastOutput>;
