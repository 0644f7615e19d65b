import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  coverage,
  historicalAverage,
  mae,
  mape,
  maseScale,
  naive,
  rmse,
  rollingOriginBacktest,
  rollingOrigins,
  scoreBacktest,
  seasonalNaive,
  seasonalNaiveInSampleMae,
  smape,
  withConformalIntervals,
  type BacktestPoint,
  type ForecastModel,
  type SeriesInput,
} from '../src/index.js';
import { Rng } from '../src/simulator/index.js';
import { hasSharedData } from '../src/testing/index.js';

describe('baselines, by hand', () => {
  const series: SeriesInput = { values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] };

  it('seasonal naive repeats the last observed season', () => {
    const m = seasonalNaive(7);
    const state = m.fit(series);
    expect(state).toEqual({ season: 7, lastSeason: [4, 5, 6, 7, 8, 9, 10] });
    expect(m.predict(state, { horizon: 10 })).toEqual({ mean: [4, 5, 6, 7, 8, 9, 10, 4, 5, 6], intervals: [] });
    expect(m.name).toBe('seasonal-naive');
    expect(() => m.fit({ values: [1, 2, 3] })).toThrow(RangeError);
    expect(() => seasonalNaive(0)).toThrow(RangeError);
    // Fitted state is plain data: it survives JSON.
    expect(m.predict(JSON.parse(JSON.stringify(state)), { horizon: 2 }).mean).toEqual([4, 5]);
  });

  it('naive repeats the last value', () => {
    const m = naive();
    expect(m.name).toBe('naive');
    expect(m.predict(m.fit({ values: [3, 1, 4] }), { horizon: 3 }).mean).toEqual([4, 4, 4]);
  });

  it('historical average is the mean of all rows, or of the last window', () => {
    const all = historicalAverage();
    expect(all.predict(all.fit(series), { horizon: 2 }).mean).toEqual([5.5, 5.5]);
    const last3 = historicalAverage(3);
    expect(last3.fit(series)).toEqual({ mean: 9 });
    expect(() => all.fit({ values: [] })).toThrow(RangeError);
  });
});

describe('rolling-origin backtests', () => {
  it('rollingOrigins steps from the initial window while origin + horizon ≤ rows', () => {
    expect(rollingOrigins(20, { initial: 10, step: 3, horizon: 5 })).toEqual([10, 13]);
    expect(rollingOrigins(21, { initial: 10, step: 3, horizon: 5 })).toEqual([10, 13, 16]);
    expect(rollingOrigins(15, { initial: 10, step: 1, horizon: 5 })).toEqual([10]);
    expect(rollingOrigins(14, { initial: 10, step: 1, horizon: 5 })).toEqual([]);
    for (const rows of [30, 31, 57, 100]) {
      const origins = rollingOrigins(rows, { initial: 12, step: 4, horizon: 7 });
      expect(origins.every((o) => o + 7 <= rows)).toBe(true);
      expect(origins.at(-1)! + 4 + 7).toBeGreaterThan(rows); // the next one would not fit
    }
    expect(() => rollingOrigins(10, { initial: 0, step: 1, horizon: 1 })).toThrow(RangeError);
  });

  it('never lets a fold see the future: each fit gets exactly the rows before its origin', () => {
    const n = 60;
    const series: SeriesInput = {
      values: Array.from({ length: n }, (_, i) => i * 10),
      dates: Array.from({ length: n }, (_, i) => `day${i}`),
      regressors: { temp: Array.from({ length: n }, (_, i) => i + 0.5) },
    };
    const fits: SeriesInput[] = [];
    const queries: { futureDates?: string[]; futureRegressors?: Record<string, number[]> }[] = [];
    const spy: ForecastModel<{ last: number }> = {
      name: 'spy',
      type: 'test',
      config: {},
      fit(train) {
        fits.push(train);
        return { last: train.values.at(-1)! };
      },
      predict(state, query) {
        queries.push({ futureDates: query.futureDates, futureRegressors: query.futureRegressors });
        return { mean: new Array(query.horizon).fill(state.last), intervals: [] };
      },
    };
    const run = rollingOriginBacktest(series, spy, { initial: 30, step: 7, horizon: 7 });
    const origins = rollingOrigins(n, { initial: 30, step: 7, horizon: 7 });
    expect(origins).toEqual([30, 37, 44, 51]);
    expect(run.folds).toBe(4);
    expect(fits.map((f) => f.values.length)).toEqual(origins);
    fits.forEach((f, k) => {
      const o = origins[k]!;
      expect(f.values).toEqual(series.values.slice(0, o));
      expect(f.dates).toEqual(series.dates!.slice(0, o));
      expect(f.regressors!.temp).toEqual(series.regressors!.temp!.slice(0, o));
      expect(Math.max(...f.values)).toBeLessThan(series.values[o]!);
    });
    // The forecast is given only forecastable future inputs: dates and regressors of the horizon.
    queries.forEach((q, k) => {
      const o = origins[k]!;
      expect(q.futureDates).toEqual(series.dates!.slice(o, o + 7));
      expect(q.futureRegressors!.temp).toEqual(series.regressors!.temp!.slice(o, o + 7));
    });
    expect(run.points).toHaveLength(4 * 7);
    expect(run.points[8]).toEqual({ origin: 37, h: 2, actual: 380, mean: 360, intervals: [] });
    expect(() => rollingOriginBacktest(series, spy, { initial: 58, step: 1, horizon: 7 })).toThrow(/no fold fits/);
  });
});

