import type { ForecastModel, ForecastOutput, SeriesInput } from '@rfid3/core';

/**
 * Damped additive Holt-Winters (ETS(A,Ad,A)) with a weekly season. Smoothing parameters are chosen by
 * minimising the one-step-ahead squared error on the training data: a coarse grid, then Nelder-Mead.
 */
export interface HoltWintersConfig {
  season: number;
  /** Fix the damping factor instead of estimating it in [0.8, 0.98]. */
  phi?: number;
  /** Fit on log(1 + y) (multiplicative season) or on y. */
  transform: 'none' | 'log1p';
}

/** A fitted Holt-Winters model as plain data. */
export interface HoltWintersState {
  season: number;
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
  level: number;
  trend: number;
  /** Seasonal states, index = (row index) mod season of the next row. */
  seasonal: number[];
  /** Row index of the next (first future) row, for the seasonal phase. */
  next: number;
  transform: 'none' | 'log1p';
  sse: number;
}

interface Params {
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
}

function run(y: number[], m: number, p: Params, keep = false) {
  // Initial states from the first two seasons (the classical heuristic).
  const first = y.slice(0, m);
  const second = y.slice(m, 2 * m);
  const mean1 = first.reduce((a, b) => a + b, 0) / m;
  const mean2 = second.length === m ? second.reduce((a, b) => a + b, 0) / m : mean1;
  let level = mean1;
  let trend = (mean2 - mean1) / m;
  const seasonal = first.map((v) => v - mean1);
  let sse = 0;
  for (let i = 0; i < y.length; i++) {
    const s = seasonal[i % m]!;
    const fc = level + p.phi * trend + s;
    const e = y[i]! - fc;
    if (i >= m) sse += e * e;
    const prevLevel = level;
    level = prevLevel + p.phi * trend + p.alpha * e;
    trend = p.phi * trend + p.beta * p.alpha * e;
    seasonal[i % m] = s + p.gamma * (1 - p.alpha) * e;
  }
  return keep ? { sse, level, trend, seasonal } : { sse, level: 0, trend: 0, seasonal };
}

const clampParams = (x: number[], fixedPhi?: number): Params => {
  const c = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  const alpha = c(x[0]!, 0.001, 0.999);
  return { alpha, beta: c(x[1]!, 0.0001, 0.999), gamma: c(x[2]!, 0.0001, 0.999), phi: fixedPhi ?? c(x[3]!, 0.8, 0.98) };
};

/** Nelder-Mead on a small box-clamped problem. */
function nelderMead(f: (x: number[]) => number, x0: number[], step: number[], iterations = 120): number[] {
  const n = x0.length;
  let simplex = [x0, ...x0.map((_, i) => x0.map((v, j) => (i === j ? v + step[j]! : v)))];
  let values = simplex.map(f);
  for (let it = 0; it < iterations; it++) {
    const order = values.map((v, i) => i).sort((a, b) => values[a]! - values[b]!);
    simplex = order.map((i) => simplex[i]!);
    values = order.map((i) => values[i]!);
    const centroid = Array.from({ length: n }, (_, j) => simplex.slice(0, n).reduce((s, p) => s + p[j]!, 0) / n);
    const worst = simplex[n]!;
    const towards = (t: number) => centroid.map((c, j) => c + t * (worst[j]! - c));
    const reflected = towards(-1);
    const fr = f(reflected);
    if (fr < values[0]!) {
      const expanded = towards(-2);
      const fe = f(expanded);
      if (fe < fr) {
        simplex[n] = expanded;
        values[n] = fe;
      } else {
        simplex[n] = reflected;
        values[n] = fr;
      }
    } else if (fr < values[n - 1]!) {
      simplex[n] = reflected;
      values[n] = fr;
    } else {
      const contracted = towards(0.5);
      const fc = f(contracted);
      if (fc < values[n]!) {
        simplex[n] = contracted;
        values[n] = fc;
      } else {
        for (let i = 1; i <= n; i++) {
          simplex[i] = simplex[i]!.map((v, j) => simplex[0]![j]! + 0.5 * (v - simplex[0]![j]!));
          values[i] = f(simplex[i]!);
        }
      }
    }
    if (Math.abs(values[n]! - values[0]!) <= 1e-10 * (Math.abs(values[0]!) + 1e-12)) break;
  }
  const best = values.indexOf(Math.min(...values));
  return simplex[best]!;
}

/** A damped Holt-Winters (exponential smoothing) forecast model. */
export function holtWinters(config: Partial<HoltWintersConfig> = {}, name = 'holt-winters-damped'): ForecastModel<HoltWintersState> {
  const cfg: HoltWintersConfig = { season: 7, transform: 'none', ...config };
  const m = cfg.season;
  return {
    name,
    type: 'ets',
    config: { ...cfg },
    fit(train: SeriesInput): HoltWintersState {
      const y = train.values.map((v) => (cfg.transform === 'log1p' ? Math.log1p(Math.max(0, v)) : v));
      if (y.length < 2 * m + 2) throw new RangeError(`Holt-Winters needs at least ${2 * m + 2} rows, got ${y.length}`);
      const objective = (x: number[]) => run(y, m, clampParams(x, cfg.phi)).sse;
      let best: number[] = [0.3, 0.05, 0.1, 0.95];
      let bestSse = Number.POSITIVE_INFINITY;
      for (const a of [0.05, 0.15, 0.3, 0.5, 0.8]) {
        for (const b of [0.01, 0.1]) {
          for (const g of [0.01, 0.1, 0.3]) {
            for (const ph of cfg.phi !== undefined ? [cfg.phi] : [0.85, 0.95]) {
              const sse = objective([a, b, g, ph]);
              if (sse < bestSse) {
                bestSse = sse;
                best = [a, b, g, ph];
              }
            }
          }
        }
      }
      const x = nelderMead(objective, best, [0.05, 0.02, 0.05, 0.02]);
      const p = clampParams(x, cfg.phi);
      const end = run(y, m, p, true);
      return { season: m, ...p, level: end.level, trend: end.trend, seasonal: end.seasonal, next: y.length, transform: cfg.transform, sse: end.sse };
    },
    predict(state, query): ForecastOutput {
      const mean: number[] = [];
      let damp = 0;
      for (let h = 1; h <= query.horizon; h++) {
        damp += state.phi ** h;
        const z = state.level + damp * state.trend + state.seasonal[(state.next + h - 1) % state.season]!;
        mean.push(state.transform === 'log1p' ? Math.expm1(z) : z);
      }
      return { mean, intervals: [] };
    },
  };
}
