import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasSharedData } from '@rfid3/core/testing';
import { readSeriesCsv } from '@rfid3/host-server';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM module without types
import { dailyCalendar, prophetCrossValidation, prophetCutoffs, rollingMeanAtHorizon } from './suites/prophet-protocol.mjs';

const file = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'data', 'prophet_example_wp_log_peyton_manning.csv');
const DAY = 86_400_000;

describe.skipIf(!hasSharedData(file))("Prophet's cross-validation protocol on Peyton Manning", () => {
  // Read when a test runs: a skipped describe's body is still collected.
  let loaded: { s: ReturnType<typeof readSeriesCsv>; days: number[] } | undefined;
  const data = () => {
    if (!loaded) {
      const s = readSeriesCsv(file, { date: 'ds', value: 'y' });
      loaded = { s, days: s.dates.map((d) => Math.round(Date.parse(`${d}T00:00:00Z`) / DAY)) };
    }
    return loaded;
  };
  const protocol = { initial: 730, period: 180, horizon: 365 };
  type Point = { actual: number; mean: number; h: number };
  const ape = (p: Point) => Math.abs((p.actual - p.mean) / p.actual);

  it('makes the 11 cutoffs and 3,988 test points of the published figures', () => {
    const { s, days } = data();
    const cutoffs = prophetCutoffs(days, protocol);
    expect(cutoffs).toHaveLength(11);
    expect(days[days.length - 1] - cutoffs[cutoffs.length - 1]).toBe(365);
    expect(cutoffs[1] - cutoffs[0]).toBe(180);
    const last = prophetCrossValidation(s.dates, s.values, (_d: number[], v: number[], _c: number, h: number) => ({ mean: new Array(h).fill(v[v.length - 1]) }), protocol);
    expect(last.points).toHaveLength(3988);
    // Published: last value, all horizons pooled, MAPE 11.9 %.
    expect((100 * (last.points as Point[]).reduce((a, p) => a + ape(p), 0)) / last.points.length).toBeCloseTo(11.87, 1);
  });

  it('reproduces the published seasonal naive (52 weeks back) pooled MAPE of 6.35 %', () => {
    const { s, days } = data();
    const calendar = dailyCalendar(days, s.values);
    const cv = prophetCrossValidation(
      s.dates,
      s.values,
      (_d: number[], _v: number[], cutoff: number, h: number) => ({ mean: Array.from({ length: h }, (_, k) => calendar[cutoff + k + 1 - 364 - days[0]]) }),
      protocol,
    );
    expect((100 * (cv.points as Point[]).reduce((a, p) => a + ape(p), 0)) / cv.points.length).toBeCloseTo(6.35, 1);
  });

  it("averages a horizon's metric over Prophet's rolling window (10 % of points, trailing horizons)", () => {
    const points = Array.from({ length: 100 }, (_, i) => ({ h: 1 + Math.floor(i / 10), actual: 1, mean: 1 + (1 + Math.floor(i / 10)) / 100 }));
    // Window of 10 points: at h = 3 exactly the ten points of horizon 3.
    expect(rollingMeanAtHorizon(points, (p: Point) => p.mean - p.actual, 3)).toBeCloseTo(0.03, 12);
    expect(rollingMeanAtHorizon(points, (p: Point) => p.mean - p.actual, 3, 0.2)).toBeCloseTo(0.025, 12);
  });
});