/** A year-and-more of daily demand: a weekly pattern plus i.i.d. normal noise. */
function weeklySeries(n: number, sd: number, seed: number): number[] {
  const rng = new Rng(seed);
  const week = [20, 25, 30, 35, 60, 90, 55];
  return Array.from({ length: n }, (_, t) => week[t % 7]! + rng.normal(0, sd));
}

describe('conformal intervals', () => {
  it('cover 80 % and 95 % of a held-out rolling backtest on i.i.d. noise around a weekly pattern', () => {
    // Seasonal naive errors here are e(t) − e(t−7): every held-out point below uses a different pair of
    // noise draws, so the 700 points are independent and the coverage's standard error is
    // √(0.8·0.2/700) ≈ 0.015 at 80 % and √(0.95·0.05/700) ≈ 0.008 at 95 %. The tolerances (±0.05 and
    // ±0.025, about 3 standard errors) also absorb the spread of quantiles estimated from 200 residuals.
    const values = weeklySeries(1200, 8, 2024);
    const model = withConformalIntervals(seasonalNaive(7), { horizon: 7, levels: [0.8, 0.95], maxOrigins: 200 });
    const run = rollingOriginBacktest({ values }, model, { initial: 500, step: 7, horizon: 7, levels: [0.8, 0.95] });
    expect(run.points).toHaveLength(700);
    const scores = scoreBacktest(run.points, maseScale(values, 500));
    expect(Math.abs(scores.coverage80! - 0.8)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(scores.coverage95! - 0.95)).toBeLessThanOrEqual(0.025);
    // And the intervals are tight, not trivially wide: e(t) − e(t−7) has sd 8·√2, so a 95 % interval is
    // about 2 · 1.96 · 11.3 ≈ 44 wide.
    const widths = run.points.map((p) => p.intervals.find((i) => i.level === 0.95)!).map((i) => i.upper - i.lower);
    const meanWidth = widths.reduce((a, b) => a + b, 0) / widths.length;
    expect(meanWidth).toBeGreaterThan(38);
    expect(meanWidth).toBeLessThan(52);
    for (const p of run.points) {
      const [i80, i95] = p.intervals;
      expect(i95!.lower).toBeLessThanOrEqual(i80!.lower);
      expect(i95!.upper).toBeGreaterThanOrEqual(i80!.upper);
    }
  });

  it('widen with the horizon for a random walk, and by √(h/H) beyond the calibrated horizon', () => {
    const rng = new Rng(99);
    const values: number[] = [];
    let level = 100;
    for (let t = 0; t < 800; t++) values.push((level += rng.normal(0, 1)));
    const H = 14;
    const model = withConformalIntervals(naive(), { horizon: H, levels: [0.8, 0.95], maxOrigins: 400 });
    const state = model.fit({ values });
    const fc = model.predict(state, { horizon: 28 });
    const width = (level95: number, h: number) => {
      const iv = fc.intervals.find((i) => i.level === level95)!;
      return iv.upper[h - 1]! - iv.lower[h - 1]!;
    };
    // A random walk's h-step error has sd √h: the width at 14 days is about √14 ≈ 3.7 times the 1-day width.
    expect(width(0.8, 7)).toBeGreaterThan(width(0.8, 1));
    expect(width(0.8, 14)).toBeGreaterThan(width(0.8, 7));
    expect(width(0.8, 14) / width(0.8, 1)).toBeGreaterThan(2.5);
    expect(width(0.8, 14) / width(0.8, 1)).toBeLessThan(5.5);
    // Beyond the calibrated horizon: the last calibrated width times √(h/H).
    expect(width(0.95, 28)).toBeCloseTo(width(0.95, 14) * Math.sqrt(28 / 14), 9);
    expect(width(0.95, 21)).toBeCloseTo(width(0.95, 14) * Math.sqrt(21 / 14), 9);
    expect(fc.mean.every((m) => m === values.at(-1))).toBe(true);
    expect(() => model.predict(state, { horizon: 3, levels: [0.5] })).toThrow(/no calibrated 0\.5 interval/);
  });

  it('clips means and lower bounds at zero for counts when nonNegative is set', () => {
    const values = Array.from({ length: 120 }, (_, t) => (t % 7 === 0 ? 0 : t % 3));
    const model = withConformalIntervals(seasonalNaive(7), { horizon: 7, nonNegative: true });
    const fc = model.predict(model.fit({ values }), { horizon: 7 });
    for (const iv of fc.intervals) {
      expect(Math.min(...iv.lower)).toBeGreaterThanOrEqual(0);
      iv.upper.forEach((u, k) => expect(u).toBeGreaterThanOrEqual(iv.lower[k]!));
    }
    expect(() => withConformalIntervals(naive(), { horizon: 3, levels: [1.2] })).toThrow(RangeError);
  });
});

