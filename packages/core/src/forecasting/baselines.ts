import type { ForecastModel, ForecastOutput } from '../contracts/model.js';

/** A fitted seasonal-naive (or naive) model: the season and its last observed values. */
export interface SeasonalNaiveState {
  season: number;
  /** The last `season` observed values, oldest first. */
  lastSeason: number[];
}

/** ŷ(T+h) = y(T + h − m·⌈h/m⌉): each future day repeats the same weekday of the last observed week. */
export function seasonalNaive(season = 7): ForecastModel<SeasonalNaiveState> {
  if (!Number.isInteger(season) || season < 1) throw new RangeError('season must be a positive integer');
  return {
    name: season === 1 ? 'naive' : 'seasonal-naive',
    type: 'baseline',
    config: { season },
    fit(train) {
      if (train.values.length < season) throw new RangeError(`seasonal naive needs at least ${season} rows, got ${train.values.length}`);
      return { season, lastSeason: train.values.slice(-season) };
    },
    predict(state, query): ForecastOutput {
      const mean = new Array<number>(query.horizon);
      for (let h = 1; h <= query.horizon; h++) mean[h - 1] = state.lastSeason[(h - 1) % state.season]!;
      return { mean, intervals: [] };
    },
  };
}

/** ŷ(T+h) = y(T). */
export function naive(): ForecastModel<SeasonalNaiveState> {
  return seasonalNaive(1);
}

/** A fitted historical-average model: the mean it forecasts. */
export interface HistoricalAverageState {
  mean: number;
}

/** ŷ(T+h) = mean of the last `window` values (all of them when `window` is absent). */
export function historicalAverage(window?: number): ForecastModel<HistoricalAverageState> {
  return {
    name: 'historical-average',
    type: 'baseline',
    config: { window: window ?? null },
    fit(train) {
      const v = window ? train.values.slice(-window) : train.values;
      if (v.length === 0) throw new RangeError('historical average needs at least one row');
      return { mean: v.reduce((a, b) => a + b, 0) / v.length };
    },
    predict(state, query) {
      return { mean: new Array<number>(query.horizon).fill(state.mean), intervals: [] };
    },
  };
}
