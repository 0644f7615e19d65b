import { addDays, HttpProblem, seasonalNaiveInSampleMae, withConformalIntervals, seasonalNaive, rollingOriginBacktest, scoreBacktest } from '@rfid3/core';
import { Rng } from '@rfid3/core/simulator';
import { startTestHost, type TestHost } from '@rfid3/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtestDemand, demandPlugin, DEMAND_PREDICTION_TYPE, loadOnRentSeries, SERVING_DEMAND_SPEC } from '../src/index.js';

// The ensemble fits every category with inner backtests: on a busy 2-core machine a retrain takes a minute.
describe('demand plugin on a simulated business', { timeout: 180_000 }, () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startTestHost({
      plugins: [{ plugin: demandPlugin, config: { matchActualsEveryMinutes: 0 } }],
      simulate: { items: 600, days: 420 },
    });
  });
  afterAll(() => host.close());

  it('forecasts each category for 4 weeks with lower ≤ value ≤ upper on every day', async () => {
    const res = await host.call('GET', '/demand/forecast?weeks=4');
    expect(res.status).toBe(200);
    const body = res.body as {
      series: { key: string; source: string; points: { date: string; value: number; lower: number; upper: number; lower95: number; upper95: number }[] }[];
      modelVersion: string;
      dataThrough: string;
    };
    const categories = await host.runtime.inventory.categories();
    expect(body.series.map((s) => s.key).sort()).toEqual(categories);
    expect(body.modelVersion).toBe('demand.daily@1');
    for (const s of body.series) {
      expect(s.points).toHaveLength(28);
      expect(s.points[0]!.date > body.dataThrough).toBe(true);
      for (const p of s.points) {
        expect(p.lower).toBeLessThanOrEqual(p.value);
        expect(p.value).toBeLessThanOrEqual(p.upper);
        expect(p.lower95).toBeLessThanOrEqual(p.lower);
        expect(p.upper95).toBeGreaterThanOrEqual(p.upper);
        expect(p.lower).toBeGreaterThanOrEqual(0);
      }
    }
    // The intervals are not a fixed ±10 %: their relative widths differ between series.
    const widths = body.series.map((s) => (s.points[3]!.upper - s.points[3]!.lower) / Math.max(1, s.points[3]!.value));
    expect(new Set(widths.map((w) => w.toFixed(2))).size).toBeGreaterThan(3);
  });

  it('records every produced prediction once; a cached answer is not recorded again', async () => {
    const count = async () => {
      await host.runtime.predictionStore.flush();
      const r = await host.runtime.database.db
        .selectFrom('analytics_predictions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('prediction_type', '=', DEMAND_PREDICTION_TYPE)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    };
    const before = await count();
    const first = await host.call('GET', '/demand/forecast?weeks=2&category=tables');
    const afterFirst = await count();
    const second = await host.call('GET', '/demand/forecast?weeks=2&category=tables');
    expect((first.body as { cached: boolean }).cached).toBe(false);
    expect((second.body as { cached: boolean }).cached).toBe(true);
    expect(afterFirst - before).toBe(14);
    expect(await count()).toBe(afterFirst);
  });

  it('answers per store and per rental class', async () => {
    const classes = await host.runtime.inventory.rentalClasses();
    const busiest = classes.sort((a, b) => b.units - a.units)[0]!;
    const res = await host.call('GET', `/demand/forecast?weeks=1&rental_class=${busiest.rentalClass}&store=8101`);
    const body = res.body as { series: { level: string; key: string; store: string; points: unknown[] }[] };
    expect(body.series).toHaveLength(1);
    expect(body.series[0]).toMatchObject({ level: 'rental_class', key: busiest.rentalClass, store: '8101' });
    expect(body.series[0]!.points).toHaveLength(7);
  });

  it('forecasts units on rent, with per-store parts that add up to the all-store total on every day', async () => {
    const res = await host.call('GET', '/demand/forecast?weeks=1&category=tables&measure=on_rent&by_store=true');
    const body = res.body as { measure: string; series: { key: string; store: string | null; points: { date: string; value: number; lower: number; upper: number }[] }[] };
    expect(body.measure).toBe('on_rent');
    const total = body.series.find((s) => s.store === null)!;
    const parts = body.series.filter((s) => s.store !== null);
    expect(parts.length).toBeGreaterThanOrEqual(2);
    for (let k = 0; k < 7; k++) {
      expect(parts.reduce((a, p) => a + p.points[k]!.value, 0)).toBeCloseTo(total.points[k]!.value, 1);
      for (const p of parts) expect(p.points[k]!.lower).toBeLessThanOrEqual(p.points[k]!.value);
    }
    // Chairs and tables stay out for days: more units are on rent at once than go out in a day.
    const out = (await host.call('GET', '/demand/forecast?weeks=1&category=tables')).body as typeof body;
    const mean = (s: typeof total) => s.points.reduce((a, p) => a + p.value, 0) / s.points.length;
    expect(mean(total)).toBeGreaterThan(mean(out.series[0]!));
  });

  it('counts units on rent from the scans as the item master says at the end of the history', async () => {
    const through = addDays(host.clock.now().toISOString().slice(0, 10), -1);
    const series = await loadOnRentSeries(host.runtime.database, host.runtime.inventory, { level: 'total', from: addDays(through, -30), to: through });
    const onRent = await host.runtime.database.db
      .selectFrom('id_item_master')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', 'in', ['On Rent', 'Delivered'])
      .executeTakeFirstOrThrow();
    // Items still out at the end of the last day, by their scans, against the status RFID3 keeps (5 % apart at most).
    const last = series[0]!.values[series[0]!.values.length - 1]!;
    expect(Number(onRent.n)).toBeGreaterThan(0);
    expect(Math.abs(last - Number(onRent.n)) / Number(onRent.n)).toBeLessThan(0.05);
  });

  it("drops cached forecasts when scans change a day they were fitted on, but not for today's scans", async () => {
    const url = '/demand/forecast?weeks=1&category=tables';
    await host.call('GET', url);
    expect((await host.call('GET', url)).body).toMatchObject({ cached: true });
    const today = host.clock.now().toISOString().slice(0, 10);
    await host.runtime.events.emit('data-changed', { source: 'test', tables: ['id_transactions'], from: today, to: today });
    expect((await host.call('GET', url)).body).toMatchObject({ cached: true });
    await host.runtime.events.emit('data-changed', { source: 'test', tables: ['pos_transactions'], from: addDays(today, -3) });
    expect((await host.call('GET', url)).body).toMatchObject({ cached: true });
    await host.runtime.events.emit('data-changed', { source: 'test', tables: ['id_transactions'], from: addDays(today, -3), to: today });
    expect((await host.call('GET', url)).body).toMatchObject({ cached: false });
  });

  it('rejects bad input with the field named, and unknown categories with a 404 that lists the real ones', async () => {
    await expect(host.call('GET', '/demand/forecast?weeks=9')).rejects.toMatchObject({ status: 400, errors: [{ field: 'query.weeks' }] });
    const err = await host.call('GET', '/demand/forecast?category=submarines').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpProblem);
    expect((err as HttpProblem).status).toBe(404);
    expect((err as HttpProblem).detail).toContain('Tables and Chairs');
  });

  it('replays past forecasts, matches them with actual demand, and reports accuracy measured from the matches', async () => {
    const job = host.runtime.jobs.enqueue('demand.backfill', {});
    const done = await host.runtime.jobs.waitFor(job.id);
    expect(done.status).toBe('succeeded');
    const result = done.result as { recorded: number; matched: number };
    expect(result.matched).toBe(result.recorded);
    const res = await host.call('GET', '/demand/accuracy');
    const body = res.body as { matched: number; byModel: { mae: number; smape: number; coverage: number; n: number }[]; byHorizon: { horizon: number }[] };
    expect(body.matched).toBeGreaterThanOrEqual(result.matched);
    const model = body.byModel[0]!;
    // Out-of-sample coverage of the 80 % interval, measured on 8 weekly origins × 13 categories.
    expect(model.coverage).toBeGreaterThan(0.65);
    expect(model.coverage).toBeLessThan(0.93);
    // Cross-check the stored figure against the rows themselves.
    const rows = await host.runtime.database.db
      .selectFrom('analytics_predictions')
      .select(['actual_value', 'predicted_value'])
      .where('prediction_type', '=', DEMAND_PREDICTION_TYPE)
      .where('actual_value', 'is not', null)
      .execute();
    const mae = rows.reduce((s, r) => s + Math.abs(Number(r.actual_value) - Number(r.predicted_value)), 0) / rows.length;
    expect(model.mae).toBeCloseTo(mae, 6);
    expect(new Set(body.byHorizon.map((r) => r.horizon)).size).toBe(28);
  });

  it('activates a retrained model only when it beats the active one on the same data', async () => {
    const job = host.runtime.jobs.enqueue('demand.retrain', {});
    const done = await host.runtime.jobs.waitFor(job.id);
    expect(done.status).toBe('succeeded');
    const result = done.result as { activated: boolean; reason: string; version: string };
    // The same model rescored on the same data ties, and a tie does not replace the active version.
    expect(result.activated).toBe(false);
    expect(result.reason).toMatch(/does not beat .* on the same data/);
    const history = await host.call('GET', '/models/version-history?model=demand.daily');
    const versions = (history.body as { versions: { version: number; status: string }[] }).versions;
    expect(versions.map((v) => v.status)).toEqual(['candidate', 'active']);
  });

  it('queues retraining over the endpoint only for an operate key', async () => {
    await expect(host.call('POST', '/demand/retrain')).rejects.toMatchObject({ status: 401 });
    await expect(host.call('POST', '/demand/retrain', { principal: host.principals.read })).rejects.toMatchObject({ status: 403 });
    const res = await host.call('POST', '/demand/retrain', { principal: host.principals.operate });
    expect(res.status).toBe(202);
    const jobId = (res.body as { jobId: string }).jobId;
    expect((await host.runtime.jobs.waitFor(jobId)).status).toBe('succeeded');
  });
});