describe('error metrics, by hand', () => {
  it('mae and rmse', () => {
    expect(mae([1, 2, 3], [2, 2, 5])).toBe(1);
    expect(rmse([1, 2, 3], [2, 2, 5])).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(mae([], [])).toBeNaN();
    expect(() => mae([1, 2], [1])).toThrow(/length mismatch/);
  });

  it('smape counts 0/0 as a perfect forecast and is in percent', () => {
    // terms: 0/0 → 0; 2·|1−3|/(1+3) = 1; 0; 2·|−2−2|/(2+2) = 2 (the maximum)
    expect(smape([0, 1, 2, -2], [0, 3, 2, 2])).toBeCloseTo((100 * (0 + 1 + 0 + 2)) / 4, 12);
    expect(smape([0, 0], [0, 0])).toBe(0);
    expect(smape([0], [5])).toBe(200);
  });

  it('mape skips zero actuals and says how many points it used', () => {
    expect(mape([0, 10, 20], [5, 12, 15])).toEqual({ value: (100 * (0.2 + 0.25)) / 2, used: 2 });
    expect(mape([0], [1]).used).toBe(0);
  });

  it('MASE divides by the in-sample seasonal naive MAE of the training window', () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 9, 9, 100];
    // |9 − 1| and |9 − 2| over the first nine rows: (8 + 7) / 2
    expect(seasonalNaiveInSampleMae(values.slice(0, 9), 7)).toBe(7.5);
    expect(maseScale(values, 9, 7)).toBe(7.5);
    expect(maseScale(values, 10, 7)).toBeCloseTo((8 + 7 + 97) / 3, 12);
    const points: BacktestPoint[] = [
      {
        origin: 9,
        h: 1,
        actual: 10,
        mean: 13,
        intervals: [
          { level: 0.8, lower: 11, upper: 15 },
          { level: 0.95, lower: 8, upper: 18 },
        ],
      },
      {
        origin: 9,
        h: 2,
        actual: 12,
        mean: 12,
        intervals: [
          { level: 0.8, lower: 10, upper: 14 },
          { level: 0.95, lower: 8, upper: 16 },
        ],
      },
      {
        origin: 9,
        h: 3,
        actual: 20,
        mean: 14,
        intervals: [
          { level: 0.8, lower: 12, upper: 16 },
          { level: 0.95, lower: 9, upper: 19 },
        ],
      },
      {
        origin: 9,
        h: 4,
        actual: 14,
        mean: 14,
        intervals: [
          { level: 0.8, lower: 14, upper: 14 },
          { level: 0.95, lower: 13, upper: 15 },
        ],
      },
    ];
    const s = scoreBacktest(points, 7.5);
    expect(s.mae).toBe(9 / 4);
    expect(s.mase).toBe(9 / 4 / 7.5);
    expect(s.rmse).toBeCloseTo(Math.sqrt((9 + 0 + 36 + 0) / 4), 12);
    expect(s.smape).toBeCloseTo((100 * (6 / 23 + 0 + 12 / 34 + 0)) / 4, 12);
    expect(s.coverage80).toBe(2 / 4); // 10 ∉ [11,15], 12 ∈, 20 ∉, 14 ∈ [14,14]
    expect(s.coverage95).toBe(3 / 4);
    expect(
      scoreBacktest(
        points.map((p) => ({ ...p, intervals: [] })),
        1,
      ).coverage80,
    ).toBeNull();
  });

  it('coverage counts the bounds as inside', () => {
    expect(coverage([1, 2, 3], [0, 2.5, 3], [1, 3, 4])).toBe(2 / 3);
    expect(coverage([], [], [])).toBeNaN();
  });
});

