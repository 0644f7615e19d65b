import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addDays, closedDays, createDatabase, dayRange, DEFAULT_CLOSED_HOLIDAYS, weekday } from '@rfid3/core';
import { startTestHost, type TestHost } from '@rfid3/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRfid3OwnTables } from '../../host-server/test/rfid3-ddl.js';
import { calendarColumns, dayNumber } from '../src/models/calendar.js';
import { decomposableRegression, regressionComponents } from '../src/models/regression.js';
import type { RegressionState } from '../src/models/regression.js';
import { demandPlugin, imputeClosedDays, SERVING_DEMAND_SPEC, type ForecastSeriesBody } from '../src/index.js';
import { buildOpenApiDocument } from '../../host-server/src/openapi.js';
import { writePlainData, type PlainClass, type PlainResult } from './plain-generator.js';

/** Forecasts are made on 1 December 2026 from data through 30 November: the horizon holds Christmas and New Year. */
const THROUGH = '2026-11-30';
const START = addDays(THROUGH, -729);
const WEEKDAY = [0.4, 0.6, 0.6, 0.7, 0.9, 1.9, 2.1];

/**
 * Chairs whose Christmas Eve is four times a normal day and whose stores are closed on Christmas Day, New Year's
 * Day and Thanksgiving (nothing goes out), drawn by the plain generator, not the simulator.
 */
const CHAIRS: PlainClass = {
  rentalClass: '72101',
  commonName: 'CHAIR, WHITE RESIN FOLDING',
  units: 1000,
  category: { category: 'Seating and Tables', subcategory: 'Chairs' },
  rentalDays: 2,
  demand: (day) => {
    if (closed.has(day)) return 0;
    const md = day.slice(5);
    return 12 * WEEKDAY[weekday(day)]! * (md === '12-24' ? 4 : 1);
  },
};
const closed = closedDays(START, addDays(THROUGH, 70), { holidays: DEFAULT_CLOSED_HOLIDAYS });

