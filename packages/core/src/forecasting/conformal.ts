import { quantileSorted } from 'simple-statistics';
import type { ForecastInterval, ForecastModel, SeriesInput } from '../contracts/model.js';
import { sliceSeries } from './series.js';

/** Options of `conformalIntervals`: the calibrated horizon, the levels and the inner origins. */
export interface ConformalOptions {
  /** Longest horizon the intervals are calibrated for; longer ones widen with √h beyond it. */
  horizon: number;
  levels?: number[];
  /** Fewest training rows an inner origin may have. */
  minTrain?: number;
  /** Rows between inner origins (1 = every day). */
  step?: number;
  /** Use at most this many of the most recent inner origins. */
  maxOrigins?: number;
  /** Clip forecasts and lower bounds at zero (counts). */
  nonNegative?: boolean;
}

/** A model fitted with conformal intervals: the inner model's state and the residual quantiles by horizon. */
export interface ConformalState<S> {
  inner: S;
  horizon: number;
  /** Residual quantiles per level and horizon (index h − 1): y − ŷ at the lower and upper tail. */
  quantiles: { level: number; lower: number[]; upper: number[] }[];
  /** Residuals behind each horizon's quantiles. */
  counts: number[];
}

/**
 * Gives any forecast model intervals calibrated on its own rolling-origin errors inside the training
 * data (split-conformal by horizon): fit on rows before each inner origin, forecast ahead, and take
 * the empirical quantiles of the signed errors at each horizon. Nothing after the training data is used.
 */
export function withConformalIntervals<S>(model: ForecastModel<S>, options: ConformalOptions): ForecastModel<ConformalState<S>> {
  const levels = options.levels ?? [0.8, 0.95];
  const H = options.horizon;
  const step = options.step ?? 1;
  const maxOrigins = options.maxOrigins ?? 365;
  for (const l of levels) if (!(l > 0 && l < 1)) throw new RangeError(`interval level ${l} must be in (0, 1)`);
  return {
    name: model.name,
    type: model.type,
    config: { ...model.config, conformal: { horizon: H, levels, step, maxOrigins, minTrain: options.minTrain ?? null } },
    fit(train: SeriesInput): ConformalState<S> {
      const n = train.values.length;
      const minTrain = options.minTrain ?? Math.min(Math.max(14, Math.floor(n / 2)), n - 1);
      const residuals: number[][] = Array.from({ length: H }, () => []);
      const origins: number[] = [];
      for (let o = n - 1; o >= minTrain && origins.length < maxOrigins; o -= step) origins.push(o);
      for (const o of origins) {
        const h = Math.min(H, n - o);
        const state = model.fit(sliceSeries(train, 0, o));
        const future = sliceSeries(train, o, o + h);
        const fc = model.predict(state, { horizon: h, futureRegressors: future.regressors, futureDates: future.dates });
        for (let k = 0; k < h; k++) residuals[k]!.push(train.values[o + k]! - fc.mean[k]!);
      }
      // Horizons with few errors borrow the shorter horizons' errors, so no interval rests on a handful.
      const pooled: number[][] = [];
      for (let k = 0; k < H; k++) {
        let r = residuals[k]!;
        if (r.length < 20) for (let j = k - 1; j >= 0 && r.length < 20; j--) r = r.concat(residuals[j]!);
        pooled.push(r.slice().sort((a, b) => a - b));
      }
      const quantiles = levels.map((level) => {
        const alpha = 1 - level;
        const lower: number[] = [];
        const upper: number[] = [];
        for (const sorted of pooled) {
          if (sorted.length === 0) {
            lower.push(Number.NaN);
            upper.push(Number.NaN);
            continue;
          }
          // Finite-sample correction of split-conformal prediction: (n + 1) / n on each tail.
          const m = sorted.length;
          const pu = Math.min(1, (1 - alpha / 2) * ((m + 1) / m));
          const pl = Math.max(0, 1 - (1 - alpha / 2) * ((m + 1) / m));
          lower.push(quantileSorted(sorted, pl));
          upper.push(quantileSorted(sorted, pu));
        }
        return { level, lower, upper };
      });
      return { inner: model.fit(train), horizon: H, quantiles, counts: pooled.map((p) => p.length) };
    },
    predict(state, query) {
      const out = model.predict(state.inner, query);
      const mean = options.nonNegative ? out.mean.map((v) => Math.max(0, v)) : out.mean;
      return { mean, intervals: conformalIntervals(out.mean, state, query.levels ?? levels, options.nonNegative ?? false) };
    },
  };
}

/**
 * Intervals around `centre` from calibrated error quantiles by horizon: horizons beyond the calibrated ones widen
 * with √h; a horizon with no quantile (NaN) gets a NaN interval; lower bounds clip at zero for counts.
 */
export function conformalIntervals(
  centre: readonly number[],
  state: Pick<ConformalState<unknown>, 'quantiles' | 'horizon'>,
  levels: readonly number[],
  nonNegative: boolean,
): ForecastInterval[] {
  return levels.map((level) => {
    const q = state.quantiles.find((x) => Math.abs(x.level - level) < 1e-9);
    if (!q) throw new RangeError(`no calibrated ${level} interval (calibrated: ${state.quantiles.map((x) => x.level).join(', ')})`);
    const lower: number[] = [];
    const upper: number[] = [];
    for (let k = 0; k < centre.length; k++) {
      const idx = Math.min(k, state.horizon - 1);
      const widen = k < state.horizon ? 1 : Math.sqrt((k + 1) / state.horizon);
      const lq = q.lower[idx] ?? Number.NaN;
      const uq = q.upper[idx] ?? Number.NaN;
      if (Number.isNaN(lq) || Number.isNaN(uq)) {
        lower.push(Number.NaN);
        upper.push(Number.NaN);
        continue;
      }
      let lo = centre[k]! + lq * widen;
      const hi = centre[k]! + uq * widen;
      if (nonNegative) lo = Math.max(0, lo);
      lower.push(lo);
      upper.push(Math.max(hi, lo));
    }
    return { level, lower, upper };
  });
}