const BIKE = fileURLToPath(new URL('../../../../shared/data/bike_day.csv', import.meta.url));

describe.skipIf(!hasSharedData(BIKE))('real data: Capital Bikeshare daily rentals (UCI)', () => {
  it('one-step seasonal naive and naive on the last 122 days give the published MAE and sMAPE', () => {
    const lines = readFileSync(BIKE, 'utf8').trim().split(/\r?\n/);
    const header = lines[0]!.split(',');
    const rows = lines.slice(1).map((l) => l.split(','));
    const day = header.indexOf('dteday');
    const cnt = header.indexOf('cnt');
    const dates = rows.map((r) => r[day]!);
    const values = rows.map((r) => Number(r[cnt]));
    expect(values).toHaveLength(731);
    const holdout = dates.indexOf('2012-09-01');
    expect(values.length - holdout).toBe(122);
    expect(dates.at(-1)).toBe('2012-12-31');

    // One step ahead from every origin in the hold-out, refitting each day: y(t−7) and y(t−1).
    const score = (model: ForecastModel<any>) => {
      const run = rollingOriginBacktest({ values, dates }, model, { initial: holdout, step: 1, horizon: 1 });
      expect(run.points).toHaveLength(122);
      return scoreBacktest(run.points, maseScale(values, holdout));
    };
    const seasonal = score(seasonalNaive(7));
    expect(Math.abs(seasonal.mae - 1326)).toBeLessThanOrEqual(1);
    expect(Math.abs(seasonal.smape - 29.6)).toBeLessThanOrEqual(0.1);
    const last = score(naive());
    expect(Math.abs(last.mae - 916)).toBeLessThanOrEqual(1);
    expect(Math.abs(last.smape - 22.5)).toBeLessThanOrEqual(0.1);
    // The same numbers straight from the metric functions, without the backtest around them.
    const actual = values.slice(holdout);
    expect(mae(actual, values.slice(holdout - 7, -7))).toBeCloseTo(seasonal.mae, 9);
    expect(smape(actual, values.slice(holdout - 1, -1))).toBeCloseTo(last.smape, 9);
    // MASE against the seasonal naive in-sample scale: seasonal naive is worse on this hold-out than in-sample.
    expect(seasonal.mase).toBeGreaterThan(last.mase);
  });
});
