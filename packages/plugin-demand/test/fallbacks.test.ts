import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, HttpProblem, PREDICTION_SOURCES } from '@rfid3/core';
import { externalServices, startTestHost, type TestHost } from '@rfid3/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRfid3OwnTables } from '../../host-server/test/rfid3-ddl.js';
import { demandPlugin, FALLBACK_MODEL_VERSION, SERVING_DEMAND_SPEC, type ForecastSeriesBody } from '../src/index.js';
import { plainBusiness, writePlainData, type PlainClass, type PlainData } from './plain-generator.js';

const services = await externalServices();
afterAll(() => services.cleanup());

/** The test host's clock starts on 2026-06-01, so forecasts are made from data through the day before. */
const THROUGH = '2026-05-31';
const DAYS = 730;

/** Series the forecaster must survive, each in a category of its own so that categories are as odd as classes. */
function edgeClasses(): PlainClass[] {
  const cat = (category: string) => ({ category, subcategory: category });
  return [
    // Rented only in the last four days.
    { rentalClass: 'EDGE-SHORT', commonName: 'LANTERN, PAPER WHITE', units: 30, category: cat('Edge Short'), rentalDays: 2, demand: (_, i) => (i >= DAYS - 4 ? 5 : 0) },
    // Exactly four out every day: every model's inner error is zero.
    { rentalClass: 'EDGE-CONST', commonName: 'STANCHION, CHROME', units: 8, category: cat('Edge Constant'), rentalDays: 1, exact: true, demand: () => 4 },
    // Tagged, never rented.
    { rentalClass: 'EDGE-ZERO', commonName: 'CHAIR COVER, IVORY', units: 6, category: cat('Edge Idle'), rentalDays: 1, demand: () => 0 },
    // Two bursts, then ten months of nothing.
    { rentalClass: 'EDGE-GAPPY', commonName: 'HEATER, PATIO', units: 10, category: cat('Edge Gappy'), rentalDays: 2, demand: (_, i) => (i < 60 || (i >= 400 && i < 430) ? 2 : 0) },
    // Rented at the start and again lately, with a year and a half of nothing between.
    { rentalClass: 'EDGE-RETURNING', commonName: 'ARCH, BIRCH', units: 10, category: cat('Edge Returning'), rentalDays: 2, demand: (_, i) => (i < 45 || i >= DAYS - 40 ? 2 : 0) },
    // One day of forty units out, a hundred days ago; nothing else.
    {
      rentalClass: 'EDGE-SPIKE',
      commonName: 'GLASS, WINE 10 OZ RACK',
      units: 40,
      category: cat('Edge Spike'),
      rentalDays: 1,
      exact: true,
      demand: (_, i) => (i === DAYS - 100 ? 40 : 0),
    },
    // Units out only on days the stores are closed (Christmas and New Year's Day): once those days stand aside, nothing.
    {
      rentalClass: 'EDGE-CLOSED',
      commonName: 'SLEIGH, DECORATIVE',
      units: 12,
      category: cat('Edge Closed'),
      rentalDays: 1,
      exact: true,
      demand: (day) => (day.endsWith('-12-25') || day.endsWith('-01-01') ? 6 : 0),
    },
    // A few units on a handful of random days a month, then a burst of 30 on one day each quarter.
    {
      rentalClass: 'EDGE-SPIKY',
      commonName: 'FOG MACHINE',
      units: 40,
      category: cat('Edge Spiky'),
      rentalDays: 1,
      demand: (_, i) => (i % 91 === 45 ? 30 : 0.15),
    },
    // No rental_class_mappings row: its category is 'Other'.
    { rentalClass: 'EDGE-NOCAT', commonName: 'EASEL, BLACK', units: 8, rentalDays: 2, demand: () => 1.2 },
  ];
}

interface ForecastBody {
  modelVersion: string;
  series: ForecastSeriesBody[];
  reason?: string;
}

/** An RFID3 database laid out by RFID3's own DDL, filled by the plain generator; returns its URL. */
async function rfid3Database(url: string, data: PlainData | null): Promise<void> {
  const handle = createDatabase(url, { poolSize: 2 });
  try {
    await createRfid3OwnTables(handle);
    if (data) await writePlainData(handle, data);
  } finally {
    await handle.close();
  }
}

const hostOn = (url: string) => startTestHost({ plugins: [{ plugin: demandPlugin, config: { matchActualsEveryMinutes: 0 } }], config: { databaseUrl: url } });

/** Calls the endpoint; a thrown problem becomes its status, anything else a 500, as the HTTP gateway maps them. */
async function get(host: TestHost, path: string): Promise<{ status: number; body: ForecastBody; error?: string }> {
  try {
    const res = await host.call('GET', path);
    return { status: res.status, body: res.body as ForecastBody };
  } catch (err) {
    return { status: err instanceof HttpProblem ? err.status : 500, body: { modelVersion: '', series: [] }, error: String((err as Error).stack ?? err) };
  }
}

