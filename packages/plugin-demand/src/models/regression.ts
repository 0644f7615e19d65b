import type { CalendarEvent, ForecastModel, ForecastOutput, SeriesInput } from '@rfid3/core';
import { penalisedLeastSquares } from '@rfid3/core';
import { calendarColumns, seriesDays, weekdayOf } from './calendar.js';

/**
 * A decomposable regression (the role Prophet plays in the design): piecewise-linear trend with
 * changepoints, yearly Fourier terms, weekday, holiday and event indicators and optional regressors,
 * fitted by ridge-penalised weighted least squares (core's `penalisedLeastSquares`). Penalties play the part of
 * Prophet's priors; recency weights let the level follow the recent past.
 */
export interface RegressionConfig {
  /** Fourier order of the yearly seasonality (0 = none) with two or more years of history. */
  yearlyOrder: number;
  /** Yearly terms only when the history spans at least this many days; below two years the order is at most 3. */
  minYearlyDays: number;
  weekly: boolean;
  /** Potential trend changepoints, spread evenly over the first `changepointRange` of the history. */
  changepoints: number;
  changepointRange: number;
  /** Ridge penalties (on the standardised series) of slope changes, Fourier terms, calendar and regressors. */
  changepointPenalty: number;
  seasonalityPenalty: number;
  calendarPenalty: number;
  regressorPenalty: number;
  holidays: 'us' | 'none';
  /** Days before (≤ 0) and after (≥ 0) each US holiday that get their own effect. */
  holidayWindow: [number, number];
  events: CalendarEvent[];
  /** Use the regressors the series carries (their future values must be given to predict). */
  useRegressors: boolean;
  /** Add each regressor's square (demand often peaks at a middling temperature). */
  regressorSquares: boolean;
  /** Add products of regressor pairs, and of each regressor with the trend (effects that grow with the business). */
  regressorInteractions: boolean;
  /** Observation weights halve every this many days back (null = equal weights). */
  halfLifeDays: number | null;
  /** Per-day damping of the final slope when extrapolating (1 = straight line, 0 = flat). */
  trendDamping: number;
  /** Carry the last residuals forward with their AR(1) coefficient. */
  residualAr: boolean;
  /**
   * Also carry the mean residual of the last `levelWindow` days forward, shrinking by `levelDecay` a day:
   * the level shifts that a smooth trend misses (0 = off).
   */
  levelWindow: number;
  levelDecay: number;
  /**
   * Most iteratively reweighted passes towards least absolute deviations (0 = plain least squares); they
   * stop early once a pass lowers the absolute loss by less than 0.3 %. Demand is skewed (a storm empties a
   * day), and the median, not the mean, minimises absolute error, the measure forecasts are judged by.
   */
  robustIterations: number;
  /** Fit on log(1 + y) (multiplicative effects) or on y. */
  transform: 'none' | 'log1p';
}

/** The regression members' default configuration. */
export const DEFAULT_REGRESSION: RegressionConfig = {
  yearlyOrder: 10,
  minYearlyDays: 365,
  weekly: true,
  changepoints: 25,
  changepointRange: 0.8,
  changepointPenalty: 10,
  seasonalityPenalty: 1,
  calendarPenalty: 1,
  regressorPenalty: 0.1,
  holidays: 'us',
  holidayWindow: [0, 0],
  events: [],
  useRegressors: true,
  regressorSquares: true,
  regressorInteractions: false,
  halfLifeDays: null,
  trendDamping: 0.99,
  residualAr: true,
  levelWindow: 28,
  levelDecay: 0.99,
  robustIterations: 10,
  transform: 'none',
};

/** A fitted decomposable regression as plain data. */
export interface RegressionState {
  config: RegressionConfig;
  names: string[];
  coef: number[];
  /** Standardisation of the (transformed) series. */
  yMean: number;
  ySd: number;
  firstDay: number;
  lastDay: number;
  span: number;
  changepointsAt: number[];
  yearlyOrder: number;
  calendarNames: string[];
  regressors: { name: string; mean: number; sd: number }[];
  /** AR(1) of residuals and the last residual (standardised scale). */
  phi: number;
  lastResidual: number;
  /** Mean residual of the last `levelWindow` days, net of the AR(1) part. */
  levelShift: number;
  /** Residual standard deviation on the standardised scale. */
  sigma: number;
}

const TWO_PI = 2 * Math.PI;

interface Design {
  names: string[];
  penalty: number[];
  /** Writes a day's row (t on the training scale) into `out` from `offset`; `regs` are the raw regressor values. */
  fill(out: Float64Array, offset: number, day: number, regs: ArrayLike<number>): void;
  /** The same row as a new array. */
  row(day: number, regs: ArrayLike<number>): Float64Array;
  calendarNames: string[];
}

