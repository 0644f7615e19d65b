import type { ForecastModel, ForecastOutput, SeriesInput } from '@rfid3/core';

/**
 * Seasonal ARIMA (p, d, 1)(0, 1, 1)ₛ with p, d ∈ {0, 1}: the ARIMA family's member. The default, (0, 1, 1)(0, 1, 1)₇,
 * is Box and Jenkins' "airline" model on daily data: a weekly seasonal difference and a regular one, with a
 * moving-average term on each, so the level, the slope and the weekly profile all adapt at rates the data
 * choose. Fitted by conditional least squares (the pre-sample errors taken as zero): a coarse grid over the
 * invertible region, then a coordinate search.
 */
export interface ArimaConfig {
  season: number;
  /** Regular differences (0 or 1) on top of the seasonal one. */
  d: 0 | 1;
  /** A regular AR(1) term. */
  ar: boolean;
  /** Fit on log(1 + y) (multiplicative season) or on y. */
  transform: 'none' | 'log1p';
}

/** A fitted seasonal ARIMA as plain data. */
export interface ArimaState {
  config: ArimaConfig;
  /** AR(1), MA(1) and seasonal MA(1) coefficients. */
  phi: number;
  theta: number;
  seasonalTheta: number;
  /** The last rows of the (transformed) series, differenced series and errors the recursion needs. */
  tail: number[];
  wTail: number[];
  eTail: number[];
  sigma: number;
}

const GRID = [-0.9, -0.7, -0.5, -0.3, -0.1, 0.1, 0.3, 0.5, 0.7, 0.9];

/** A seasonal ARIMA forecast model (as configured by `ArimaConfig`). */
export function seasonalArima(config: Partial<ArimaConfig> = {}, name = 'arima'): ForecastModel<ArimaState> {
  const cfg: ArimaConfig = { season: 7, d: 1, ar: false, transform: 'none', ...config };
  const s = cfg.season;
  // Rows of history the differencing and the seasonal MA term reach back.
  const reach = s + cfg.d;
  return {
    name,
    type: 'arima',
    config: { ...cfg },
    fit(train: SeriesInput): ArimaState {
      const y = train.values.map((v) => (cfg.transform === 'log1p' ? Math.log1p(Math.max(0, v)) : v));
      const n = y.length;
      if (n < 3 * s + 10) throw new RangeError(`seasonal ARIMA needs at least ${3 * s + 10} rows, got ${n}`);
      // w = (1 − B)ᵈ(1 − Bˢ) y.
      const w = new Float64Array(n - reach);
      for (let t = reach; t < n; t++) w[t - reach] = y[t]! - y[t - s]! - (cfg.d ? y[t - 1]! - y[t - 1 - s]! : 0);
      const m = w.length;
      const e = new Float64Array(m);
      // Conditional sum of squares of (1 − φB) w = (1 + θB)(1 + ΘBˢ) e.
      const css = (phi: number, theta: number, big: number) => {
        let sum = 0;
        for (let t = 0; t < m; t++) {
          let pred = 0;
          if (t >= 1) pred += phi * w[t - 1]! + theta * e[t - 1]!;
          if (t >= s) pred += big * e[t - s]!;
          if (t >= s + 1) pred += theta * big * e[t - s - 1]!;
          e[t] = w[t]! - pred;
          if (t >= s + 1) sum += e[t]! ** 2;
        }
        return sum;
      };
      let best: [number, number, number] = [0, 0, 0];
      let bestSs = Number.POSITIVE_INFINITY;
      for (const phi of cfg.ar ? GRID : [0]) {
        for (const theta of GRID) {
          for (const big of GRID) {
            const v = css(phi, theta, big);
            if (v < bestSs) {
              bestSs = v;
              best = [phi, theta, big];
            }
          }
        }
      }
      // Coordinate search from the best grid point, inside the invertible (and stationary) box.
      let step = 0.1;
      while (step >= 1e-3) {
        let moved = false;
        for (let j = cfg.ar ? 0 : 1; j < 3; j++) {
          for (const delta of [-step, step]) {
            const c: [number, number, number] = [...best];
            c[j] = Math.max(-0.98, Math.min(0.98, c[j]! + delta));
            const v = css(...c);
            if (v < bestSs) {
              bestSs = v;
              best = c;
              moved = true;
            }
          }
        }
        if (!moved) step /= 2;
      }
      css(...best);
      const keep = s + 1;
      return {
        config: cfg,
        phi: best[0],
        theta: best[1],
        seasonalTheta: best[2],
        tail: y.slice(n - reach - 1),
        wTail: Array.from(w.subarray(m - keep)),
        eTail: Array.from(e.subarray(m - keep)),
        sigma: Math.sqrt(bestSs / Math.max(1, m - s - 1)),
      };
    },
    predict(state, query): ForecastOutput {
      const { phi, theta, seasonalTheta: big } = state;
      const y = state.tail.slice();
      const w = state.wTail.slice();
      const e = state.eTail.slice();
      const mean: number[] = [];
      for (let h = 0; h < query.horizon; h++) {
        const t = w.length;
        const wNext = phi * w[t - 1]! + theta * e[t - 1]! + big * e[t - s]! + theta * big * e[t - s - 1]!;
        w.push(wNext);
        e.push(0);
        const k = y.length;
        // Undo the differences: y_t = w_t + y_{t−s} (+ y_{t−1} − y_{t−1−s}).
        const yNext = wNext + y[k - s]! + (state.config.d ? y[k - 1]! - y[k - 1 - s]! : 0);
        y.push(yNext);
        mean.push(state.config.transform === 'log1p' ? Math.expm1(yNext) : yNext);
      }
      return { mean, intervals: [] };
    },
  };
}