/** Everything wrong with one answer: not 200, a source that names nothing, a number that is not a count, a range that does not hold its point. */
function problems(path: string, weeks: number, res: Awaited<ReturnType<typeof get>>): string[] {
  if (res.status !== 200) return [`${path}: ${res.status} ${res.error}`];
  const out: string[] = [];
  if (res.body.series.length === 0 && !res.body.reason) out.push(`${path}: no series and no reason`);
  for (const s of res.body.series) {
    const at = `${path} ${s.level}:${s.key}@${s.store ?? 'all'}`;
    if (s.source === 'none') {
      if (!(typeof s.reason === 'string' && s.reason.length > 10)) out.push(`${at}: no forecast without a reason`);
      if (s.points.length !== 0) out.push(`${at}: 'none' with points`);
      continue;
    }
    if (!(PREDICTION_SOURCES as readonly string[]).includes(s.source)) out.push(`${at}: source '${s.source}'`);
    if (!s.modelVersion) out.push(`${at}: no model version`);
    if (s.points.length !== weeks * 7) out.push(`${at}: ${s.points.length} points`);
    for (const p of s.points) {
      const nums = [p.value, p.lower, p.upper, p.lower95 ?? 0, p.upper95 ?? 0];
      if (!nums.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)) out.push(`${at} ${p.date}: ${JSON.stringify(p)}`);
      else if (!(p.lower! <= p.value && p.value <= p.upper! && (p.lower95 ?? 0) <= p.lower! && p.upper! <= (p.upper95 ?? Infinity)))
        out.push(`${at} ${p.date}: range ${JSON.stringify(p)}`);
    }
  }
  return out;
}

const targets = [
  { name: 'sqlite', url: () => `sqlite:${join(mkdtempSync(join(tmpdir(), 'rfid3-fallback-')), 'rfid3.db')}` },
  { name: 'mariadb', url: () => services.mysqlUrl },
];

for (const target of targets) {
  (target.name === 'sqlite' || services.mysqlUrl ? describe : describe.skip)(
    `demand forecasts on RFID3's own tables, data the simulator did not make [${target.name}]`,
    { timeout: 600_000 },
    () => {
      let host: TestHost;
      let url: string;
      beforeAll(async () => {
        url = target.url()!;
        const plain = plainBusiness(THROUGH);
        await rfid3Database(url, { ...plain, classes: [...plain.classes, ...edgeClasses()] });
        host = await hostOn(url);
      }, 300_000);
      afterAll(async () => {
        await host?.close();
        if (url?.startsWith('sqlite:')) rmSync(join(url.slice('sqlite:'.length), '..'), { recursive: true, force: true });
      });

      it('answers every forecast request 200, from the model or a named fallback, with counts inside their ranges', async () => {
        const classes = await host.runtime.inventory.rentalClasses();
        const categories = [...new Set(classes.map((c) => c.category))].sort();
        expect(categories).toContain('Other');
        const requests: [string, number][] = [
          ['/demand/forecast?weeks=2', 2],
          ['/demand/forecast?weeks=2&measure=on_rent', 2],
          ['/demand/forecast?weeks=1&by_store=true', 1],
          ...categories.flatMap((c): [string, number][] => [
            [`/demand/forecast?weeks=8&category=${encodeURIComponent(c)}`, 8],
            [`/demand/forecast?weeks=1&category=${encodeURIComponent(c)}&by_class=true`, 1],
          ]),
          ...classes.flatMap((c): [string, number][] => [
            [`/demand/forecast?weeks=4&rental_class=${encodeURIComponent(c.rentalClass)}`, 4],
            [`/demand/forecast?weeks=1&rental_class=${encodeURIComponent(c.rentalClass)}&measure=on_rent&store=3607`, 1],
          ]),
        ];
        const found: string[] = [];
        const sources = new Map<string, string>();
        for (const [path, weeks] of requests) {
          const res = await get(host, path);
          found.push(...problems(path, weeks, res));
          for (const s of res.body.series) if (s.level === 'rental_class' && !s.store && path.includes('rental_class=')) sources.set(s.key, s.source);
        }
        expect(found).toEqual([]);
        // The plain business's chairs have two years of history: the model answers them, not a fallback.
        expect(['model', 'ensemble']).toContain(sources.get('72101'));
        // Four days of history are too few for the model: the historical average answers, and says so.
        expect(sources.get('EDGE-SHORT')).toBe('historical_average');
      });

      it('keeps a forecast of a class never rented at zero, and of a constant class at its constant', async () => {
        const zero = (await get(host, '/demand/forecast?weeks=2&rental_class=EDGE-ZERO')).body.series[0]!;
        expect(zero.points.every((p) => p.value === 0 && p.upper === 0)).toBe(true);
        const constant = (await get(host, '/demand/forecast?weeks=2&rental_class=EDGE-CONST')).body.series[0]!;
        for (const p of constant.points) expect(p.value).toBeCloseTo(4, 0);
        // Steadier than chance: no count distribution is forced on it, its range stays as tight as its history.
        for (const p of constant.points) expect(p.upper! - p.lower!).toBeLessThanOrEqual(1);
      });

      it('forecasts nothing for a class that only ever went out on closed days, and keeps a spiky class inside sane ranges', async () => {
        const closedOnly = (await get(host, '/demand/forecast?weeks=4&rental_class=EDGE-CLOSED')).body.series[0]!;
        expect(closedOnly.points.every((p) => p.value < 0.5 && p.upper! <= 1)).toBe(true);
        const spiky = (await get(host, '/demand/forecast?weeks=4&rental_class=EDGE-SPIKY')).body.series[0]!;
        // The quarterly burst does not make every day's range reach it, and no day is forecast as a burst.
        expect(spiky.points.filter((p) => p.upper! >= 30).length).toBeLessThan(spiky.points.length / 2);
        expect(spiky.points.every((p) => p.value < 15)).toBe(true);
        // Recent actuals come with odd series too: 28 days, each a count.
        expect(spiky.recent).toHaveLength(28);
        expect(spiky.recent!.every((r) => Number.isInteger(r.value) && r.value >= 0)).toBe(true);
      });
    },
  );
}