/** A calendar as the design reads it: column names and the columns (indices) marked on a day. */
interface CalendarLookup {
  names: string[];
  cols(day: number): readonly number[] | undefined;
}

function design(
  config: RegressionConfig,
  frame: { firstDay: number; span: number; changepointsAt: number[]; yearlyOrder: number; regressors: { name: string; mean: number; sd: number }[] },
  calendar: CalendarLookup,
): Design {
  const names: string[] = ['intercept', 'trend'];
  const penalty: number[] = [0, 0];
  frame.changepointsAt.forEach((c) => {
    names.push(`changepoint@${c.toFixed(3)}`);
    penalty.push(config.changepointPenalty);
  });
  for (let k = 1; k <= frame.yearlyOrder; k++) {
    names.push(`yearly_sin${k}`, `yearly_cos${k}`);
    penalty.push(config.seasonalityPenalty * k, config.seasonalityPenalty * k);
  }
  if (config.weekly) {
    for (let w = 1; w < 7; w++) {
      names.push(`weekday${w}`);
      penalty.push(0.01);
    }
  }
  for (const n of calendar.names) {
    names.push(`calendar:${n}`);
    penalty.push(config.calendarPenalty);
  }
  for (const r of frame.regressors) {
    names.push(`regressor:${r.name}`);
    penalty.push(config.regressorPenalty);
    if (config.regressorSquares) {
      names.push(`regressor:${r.name}^2`);
      penalty.push(config.regressorPenalty);
    }
  }
  if (config.regressorInteractions) {
    frame.regressors.forEach((a, i) => {
      for (let j = i + 1; j < frame.regressors.length; j++) {
        names.push(`regressor:${a.name}*${frame.regressors[j]!.name}`);
        penalty.push(config.regressorPenalty * 10);
      }
      names.push(`regressor:${a.name}*trend`);
      penalty.push(config.regressorPenalty * 10);
    });
  }
  const p = names.length;
  const cps = frame.changepointsAt;
  const order = frame.yearlyOrder;
  const regs = frame.regressors;
  const nCal = calendar.names.length;
  const zs = new Float64Array(regs.length);
  const fill = (out: Float64Array, offset: number, day: number, raw: ArrayLike<number>) => {
    const t = (day - frame.firstDay) / frame.span;
    let c = offset;
    out[c++] = 1;
    out[c++] = t;
    for (let j = 0; j < cps.length; j++) out[c++] = t > cps[j]! ? t - cps[j]! : 0;
    if (order > 0) {
      // sin/cos of k·a by the angle-addition recurrence from k = 1 (two trig calls a row instead of 2K).
      const a = (TWO_PI * day) / 365.25;
      const s1 = Math.sin(a);
      const c1 = Math.cos(a);
      let sk = s1;
      let ck = c1;
      for (let k = 1; k <= order; k++) {
        out[c++] = sk;
        out[c++] = ck;
        const sn = sk * c1 + ck * s1;
        ck = ck * c1 - sk * s1;
        sk = sn;
      }
    }
    if (config.weekly) {
      const wd = weekdayOf(day);
      for (let w = 1; w < 7; w++) out[c++] = wd === w ? 1 : 0;
    }
    for (let j = 0; j < nCal; j++) out[c + j] = 0;
    const marked = calendar.cols(day);
    if (marked) for (const j of marked) out[c + j] = 1;
    c += nCal;
    for (let j = 0; j < regs.length; j++) {
      const z = (raw[j]! - regs[j]!.mean) / regs[j]!.sd;
      zs[j] = z;
      out[c++] = z;
      if (config.regressorSquares) out[c++] = z * z - 1;
    }
    if (config.regressorInteractions) {
      for (let i = 0; i < regs.length; i++) {
        for (let j = i + 1; j < regs.length; j++) out[c++] = zs[i]! * zs[j]!;
        out[c++] = zs[i]! * (t - 1);
      }
    }
  };
  const row = (day: number, raw: ArrayLike<number>) => {
    const out = new Float64Array(p);
    fill(out, 0, day, raw);
    return out;
  };
  return { names, penalty, fill, row, calendarNames: calendar.names };
}

const forward = (t: 'none' | 'log1p', y: number) => (t === 'log1p' ? Math.log1p(Math.max(0, y)) : y);
const inverse = (t: 'none' | 'log1p', y: number) => (t === 'log1p' ? Math.expm1(y) : y);