describe('backtestDemand', () => {
  // A weekly pattern with noise: the seasonal naive forecast has known error behaviour.
  const pattern = [20, 15, 18, 25, 40, 70, 55];
  const rng = new Rng(12345);
  const values = Array.from({ length: 600 }, (_, i) => pattern[i % 7]! + rng.normal(0, 6));

  it('reports the ensemble beside both baselines with the CLI protocol (origins while origin + horizon ≤ rows)', () => {
    const r = backtestDemand({ values }, { initial: 365, step: 28, horizon: 28 }, SERVING_DEMAND_SPEC);
    expect(r.folds).toBe(Math.floor((600 - 28 - 365) / 28) + 1);
    expect(r.points).toBe(r.folds * 28);
    expect(r.model.name).toBe('ensemble');
    // The weekly pattern is fixed and the noise independent: a model that learns the pattern errs by the noise
    // alone, E|N(0, 6²)| = 6·√(2/π) ≈ 4.79, while seasonal naive errs by two draws (≈ 6.77).
    expect(r.model.mae).toBeGreaterThan(4.79 * 0.9);
    expect(r.model.mae).toBeLessThan(4.79 * 1.1);
    expect(r.baselines.seasonalNaive.mae).toBeGreaterThan(6.77 * 0.85);
    expect(r.baselines.naive.mae).toBeGreaterThan(r.model.mae);
    // The serving ranges (a count distribution fitted on the inner errors, the range nearest 80 %) hold near 80 %
    // of the 196 days on stationary noise.
    expect(r.model.coverage80).toBeGreaterThan(0.7);
    expect(r.model.coverage80).toBeLessThan(0.9);
    expect(r.model.coverage95).toBeGreaterThan(r.model.coverage80!);
    // The conformal correction (20 inner origins: quantiles at 5.5 % and 94.5 %) covers about 2 × 0.945 − 1 = 0.89
    // of the days, give or take the sampling of 196 points.
    const conformal = backtestDemand({ values }, { initial: 365, step: 28, horizon: 28 }, { ...SERVING_DEMAND_SPEC, intervals: 'conformal' });
    expect(conformal.model.coverage80).toBeGreaterThan(0.8);
    expect(conformal.model.coverage80).toBeLessThan(0.96);
    // MASE is scaled by the in-sample seasonal-naive MAE of the first `initial` rows.
    expect(r.model.mase).toBeCloseTo(r.model.mae / seasonalNaiveInSampleMae(values.slice(0, 365), 7), 9);
  });

  it('agrees with a backtest assembled from core pieces directly', () => {
    const direct = rollingOriginBacktest({ values }, withConformalIntervals(seasonalNaive(7), { horizon: 14, nonNegative: false }), { initial: 300, step: 14, horizon: 14 });
    const scores = scoreBacktest(direct.points, 1);
    const r = backtestDemand({ values }, { initial: 300, step: 14, horizon: 14 }, { ...SERVING_DEMAND_SPEC, members: ['seasonal-naive'] });
    expect(r.baselines.seasonalNaive.mae).toBeCloseTo(scores.mae, 9);
    expect(r.baselines.seasonalNaive.coverage80).toBeCloseTo(scores.coverage80!, 9);
  });
});