describe('fallbacks when the model cannot answer', { timeout: 300_000 }, () => {
  const dirs: string[] = [];
  const fileUrl = () => {
    const dir = mkdtempSync(join(tmpdir(), 'rfid3-fallback-'));
    dirs.push(dir);
    return `sqlite:${join(dir, 'rfid3.db')}`;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('answers from the historical average, under its own label, when no model can be validated (five days of data)', async () => {
    const url = fileUrl();
    const classes = plainBusiness(THROUGH).classes.slice(0, 2);
    await rfid3Database(url, { start: '2026-05-27', end: THROUGH, classes, seed: 5 });
    const host = await hostOn(url);
    try {
      const res = await get(host, '/demand/forecast?weeks=2');
      expect(problems('all', 2, res)).toEqual([]);
      expect(res.body.modelVersion).toBe(FALLBACK_MODEL_VERSION);
      expect(res.body.series.map((s) => [s.source, s.modelVersion])).toEqual([['historical_average', FALLBACK_MODEL_VERSION]]);
      // Five days are few: the 80 % range is wider than the days' own spread.
      const p = res.body.series[0]!.points[0]!;
      expect(p.upper! - p.lower!).toBeGreaterThan(0);
    } finally {
      await host.close();
    }
  });

  it('answers from the historical average when the active model cannot fit a series', async () => {
    const url = fileUrl();
    await rfid3Database(url, plainBusiness(THROUGH, 9));
    const host = await hostOn(url);
    try {
      const registry = host.runtime.registry;
      // A model the registry holds but that cannot be built (an ensemble of no members).
      const broken = await registry.register({
        modelName: 'demand.daily',
        modelType: 'ensemble',
        artifact: { ...SERVING_DEMAND_SPEC, members: [] } as never,
        validation: { metric: 'mase', value: 0 },
      });
      await registry.activate('demand.daily', broken.version);
      const res = await get(host, '/demand/forecast?weeks=2&category=Seating%20and%20Tables&by_class=true');
      expect(problems('broken', 2, res)).toEqual([]);
      expect(res.body.series.map((s) => s.source)).toEqual(['historical_average', 'historical_average', 'historical_average']);
      const total = res.body.series[0]!;
      expect(total.points[0]!.value).toBeGreaterThan(0);
    } finally {
      await host.close();
    }
  });

  it('says "no forecast" with the reason when there is no history at all', async () => {
    const url = fileUrl();
    await rfid3Database(url, { start: '2026-05-01', end: THROUGH, classes: edgeClasses().filter((c) => c.rentalClass === 'EDGE-ZERO'), seed: 1 });
    const host = await hostOn(url);
    try {
      for (const path of ['/demand/forecast?weeks=2', '/demand/forecast?weeks=2&rental_class=EDGE-ZERO', '/demand/forecast?weeks=1&category=Edge%20Idle&by_class=true']) {
        const res = await get(host, path);
        expect(problems(path, 2, res)).toEqual([]);
        expect(res.body.series.length).toBeGreaterThan(0);
        for (const s of res.body.series) {
          expect(s.source).toBe('none');
          expect(s.reason).toMatch(/no scans/);
        }
      }
    } finally {
      await host.close();
    }
  });
});