describe('closed days and per-holiday effects in December', { timeout: 300_000 }, () => {
  let host: TestHost;
  let dir: string;
  let written: PlainResult;
  let chairs: ForecastSeriesBody;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rfid3-closures-'));
    const url = `sqlite:${join(dir, 'rfid3.db')}`;
    const handle = createDatabase(url);
    try {
      await createRfid3OwnTables(handle);
      written = await writePlainData(handle, { start: START, end: THROUGH, classes: [CHAIRS], seed: 12 });
    } finally {
      await handle.close();
    }
    host = await startTestHost({ now: '2026-12-01T12:00:00Z', plugins: [{ plugin: demandPlugin, config: { matchActualsEveryMinutes: 0 } }], config: { databaseUrl: url } });
    const res = await host.call('GET', '/demand/forecast?weeks=6&category=Seating%20and%20Tables');
    expect(res.status).toBe(200);
    chairs = (res.body as { series: ForecastSeriesBody[] }).series[0]!;
  }, 300_000);
  afterAll(async () => {
    await host?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the history has nothing out on the closed days (the data agrees with the calendar)', () => {
    const days = dayRange(START, THROUGH);
    const out = written.unitsOut.get('72101')!;
    expect(days.filter((d, i) => closed.has(d) && out[i]! > 0)).toEqual([]);
    expect(days.filter((d) => closed.has(d)).length).toBeGreaterThanOrEqual(5);
  });

  it('forecasts exactly zero with a zero range on Christmas Day and New Year’s Day, and names why', () => {
    for (const date of ['2026-12-25', '2027-01-01']) {
      const p = chairs.points.find((x) => x.date === date)!;
      expect(p, date).toBeDefined();
      expect([p.value, p.lower, p.upper, p.lower95, p.upper95]).toEqual([0, 0, 0, 0, 0]);
      expect(p.closed).toMatch(date === '2026-12-25' ? /Christmas Day/ : /New Year/);
      expect(p.drivers[0]!.name).toBe('store closed');
    }
    // Every open day of December has units going out.
    const open = chairs.points.filter((p) => p.date.startsWith('2026-12') && !p.closed);
    expect(open.length).toBe(30);
    expect(open.every((p) => p.value > 0 && p.upper! > 0)).toBe(true);
    // The busiest forecast day of December is not a day the stores are closed.
    const busiest = chairs.points.filter((p) => p.date.startsWith('2026-12')).sort((a, b) => b.value - a.value)[0]!;
    expect(busiest.closed).toBeUndefined();
  });

  it('keeps units on rent over a closed day: what is out stays out', async () => {
    const res = await host.call('GET', '/demand/forecast?weeks=4&category=Seating%20and%20Tables&measure=on_rent');
    const p = (res.body as { series: ForecastSeriesBody[] }).series[0]!.points.find((x) => x.date === '2026-12-25')!;
    expect(p.closed).toBeUndefined();
    expect(p.value).toBeGreaterThan(0);
  });

  it('no closure configured: the same request forecasts Christmas Day like any day (the zero comes from the calendar)', async () => {
    const other = await startTestHost({
      now: '2026-12-01T12:00:00Z',
      plugins: [{ plugin: demandPlugin, config: { matchActualsEveryMinutes: 0, closures: { holidays: [] } } }],
      config: { databaseUrl: `sqlite:${join(dir, 'rfid3.db')}` },
    });
    try {
      const res = await other.call('GET', '/demand/forecast?weeks=4&category=Seating%20and%20Tables');
      const p = (res.body as { series: ForecastSeriesBody[] }).series[0]!.points.find((x) => x.date === '2026-12-25')!;
      expect(p.closed).toBeUndefined();
      expect(p.drivers.some((d) => d.name === 'store closed')).toBe(false);
    } finally {
      await other.close();
    }
  });

  it('rejects a closure holiday that is not a holiday name, naming the field', async () => {
    await expect(startTestHost({ plugins: [{ plugin: demandPlugin, config: { closures: { holidays: ['Xmas'] } } }] })).rejects.toThrow(/closures\.holidays.*Xmas|Xmas.*closures/s);
  });

  it('gives the actual recent days beside each series: exactly what went out, oldest first', async () => {
    const res = await host.call('GET', '/demand/forecast?weeks=1&category=Seating%20and%20Tables&by_class=true&recent_days=14');
    const body = res.body as { recentDays: number; series: ForecastSeriesBody[] };
    expect(body.recentDays).toBe(14);
    const out = written.unitsOut.get('72101')!;
    const expected = dayRange(addDays(THROUGH, -13), THROUGH).map((date, k) => ({ date, value: out[out.length - 14 + k]! }));
    expect(expected.some((e) => e.value > 0)).toBe(true);
    // The category (one class) and its one class: both the chairs' own units out.
    expect(body.series.map((s) => [s.level, s.key])).toEqual([
      ['category', 'Seating and Tables'],
      ['rental_class', '72101'],
    ]);
    for (const s of body.series) expect(s.recent).toEqual(expected);
    // 28 days by default; none when asked for none; more than a year is refused, naming the field.
    const byDefault = (await host.call('GET', '/demand/forecast?weeks=1&category=Seating%20and%20Tables')).body as { series: ForecastSeriesBody[] };
    expect(byDefault.series[0]!.recent).toHaveLength(28);
    const none = (await host.call('GET', '/demand/forecast?weeks=1&category=Seating%20and%20Tables&recent_days=0')).body as { series: ForecastSeriesBody[] };
    expect(none.series[0]!.recent).toBeUndefined();
    await expect(host.call('GET', '/demand/forecast?weeks=1&recent_days=400')).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/recent_days/) });
  });

  it('reads recent actuals without writing: a cached forecast with them stores no prediction', async () => {
    const count = async () =>
      Number(
        (await host.runtime.database.db
          .selectFrom('analytics_predictions')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirst())!.n,
      );
    await host.call('GET', '/demand/forecast?weeks=2&category=Seating%20and%20Tables&recent_days=60');
    await host.runtime.predictionStore.flush();
    const before = await count();
    await host.call('GET', '/demand/forecast?weeks=2&category=Seating%20and%20Tables&recent_days=30');
    await host.runtime.predictionStore.flush();
    expect(await count()).toBe(before);
  });

  it('documents recent actuals and closed days in the OpenAPI response schema of the forecast', () => {
    const doc = JSON.stringify(buildOpenApiDocument(host.runtime).paths?.['/api/predictive/demand/forecast']);
    expect(doc).toContain('"recent"');
    expect(doc).toContain('"recentDays"');
    expect(doc).toContain('"closed"');
    expect(doc).toContain('recent_days');
  });

  it('estimates Christmas Eve apart from Christmas Day and from the days before it', () => {
    const days = dayRange(START, THROUGH);
    const series = imputeClosedDays({ level: 'rental_class', key: '72101', store: null, days, values: written.unitsOut.get('72101')! }, closed);
    const cfg = { ...SERVING_DEMAND_SPEC.regression, holidays: 'us' as const, holidayWindow: SERVING_DEMAND_SPEC.holidayWindow!, events: [], transform: 'log1p' as const };
    const names = calendarColumns(cfg, days.map(dayNumber)).names;
    expect(names).toEqual(expect.arrayContaining(['Christmas Day', 'Christmas Day (eve)', 'Christmas Day (before)', 'Thanksgiving Day (eve)']));
    const model = decomposableRegression(cfg, 'regression-log');
    const state = model.fit({ values: series.values, dates: series.days }) as RegressionState;
    const futureDates = dayRange(addDays(THROUGH, 1), addDays(THROUGH, 35));
    const fc = model.predict(state, { horizon: futureDates.length, futureDates }).mean;
    const at = (d: string) => fc[futureDates.indexOf(d)]!;
    // Christmas Eve 2026 is a Thursday: four times the Thursdays a week before and after it.
    expect(at('2026-12-24')).toBeGreaterThan(2 * at('2026-12-17'));
    expect(at('2026-12-24')).toBeGreaterThan(2 * at('2026-12-31'));
    // Its calendar effect is its own: the days before it (22–23 Dec) are not lifted with it.
    const cal = regressionComponents(state, { horizon: futureDates.length, futureDates }).parts.calendar!;
    const calAt = (d: string) => cal[futureDates.indexOf(d)]!;
    expect(calAt('2026-12-24')).toBeGreaterThan(0.5);
    expect(Math.abs(calAt('2026-12-22'))).toBeLessThan(calAt('2026-12-24') / 3);
  });
});
