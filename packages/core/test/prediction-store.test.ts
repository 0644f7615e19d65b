import { afterAll, afterEach, beforeEach, expect, it, vi } from 'vitest';
import { CoreMetrics, FakeClock, PredictionStore, parseJsonColumn, silentLogger, smapeTerm, type Prediction } from '../src/index.js';
import { externalServices } from '../src/testing/index.js';
import { countRows, databaseTargets, describeEach, useMigratedDatabase } from './support/targets.js';

const services = await externalServices();
afterAll(() => services.cleanup());

function prediction(over: Partial<Prediction> & { id?: string; store?: string | null; lower?: number; upper?: number } = {}): Prediction {
  const { id = 'C1', store = null, lower, upper, ...rest } = over;
  return {
    predictionType: 'demand.units_out',
    target: { type: 'rental_class', id, store },
    targetDate: '2026-06-02',
    horizon: 1,
    value: 10,
    intervals: lower === undefined ? [] : [{ level: 0.8, lower, upper: upper! }],
    confidence: 0.8,
    model: { name: 'demand.daily', version: 'demand.daily@1', type: 'seasonal-naive' },
    source: 'model',
    drivers: [{ name: 'weekday', effect: 1.5 }],
    ...rest,
  };
}

describeEach(databaseTargets(services), 'PredictionStore', (target) => {
  let clock: FakeClock;
  let metrics: CoreMetrics;
  const stores: PredictionStore[] = [];
  const open = (batchSize: number, flushIntervalMs = 60_000) => {
    const s = new PredictionStore({ database: db.handle, clock, logger: silentLogger(), metrics, batchSize, flushIntervalMs });
    stores.push(s);
    return s;
  };
  const db = useMigratedDatabase(target.url, ['analytics_predictions']);
  beforeEach(() => {
    clock = new FakeClock('2026-06-01T09:30:00Z');
    metrics = new CoreMetrics();
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });
  const rows = () => countRows(db.handle, 'analytics_predictions');

  it('buffers records and writes them on flush()', async () => {
    const store = open(5);
    store.record([prediction({ id: 'A' }), prediction({ id: 'B' })]);
    store.record([prediction({ id: 'C' })]);
    expect(store.pending()).toBe(3);
    expect(await metrics.total('rfid3_prediction_write_queue')).toBe(3);
    expect(await rows()).toBe(0);
    await store.flush();
    expect(store.pending()).toBe(0);
    expect(await rows()).toBe(3);
    await store.flush(); // nothing queued: writes nothing
    expect(await rows()).toBe(3);
    const r = await db.handle.db.selectFrom('analytics_predictions').selectAll().where('target_id', '=', 'A').executeTakeFirstOrThrow();
    expect(r).toMatchObject({
      prediction_type: 'demand.units_out',
      target_type: 'rental_class',
      store: null,
      prediction_date: '2026-06-01 09:30:00',
      target_date: '2026-06-02',
      horizon_days: 1,
      model_name: 'demand.daily',
      model_version: 'demand.daily@1',
      model_type: 'seasonal-naive',
      source: 'model',
      actual_value: null,
    });
    expect(Number(r.predicted_value)).toBe(10);
    expect(parseJsonColumn(r.drivers)).toEqual([{ name: 'weekday', effect: 1.5 }]);
  });

  it('writes a full batch on its own, without flush()', async () => {
    const store = open(4);
    store.record([prediction({ id: 'A' }), prediction({ id: 'B' }), prediction({ id: 'C' })]);
    expect(store.pending()).toBe(3);
    store.record([prediction({ id: 'D' })]);
    expect(store.pending()).toBe(0);
    await vi.waitFor(async () => expect(await rows()).toBe(4), { timeout: 3000, interval: 20 });
    store.record([prediction({ id: 'E' })]);
    expect(store.pending()).toBe(1);
    expect(await rows()).toBe(4);
  });

  it('writes a partial batch once flushIntervalMs has passed', async () => {
    const store = open(100, 50);
    store.record([prediction({ id: 'A' }), prediction({ id: 'B' })]);
    expect(await rows()).toBe(0);
    await vi.waitFor(async () => expect(await rows()).toBe(2), { timeout: 3000, interval: 20 });
    expect(store.pending()).toBe(0);
  });

  it('stores the first (narrowest) interval, probability and input features', async () => {
    const store = open(10);
    store.record([
      prediction({
        id: 'X',
        intervals: [
          { level: 0.8, lower: 7, upper: 13 },
          { level: 0.95, lower: 4, upper: 16 },
        ],
        probability: 0.3,
        inputFeatures: { lag7: 9, holiday: false },
      }),
    ]);
    await store.flush();
    const r = await db.handle.db.selectFrom('analytics_predictions').selectAll().executeTakeFirstOrThrow();
    expect([r.interval_level, r.lower_bound, r.upper_bound, r.probability].map(Number)).toEqual([0.8, 7, 13, 0.3]);
    expect(parseJsonColumn(r.input_features)).toEqual({ lag7: 9, holiday: false });
  });

  it('recordActuals fills actual, absolute error and within-interval for open rows only, matching the store', async () => {
    const store = open(100);
    store.record([
      prediction({ id: 'C1', store: null, value: 10, lower: 8, upper: 12 }),
      prediction({ id: 'C1', store: '3607', value: 20, lower: 15, upper: 25 }),
      prediction({ id: 'C1', store: null, value: 11, model: { name: 'demand.daily', version: 'demand.daily@2', type: 'ets' } }),
      prediction({ id: 'C1', store: null, value: 10, targetDate: '2026-06-03', horizon: 2, lower: 5, upper: 15 }),
      prediction({ id: 'C2', store: null, value: 4, lower: 3, upper: 5 }),
    ]);
    expect(store.pending()).toBe(5);
    clock.advance({ days: 2 });
    // recordActuals flushes first, so rows still in the buffer are matched too.
    const matched = await store.recordActuals([
      { predictionType: 'demand.units_out', targetType: 'rental_class', targetId: 'C1', store: null, targetDate: '2026-06-02', value: 13 },
    ]);
    expect(matched).toBe(2); // both model versions' predictions for the all-stores total; not store 3607, not the other day
    expect(store.pending()).toBe(0);
    const get = async (storeCode: string | null, version = 'demand.daily@1', day = '2026-06-02', id = 'C1') => {
      let q = db.handle.db.selectFrom('analytics_predictions').selectAll().where('target_id', '=', id).where('target_date', '=', day).where('model_version', '=', version);
      q = storeCode === null ? q.where('store', 'is', null) : q.where('store', '=', storeCode);
      return q.executeTakeFirstOrThrow();
    };
    const total = await get(null);
    expect([total.actual_value, total.absolute_error, total.within_interval].map(Number)).toEqual([13, 3, 0]);
    expect(total.actual_recorded_at).toBe('2026-06-03 09:30:00');
    const v2 = await get(null, 'demand.daily@2');
    expect(Number(v2.absolute_error)).toBe(2);
    expect(v2.within_interval).toBeNull(); // no interval stored
    const byStore = await get('3607');
    expect(byStore.actual_value).toBeNull();

    expect(
      await store.recordActuals([{ predictionType: 'demand.units_out', targetType: 'rental_class', targetId: 'C1', store: '3607', targetDate: '2026-06-02', value: 18 }]),
    ).toBe(1);
    const s = await get('3607');
    expect([s.actual_value, s.absolute_error, s.within_interval].map(Number)).toEqual([18, 2, 1]);

    // A second actual for the same target does not overwrite the first.
    expect(await store.recordActuals([{ predictionType: 'demand.units_out', targetType: 'rental_class', targetId: 'C1', store: null, targetDate: '2026-06-02', value: 99 }])).toBe(
      0,
    );
    expect(Number((await get(null)).actual_value)).toBe(13);
    // A non-finite actual matches nothing; an unknown type or target matches nothing.
    expect(
      await store.recordActuals([
        { predictionType: 'demand.units_out', targetType: 'rental_class', targetId: 'C2', store: null, targetDate: '2026-06-02', value: Number.NaN },
        { predictionType: 'demand.peak', targetType: 'rental_class', targetId: 'C2', store: null, targetDate: '2026-06-02', value: 4 },
        { predictionType: 'demand.units_out', targetType: 'category', targetId: 'C2', store: null, targetDate: '2026-06-02', value: 4 },
      ]),
    ).toBe(0);
    // Boundaries of the interval count as inside.
    expect(await store.recordActuals([{ predictionType: 'demand.units_out', targetType: 'rental_class', targetId: 'C2', targetDate: '2026-06-02', value: 5 }])).toBe(1);
    expect(Number((await get(null, 'demand.daily@1', '2026-06-02', 'C2')).within_interval)).toBe(1);

    expect(await store.openTargets('demand.units_out', '2026-06-30')).toEqual([{ targetType: 'rental_class', targetId: 'C1', store: null, targetDate: '2026-06-03' }]);
    expect(await store.openTargets('demand.units_out', '2026-06-02')).toEqual([]);
  });

  it('accuracy() gives MAE, sMAPE and coverage per model version and horizon, equal to a hand computation over the matched rows', async () => {
    const store = open(1000);
    const v1 = { name: 'demand.daily', version: 'demand.daily@1', type: 'baseline' };
    const v2 = { name: 'demand.daily', version: 'demand.daily@2', type: 'ets' };
    // [model, horizon, day, class, predicted, lower, upper, actual (undefined: never matched)]
    const spec: [typeof v1, number, string, string, number, number | undefined, number | undefined, number | undefined][] = [
      [v1, 1, '2026-06-02', 'A', 10, 8, 12, 13],
      [v1, 1, '2026-06-02', 'B', 0, 0, 1, 0], // 0/0 counts as a perfect sMAPE term
      [v1, 1, '2026-06-03', 'A', 5, 3, 7, 4],
      [v1, 2, '2026-06-03', 'B', 8, 6, 10, 12],
      [v1, 2, '2026-06-04', 'A', 6, 4, 9, 9],
      [v1, 1, '2026-06-05', 'A', 100, 90, 110, undefined], // never matched: must not count
      [v2, 1, '2026-06-02', 'C', 7, undefined, undefined, 9], // no interval: coverage null
      [v2, 1, '2026-06-03', 'C', 3.5, undefined, undefined, 2],
    ];
    store.record(spec.map(([model, horizon, day, id, value, lower, upper]) => prediction({ id, model, horizon, targetDate: day, value, lower, upper })));
    await store.flush();
    await store.recordActuals(
      spec
        .filter((s) => s[7] !== undefined)
        .map(([, , day, id, , , , actual]) => ({ predictionType: 'demand.units_out', targetType: 'rental_class', targetId: id, targetDate: day, value: actual! })),
    );

    // By hand, from the rows themselves.
    const matched = spec.filter((s) => s[7] !== undefined);
    const expected = (version: string, horizon: number | null) => {
      const g = matched.filter((s) => s[0].version === version && (horizon === null || s[1] === horizon));
      const withIv = g.filter((s) => s[5] !== undefined);
      return {
        n: g.length,
        mae: g.reduce((a, s) => a + Math.abs(s[7]! - s[4]), 0) / g.length,
        smape: (100 * g.reduce((a, s) => a + smapeTerm(s[7]!, s[4]), 0)) / g.length,
        coverage: withIv.length ? withIv.filter((s) => s[7]! >= s[5]! && s[7]! <= s[6]!).length / withIv.length : null,
        meanWidth: withIv.length ? withIv.reduce((a, s) => a + (s[6]! - s[5]!), 0) / withIv.length : null,
        // Width plus 2/α (α = 0.2: 10) times how far outside the range the actual fell.
        intervalScore: withIv.length ? withIv.reduce((a, s) => a + (s[6]! - s[5]!) + 10 * Math.max(0, s[5]! - s[7]!) + 10 * Math.max(0, s[7]! - s[6]!), 0) / withIv.length : null,
      };
    };
    // Spot-check the hand computation itself for v1 at horizon 1: errors 3, 0, 1; sMAPE terms 6/23, 0, 2/9; coverage 0/1/1.
    expect(expected('demand.daily@1', 1)).toEqual({
      n: 3,
      mae: 4 / 3,
      smape: (100 * (6 / 23 + 0 + 2 / 9)) / 3,
      coverage: 2 / 3,
      meanWidth: 3,
      intervalScore: (4 + 10 + 1 + 4) / 3,
    });

    const byHorizon = await store.accuracy();
    expect(byHorizon.map((r) => [r.modelVersion, r.horizon, r.n])).toEqual([
      ['demand.daily@1', 1, 3],
      ['demand.daily@1', 2, 2],
      ['demand.daily@2', 1, 2],
    ]);
    for (const r of byHorizon) {
      const e = expected(r.modelVersion, r.horizon);
      expect(r.n).toBe(e.n);
      expect(r.mae).toBeCloseTo(e.mae, 10);
      expect(r.smape).toBeCloseTo(e.smape, 10);
      if (e.coverage === null) expect(r.coverage).toBeNull();
      // MariaDB averages the integer flag as DECIMAL with four places (0.6667); SQLite gives the double.
      else expect(r.coverage).toBeCloseTo(e.coverage, 4);
      expect(r.intervalLevel).toBe(e.coverage === null ? null : 0.8);
      if (e.meanWidth === null) expect([r.meanWidth, r.intervalScore]).toEqual([null, null]);
      else {
        expect(r.meanWidth).toBeCloseTo(e.meanWidth, 4);
        expect(r.intervalScore).toBeCloseTo(e.intervalScore!, 4);
      }
      expect(r).toMatchObject({ predictionType: 'demand.units_out', modelName: 'demand.daily' });
    }
    const pooled = await store.accuracy({ byHorizon: false });
    expect(pooled).toHaveLength(2);
    for (const r of pooled) {
      const e = expected(r.modelVersion, null);
      expect(r.horizon).toBeNull();
      expect(r.n).toBe(e.n);
      expect(r.mae).toBeCloseTo(e.mae, 10);
      expect(r.smape).toBeCloseTo(e.smape, 10);
    }
    expect(pooled.find((r) => r.modelVersion === 'demand.daily@1')!.n).toBe(5); // the unmatched sixth row is not counted

    const since = await store.accuracy({ byHorizon: false, since: '2026-06-03' });
    expect(since.map((r) => [r.modelVersion, r.n])).toEqual([
      ['demand.daily@1', 3],
      ['demand.daily@2', 1],
    ]);
    expect(await store.accuracy({ modelName: 'maintenance.failure' })).toEqual([]);
    expect(await store.accuracy({ predictionType: 'demand.peak' })).toEqual([]);
  });

  /** Makes writes to analytics_predictions fail (the table is renamed away) until the returned function runs. */
  async function breakWrites(): Promise<() => Promise<void>> {
    await db.handle.db.schema.alterTable('analytics_predictions').renameTo('analytics_predictions_away').execute();
    let restored = false;
    return async () => {
      if (restored) return;
      restored = true;
      await db.handle.db.schema.alterTable('analytics_predictions_away').renameTo('analytics_predictions').execute();
    };
  }

  it('keeps the rows of a failed write and writes them on the next flush', async () => {
    const store = open(100);
    store.record([prediction({ id: 'A' }), prediction({ id: 'B' })]);
    const restore = await breakWrites();
    try {
      await expect(store.flush()).rejects.toThrow();
      expect(store.pending()).toBe(2);
    } finally {
      await restore();
    }
    await store.flush();
    expect(store.pending()).toBe(0);
    expect(await rows()).toBe(2);
  });

  it('survives a failing automatic flush: no unhandled rejection, and the rows are written once the database is back', async () => {
    const unhandled: unknown[] = [];
    const saved = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    const capture = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', capture);
    const restore = await breakWrites();
    let written = -1;
    try {
      const store = open(2, 30);
      store.record([prediction({ id: 'A' }), prediction({ id: 'B' })]); // a full batch: written at once, and fails
      await new Promise((r) => setTimeout(r, 100));
      await restore();
      store.record([prediction({ id: 'C' })]);
      for (let i = 0; i < 50 && written < 3; i++) {
        await new Promise((r) => setTimeout(r, 20));
        written = await rows();
      }
    } finally {
      await restore();
      process.off('unhandledRejection', capture);
      for (const l of saved) process.on('unhandledRejection', l);
    }
    expect(unhandled.map(String)).toEqual([]);
    expect(written).toBe(3);
  });

  it('reports no accuracy at all before any actual is matched', async () => {
    const store = open(10);
    store.record([prediction(), prediction({ id: 'C2' })]);
    await store.flush();
    expect(await store.accuracy()).toEqual([]);
  });
});