/** A decomposable regression forecast model: trend, weekly and yearly seasonality, calendar effects and regressors. */
export function decomposableRegression(config: Partial<RegressionConfig> = {}, name = 'regression'): ForecastModel<RegressionState> {
  const cfg: RegressionConfig = { ...DEFAULT_REGRESSION, ...config };
  return {
    name,
    type: 'regression',
    config: { ...cfg, events: cfg.events.length },
    fit(train: SeriesInput): RegressionState {
      const n = train.values.length;
      if (n < 14) throw new RangeError(`the regression needs at least 14 rows, got ${n}`);
      const days = seriesDays(n, train.dates);
      const firstDay = days[0]!;
      const lastDay = days[n - 1]!;
      const span = Math.max(1, lastDay - firstDay);
      const yT = train.values.map((v) => forward(cfg.transform, v));
      const yMean = yT.reduce((a, b) => a + b, 0) / n;
      const ySd = Math.sqrt(yT.reduce((a, b) => a + (b - yMean) ** 2, 0) / n) || 1;
      const ys = Float64Array.from(yT, (v) => (v - yMean) / ySd);
      // About one potential changepoint a month of history: more only cost time on short series.
      const cps = Math.min(cfg.changepoints, Math.floor(n / 30));
      const changepointsAt = Array.from({ length: cps }, (_, j) => ((j + 1) * cfg.changepointRange) / (cps + 1));
      // One year of history shows one cycle: a few harmonics only, or trend and season cannot be told apart.
      const spanDays = lastDay - firstDay + 1;
      const yearlyOrder = spanDays < cfg.minYearlyDays ? 0 : spanDays < 730 ? Math.min(3, cfg.yearlyOrder) : cfg.yearlyOrder;
      const regNames = cfg.useRegressors ? Object.keys(train.regressors ?? {}).sort() : [];
      const regressors = regNames.map((name) => {
        const v = train.regressors![name]!;
        const mean = v.reduce((a, b) => a + b, 0) / v.length;
        const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length) || 1;
        return { name, mean, sd };
      });
      const cal = calendarColumns({ holidays: cfg.holidays, holidayWindow: cfg.holidayWindow, events: cfg.events }, days);
      const d = design(cfg, { firstDay, span, changepointsAt, yearlyOrder, regressors }, { names: cal.names, cols: (day) => cal.byDay.get(day) });
      // The design once, row-major in one typed array.
      const p = d.names.length;
      const X = new Float64Array(n * p);
      const regCols = regNames.map((r) => train.regressors![r]!);
      const raw = new Float64Array(regCols.length);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < regCols.length; j++) raw[j] = regCols[j]![i]!;
        d.fill(X, i * p, days[i]!, raw);
      }
      const weights = cfg.halfLifeDays ? days.map((day) => 0.5 ** ((lastDay - day) / cfg.halfLifeDays!)) : undefined;
      // Every column's penalty also gets a whisker so a calendar column that never varies cannot make the design singular.
      const ridge = d.penalty.map((p, j) => (j === 0 ? 0 : Math.max(p, 1e-6)));
      const solve = (w: ArrayLike<number> | undefined) => penalisedLeastSquares({ data: X, n, p }, ys, { ridge, names: d.names, weights: w });
      const residuals = (coef: Float64Array, out: Float64Array) => {
        for (let i = 0; i < n; i++) {
          let s = 0;
          const off = i * p;
          for (let j = 0; j < p; j++) s += coef[j]! * X[off + j]!;
          out[i] = ys[i]! - s;
        }
        return out;
      };
      let coef = solve(weights);
      const resid = residuals(coef, new Float64Array(n));
      const w = new Float64Array(n);
      const absLoss = () => {
        let s = 0;
        for (let i = 0; i < n; i++) s += (weights ? weights[i]! : 1) * Math.abs(resid[i]!);
        return s;
      };
      let loss = absLoss();
      for (let it = 0; it < cfg.robustIterations; it++) {
        // IRLS for the L1 loss: weight 1 / |residual|, floored so near-zero residuals do not dominate.
        const floor = 0.05;
        for (let i = 0; i < n; i++) w[i] = (weights ? weights[i]! : 1) / Math.max(floor, Math.abs(resid[i]!));
        coef = solve(w);
        residuals(coef, resid);
        const next = absLoss();
        const converged = next > loss * (1 - 3e-3);
        loss = next;
        if (converged) break;
      }
      let num = 0;
      let den = 0;
      const from = Math.max(1, n - 365);
      for (let i = from; i < n; i++) {
        num += resid[i]! * resid[i - 1]!;
        den += resid[i - 1]! ** 2;
      }
      let levelShift = 0;
      if (cfg.levelWindow > 0) {
        const w = Math.min(cfg.levelWindow, n);
        for (let i = n - w; i < n; i++) levelShift += resid[i]! / w;
        for (let i = 0; i < n; i++) resid[i] = resid[i]! - (i >= n - w ? levelShift : 0);
        num = 0;
        den = 0;
        for (let i = from; i < n; i++) {
          num += resid[i]! * resid[i - 1]!;
          den += resid[i - 1]! ** 2;
        }
      }
      const phi = cfg.residualAr && den > 0 ? Math.max(0, Math.min(0.98, num / den)) : 0;
      let ss = 0;
      for (let i = 0; i < n; i++) ss += resid[i]! ** 2;
      const sigma = Math.sqrt(ss / n);
      return {
        config: cfg,
        names: d.names,
        coef: Array.from(coef),
        yMean,
        ySd,
        firstDay,
        lastDay,
        span,
        changepointsAt,
        yearlyOrder,
        calendarNames: cal.names,
        regressors,
        phi,
        lastResidual: resid[n - 1]!,
        levelShift,
        sigma,
      };
    },
    predict(state, query): ForecastOutput {
      const comps = regressionComponents(state, query);
      return { mean: comps.mean, intervals: [] };
    },
  };
}

