import { addDays, dayRange } from '@rfid3/core';
import { demandFactor, HOLIDAY_EFFECTS, Rng, type SimulationTruth } from '@rfid3/core/simulator';
import { startTestHost } from '@rfid3/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { backtestDemand, createDemandModel, DEFAULT_DEMAND_SPEC, SERVING_DEMAND_SPEC } from '../src/index.js';
import type { EnsembleState } from '../src/index.js';

/**
 * The ensemble against the simulator's own truth: a busy category's daily units drawn as Poisson counts
 * around the simulator's demand factor (weekly × yearly × trend × holidays and events × weather), so the
 * effects the model should find are known exactly.
 */
describe('the demand ensemble on a series drawn from the simulator truth', () => {
  const LEVEL = 40;
  let truth: SimulationTruth;
  let category: string;
  let days: string[];
  let values: number[];
  // The expected units of a day without its weather (the part a forecast can know) and without calendar effects.
  let expected: (day: string, withCalendar?: boolean) => number;

  beforeAll(async () => {
    const host = await startTestHost({ plugins: [], simulate: { items: 120, days: 1000, seed: 7 } });
    truth = host.simulation!.truth;
    await host.close();
    // The category with the strongest yearly swing.
    category = Object.entries(truth.categories).sort((a, b) => b[1].seasonality.amplitude - a[1].seasonality.amplitude)[0]![0];
    const cat = truth.categories[category]!;
    days = dayRange(truth.start, truth.end);
    const rng = new Rng(99);
    values = days.map((d) => rng.poisson(LEVEL * demandFactor(truth, cat, d)));
    expected = (day, withCalendar = true) => {
      const t = withCalendar ? truth : { ...truth, calendar: [] };
      return LEVEL * demandFactor({ ...t, weather: [] }, cat, day);
    };
  }, 120_000);

  const fitAt = (origin: string, horizon: number, spec = DEFAULT_DEMAND_SPEC) => {
    const end = days.indexOf(origin) + 1;
    const model = createDemandModel(spec, horizon);
    const state = model.fit({ values: values.slice(0, end), dates: days.slice(0, end) }) as EnsembleState;
    const futureDates = Array.from({ length: horizon }, (_, k) => addDays(origin, k + 1));
    return { state, futureDates, fc: model.predict(state, { horizon, futureDates }) };
  };

  it('recovers the weekly profile and the level within 10 % (4 weeks ahead, no holiday in them)', () => {
    const origin = addDays(truth.start, 740);
    const { fc, futureDates } = fitAt(origin, 28);
    const ratio = futureDates.map((d, k) => fc.mean[k]! / expected(d));
    const meanRatio = ratio.reduce((a, b) => a + b, 0) / ratio.length;
    expect(meanRatio).toBeGreaterThan(0.9);
    expect(meanRatio).toBeLessThan(1.1);
    // Forecast ÷ truth by weekday: flat when the weekly profile is right.
    for (let w = 0; w < 7; w++) {
      const r = ratio.filter((_, k) => new Date(`${futureDates[k]}T00:00:00Z`).getUTCDay() === w);
      const m = r.reduce((a, b) => a + b, 0) / r.length;
      expect(Math.abs(m / meanRatio - 1), `weekday ${w}`).toBeLessThan(0.1);
    }
    // The simulator's weekly swing is large (Saturday about 5 × Sunday): a flat forecast would fail above.
    expect(Math.max(...truth.weekly) / Math.min(...truth.weekly)).toBeGreaterThan(3);
  });

  it("recovers the holidays' effects from earlier years: Independence Day's run-up and Thanksgiving's dip", () => {
    for (const [holiday, monthDay] of [
      ['Independence Day', '07-04'],
      ['Thanksgiving Day', null],
    ] as const) {
      // The first occurrence with more than 1 year and 7 months of history before it (inner origins reach back 7 months).
      const effect = truth.calendar.find((e) => e.name === holiday && e.date > addDays(truth.start, 365 + 220))!;
      expect(effect, holiday).toBeDefined();
      if (monthDay) expect(effect.date.slice(5)).toBe(monthDay);
      const origin = addDays(effect.date, -30);
      // As the plugin serves it: the holiday effects live in its log regression.
      const { fc, futureDates } = fitAt(origin, 35, SERVING_DEMAND_SPEC);
      // The multiplier the model implies: its forecast ÷ the truth without calendar effects, on the affected days.
      const implied = effect.days.map((d) => fc.mean[futureDates.indexOf(d)]! / expected(d, false));
      const mean = implied.reduce((a, b) => a + b, 0) / implied.length;
      const truthMultiplier = HOLIDAY_EFFECTS[holiday]!.multiplier;
      // Within 0.3 of the true multiplier (1.6 and 0.45), and on the right side of 1.
      expect(Math.abs(mean - truthMultiplier), `${holiday}: implied ${mean.toFixed(2)}`).toBeLessThan(0.3);
      expect(Math.sign(mean - 1)).toBe(Math.sign(truthMultiplier - 1));
    }
  });

  it('backtests (as the plugin serves it) within 2 % of its best member, with 80 % intervals covering 72–88 % of what happened', () => {
    const r = backtestDemand({ values, dates: days }, { initial: 600, step: 42, horizon: 28, members: true, nonNegative: true }, SERVING_DEMAND_SPEC);
    const best = Math.min(...r.members!.map((m) => m.mae));
    expect(r.model.mae / best).toBeLessThanOrEqual(1.02);
    expect(r.model.mae).toBeLessThan(r.baselines.seasonalNaive.mae);
    expect(r.model.coverage80).toBeGreaterThanOrEqual(0.72);
    expect(r.model.coverage80).toBeLessThanOrEqual(0.88);
    expect(r.model.coverage95).toBeGreaterThan(r.model.coverage80!);
  });
});

describe('the demand ensemble on degenerate series', () => {
  const days = dayRange('2024-06-01', '2026-03-22');
  const fit = (values: number[]) => {
    const model = createDemandModel(SERVING_DEMAND_SPEC, 28);
    const state = model.fit({ values, dates: days }) as EnsembleState;
    return { state, fc: model.predict(state, { horizon: 28, levels: [0.8], futureDates: dayRange('2026-03-23', '2026-04-19') }) };
  };

  it('fits a seasonal class whose last months are all zero (every member errs zero inside: weights must not be 0/0)', () => {
    // Tents: out from April to October, nothing since November.
    const rng = new Rng(4);
    const values = days.map((d) => (Number(d.slice(5, 7)) >= 4 && Number(d.slice(5, 7)) <= 10 ? rng.poisson(1.5) : 0));
    const { state, fc } = fit(values);
    expect(state.members.length).toBeGreaterThan(0);
    expect(state.members.every((m) => Number.isFinite(m.weight) && m.weight > 0)).toBe(true);
    expect(fc.mean.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
  });

  it('forecasts a constant series at its constant, with a range of just that', () => {
    const { fc } = fit(days.map(() => 4));
    for (const v of fc.mean) expect(v).toBeCloseTo(4, 6);
    for (const k of [0, 27]) expect([fc.intervals[0]!.lower[k], fc.intervals[0]!.upper[k]]).toEqual([4, 4].map((x) => expect.closeTo(x, 6)));
  });
});
