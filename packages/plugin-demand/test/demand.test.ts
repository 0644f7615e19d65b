import { HttpProblem, seasonalNaiveInSampleMae, withConformalIntervals, seasonalNaive, rollingOriginBacktest, scoreBacktest } from '@rfid3/core';
import { Rng } from '@rfid3/core/simulator';
import { startTestHost, type TestHost } from '@rfid3/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtestDemand, demandPlugin, DEMAND_PREDICTION_TYPE } from '../src/index.js';

describe('demand plugin on a simulated business', () => {
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
    const body = res.body as { series: { key: string; source: string; points: { date: string; value: number; lower: number; upper: number; lower95: number; upper95: number }[] }[]; modelVersion: string; dataThrough: string };
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

  it('reports the model beside both baselines with the CLI protocol (origins while origin + horizon ≤ rows)', () => {
    const r = backtestDemand({ values }, { initial: 365, step: 28, horizon: 28 });
    expect(r.folds).toBe(Math.floor((600 - 28 - 365) / 28) + 1);
    expect(r.points).toBe(r.folds * 28);
    // This version's model is seasonal naive with calibrated intervals: same point error as the baseline.
    expect(r.model.mae).toBeCloseTo(r.baselines.seasonalNaive.mae, 9);
    expect(r.baselines.naive.mae).toBeGreaterThan(r.model.mae);
    // Seasonal naive errors are the difference of two N(0, 6²) draws: MAE ≈ 6·√2·√(2/π) ≈ 6.77.
    expect(r.model.mae).toBeGreaterThan(6.77 * 0.85);
    expect(r.model.mae).toBeLessThan(6.77 * 1.15);
    expect(r.model.coverage80).toBeGreaterThan(0.72);
    expect(r.model.coverage80).toBeLessThan(0.88);
    expect(r.model.coverage95).toBeGreaterThan(0.9);
    // MASE is scaled by the in-sample seasonal-naive MAE of the first `initial` rows.
    expect(r.model.mase).toBeCloseTo(r.model.mae / seasonalNaiveInSampleMae(values.slice(0, 365), 7), 9);
  });

  it('agrees with a backtest assembled from core pieces directly', () => {
    const direct = rollingOriginBacktest({ values }, withConformalIntervals(seasonalNaive(7), { horizon: 14, nonNegative: false }), { initial: 300, step: 14, horizon: 14 });
    const scores = scoreBacktest(direct.points, 1);
    const r = backtestDemand({ values }, { initial: 300, step: 14, horizon: 14 });
    expect(r.baselines.seasonalNaive.mae).toBeCloseTo(scores.mae, 9);
    expect(r.baselines.seasonalNaive.coverage80).toBeCloseTo(scores.coverage80!, 9);
  });
});
