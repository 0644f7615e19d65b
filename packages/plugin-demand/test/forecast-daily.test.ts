import { createRuntime, silentLogger, ValidationError } from '@rfid3/core';
import { describe, expect, it } from 'vitest';
import { demandPlugin, forecastDaily } from '../src/index.js';

/** 20 weeks from Monday 2026-01-05: about 10 a weekday, about 30 on Saturdays and Sundays, Poisson-like noise. */
function weekendSeries(days = 140): number[] {
  let seed = 3;
  const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 4;
  return Array.from({ length: days }, (_, i) => Math.max(0, Math.round((i % 7 >= 5 ? 30 : 10) + noise())));
}

describe('forecastDaily: an in-memory series, no runtime and no database', () => {
  it('forecasts each day after the last with ranges around the value and the weekly pattern learnt', () => {
    const predictions = forecastDaily({ values: weekendSeries(), start: '2026-01-05', weeks: 2 });
    expect(predictions).toHaveLength(14);
    // 140 days from 2026-01-05 end on 2026-05-24 (a Sunday).
    expect(predictions[0]!.targetDate).toBe('2026-05-25');
    expect(predictions.map((p) => p.horizon)).toEqual(Array.from({ length: 14 }, (_, k) => k + 1));
    for (const p of predictions) {
      expect(p.intervals!.map((iv) => iv.level)).toEqual([0.8, 0.95]);
      const [i80, i95] = p.intervals!;
      expect(i80!.lower).toBeLessThanOrEqual(p.value);
      expect(i80!.upper).toBeGreaterThanOrEqual(p.value);
      expect(i95!.lower).toBeLessThanOrEqual(i80!.lower);
      expect(i95!.upper).toBeGreaterThanOrEqual(i80!.upper);
      expect(['ensemble', 'model']).toContain(p.source);
      expect(p.drivers.length).toBeGreaterThan(0);
    }
    const weekend = predictions.filter((p) => [0, 6].includes(new Date(`${p.targetDate}T00:00:00Z`).getUTCDay()));
    const weekday = predictions.filter((p) => ![0, 6].includes(new Date(`${p.targetDate}T00:00:00Z`).getUTCDay()));
    const mean = (ps: typeof predictions) => ps.reduce((s, p) => s + p.value, 0) / ps.length;
    expect(mean(weekend)).toBeGreaterThan(2 * mean(weekday));
  });

  it('gives closed days 0 with a 0 range and says why', () => {
    // Ends 2026-12-20, so Christmas Day is 5 days ahead.
    const values = weekendSeries(350);
    const predictions = forecastDaily({ values, start: '2026-01-05', weeks: 1, closures: { holidays: ['Christmas Day'] } });
    const christmas = predictions.find((p) => p.targetDate === '2026-12-25')!;
    expect(christmas.value).toBe(0);
    expect(christmas.intervals!.every((iv) => iv.lower === 0 && iv.upper === 0)).toBe(true);
    expect(christmas.inputFeatures?.closed).toBe('closed: Christmas Day');
    expect(predictions.filter((p) => p.value > 0)).toHaveLength(6);
  });

  it('refuses bad input with a ValidationError naming the field', () => {
    const refused = (input: Parameters<typeof forecastDaily>[0]) => {
      try {
        forecastDaily(input);
      } catch (err) {
        expect(err).toBeInstanceOf(ValidationError);
        return (err as ValidationError).field;
      }
      throw new Error('accepted');
    };
    expect(refused({ values: [1, 2, 3] })).toBe('values');
    const negative = weekendSeries(40);
    negative[3] = -1;
    expect(refused({ values: negative })).toBe('values.3');
    expect(refused({ values: weekendSeries(40), weeks: 9 })).toBe('weeks');
    expect(refused({ values: weekendSeries(40), start: '2026-02-30' })).toBe('start');
  });
});

describe("predict('demand.daily') from a library call", () => {
  it('is typed by the plugin’s declared query and throws a ValidationError naming query.weeks', async () => {
    const runtime = await createRuntime({ config: { databaseUrl: 'sqlite::memory:' }, logger: silentLogger(), plugins: [demandPlugin] });
    try {
      // @ts-expect-error weeks is a number (the plugin declares 'demand.daily' in PredictorQueries)
      const err = await runtime.predict('demand.daily', { weeks: 'four' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe('query.weeks');
      expect((err as ValidationError).message).toMatch(/^query\.weeks: /);
    } finally {
      await runtime.close();
    }
  });
});