/** A regression forecast split into its additive parts. */
export interface RegressionComponents {
  mean: number[];
  /** Additive parts on the model's scale (transformed units): trend, weekly, yearly, calendar, regressors, residual carry-over. */
  parts: Record<string, number[]>;
}

/** The forecast and its additive parts, so a prediction can name what drives it. */
export function regressionComponents(
  state: RegressionState,
  query: { horizon: number; futureRegressors?: Record<string, number[]>; futureDates?: string[] },
): RegressionComponents {
  const cfg = state.config;
  const cal = calendarColumns({ holidays: cfg.holidays, holidayWindow: cfg.holidayWindow, events: cfg.events }, [state.firstDay, state.lastDay], 0);
  // Keep the training columns in their order.
  const index = new Map(state.calendarNames.map((n, j) => [n, j]));
  const toTrain = cal.names.map((n) => index.get(n) ?? -1);
  const cols = (day: number) =>
    cal.byDay
      .get(day)
      ?.map((j) => toTrain[j]!)
      .filter((j) => j >= 0);
  const d = design(cfg, state, { names: state.calendarNames, cols });
  const futureDays =
    query.futureDates?.length === query.horizon ? seriesDays(query.horizon, query.futureDates) : Array.from({ length: query.horizon }, (_, k) => state.lastDay + k + 1);
  for (const r of state.regressors) {
    const v = query.futureRegressors?.[r.name];
    if (!v || v.length < query.horizon) throw new RangeError(`regressor '${r.name}' needs ${query.horizon} future values to forecast`);
  }
  const parts: Record<string, number[]> = { trend: [], weekly: [], yearly: [], calendar: [], regressors: [], residual: [] };
  const mean: number[] = [];
  const endRow = d.row(
    state.lastDay,
    state.regressors.map((r) => r.mean),
  );
  const slopeCols = d.names.map((n, j) => (n === 'trend' || n.startsWith('changepoint@') ? j : -1)).filter((j) => j >= 0);
  const trendEnd = state.coef[0]! + slopeCols.reduce((s, j) => s + state.coef[j]! * endRow[j]!, 0);
  const slopePerDay = slopeCols.reduce((s, j) => s + state.coef[j]!, 0) / state.span;
  // Which additive part each column belongs to (0 = trend, counted above).
  const kinds = d.names.map((n) => (n.startsWith('weekday') ? 1 : n.startsWith('yearly_') ? 2 : n.startsWith('calendar:') ? 3 : n.startsWith('regressor:') ? 4 : 0));
  let dampSum = 0;
  for (let k = 0; k < query.horizon; k++) {
    const day = futureDays[k]!;
    const regs = state.regressors.map((r) => query.futureRegressors![r.name]![k]!);
    const row = d.row(day, regs);
    const steps = day - state.lastDay;
    if (cfg.trendDamping >= 1) dampSum = steps;
    else {
      dampSum = 0;
      for (let s = 1; s <= steps; s++) dampSum += cfg.trendDamping ** s;
    }
    const trend = trendEnd + slopePerDay * dampSum;
    const sums = [0, 0, 0, 0, 0];
    for (let j = 0; j < row.length; j++) sums[kinds[j]!]! += state.coef[j]! * row[j]!;
    const [, weekly, yearly, calendar, regressors] = sums as [number, number, number, number, number];
    const residual = state.lastResidual * state.phi ** Math.max(1, steps) + state.levelShift * cfg.levelDecay ** Math.max(1, steps);
    const z = trend + weekly + yearly + calendar + regressors + residual;
    const s = state.ySd;
    parts.trend!.push(trend * s + state.yMean);
    parts.weekly!.push(weekly * s);
    parts.yearly!.push(yearly * s);
    parts.calendar!.push(calendar * s);
    parts.regressors!.push(regressors * s);
    parts.residual!.push(residual * s);
    mean.push(inverse(cfg.transform, z * s + state.yMean));
  }
  return { mean, parts };
}
