import { startTestHost, type TestHost } from '@rfid3/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FAILURE_PREDICTION_TYPE,
  fitBaseline,
  loadItemHistories,
  maintenancePlugin,
  matchFailureActuals,
  planMaintenance,
  scoreItems,
  serviceSpells,
  trainFailureModel,
} from '../src/index.js';
import type { FailureRisk } from '../src/index.js';

interface ProbabilityBody {
  probability: { withinDays: number; withinRentals: number; nextRental: number };
  remainingUsefulLife: { median: number; lower: number; upper: number };
  drivers: { name: string; effect: number }[];
  modelVersion: string;
  source: string;
  validation: { forest: { rocAuc: number; prAuc: number }; weibull: { rocAuc: number; prAuc: number } };
}
interface ScheduleBody {
  orders: { day: string; itemId: string; expectedSaving: number; probability: number; probabilityAfterService: number }[];
  expectedSaving: number;
  scheduled: number;
  capacityPerDay: number;
}

describe('maintenance plugin on a simulated business', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startTestHost({ plugins: [{ plugin: maintenancePlugin, config: { matchActualsEveryMinutes: 0 } }], simulate: { items: 1500, days: 730 } });
  });
  afterAll(() => host?.close());

  it('recovers the Weibull failure hazard the simulator drew for each category with enough failures', async () => {
    const items = await loadItemHistories({ database: host.runtime.database, inventory: host.runtime.inventory });
    const table = fitBaseline(items);
    const truth = host.simulation!.truth.categories;
    let checked = 0;
    for (const [category, fit] of Object.entries(table.byCategory)) {
      const failures = items
        .filter((i) => i.category === category)
        .flatMap((i) => serviceSpells(i))
        .filter((s) => s.failed).length;
      if (failures < 50 || !truth[category]) continue;
      const t = truth[category]!.weibull;
      // ±20 % on shape and scale with at least 50 observed failures in known service spells
      expect(Math.abs(fit.shape - t.shape) / t.shape, `${category} shape ${fit.shape} vs ${t.shape}`).toBeLessThan(0.2);
      expect(Math.abs(fit.scale - t.scale) / t.scale, `${category} scale ${fit.scale} vs ${t.scale}`).toBeLessThan(0.2);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(3);
  });

  it('answers an item’s failure probability with drivers, a remaining-life interval and the validation beside the Weibull baseline', async () => {
    const sched = (await host.call('GET', '/maintenance/schedule?days=30')).body as ScheduleBody;
    const tag = sched.orders[0]!.itemId;
    const res = await host.call('GET', `/maintenance/probability/${tag}?days=30&rentals=5`);
    expect(res.status).toBe(200);
    const b = res.body as ProbabilityBody;
    expect(b.modelVersion).toBe('maintenance.failure@1');
    expect(b.source).toBe('model');
    expect(b.probability.withinDays).toBeGreaterThan(0);
    expect(b.probability.withinDays).toBeLessThan(1);
    expect(b.probability.withinRentals).toBeGreaterThanOrEqual(b.probability.nextRental);
    const longer = (await host.call('GET', `/maintenance/probability/${tag}?days=30&rentals=40`)).body as ProbabilityBody;
    expect(longer.probability.withinRentals).toBeGreaterThan(b.probability.withinRentals);
    expect(b.remainingUsefulLife.lower).toBeLessThanOrEqual(b.remainingUsefulLife.median);
    expect(b.remainingUsefulLife.median).toBeLessThanOrEqual(b.remainingUsefulLife.upper);
    expect(b.drivers.length).toBeGreaterThan(0);
    // Validated on the last 90 days, fitted on the days before: the forest must rank failures better than the baseline.
    expect(b.validation.forest.rocAuc).toBeGreaterThan(b.validation.weibull.rocAuc);
    expect(b.validation.forest.prAuc).toBeGreaterThan(b.validation.weibull.prAuc);
  });

  it('rejects bad input with 400 naming the field, and unknown items with 404', async () => {
    await expect(host.call('GET', '/maintenance/probability/NOPE?days=0')).rejects.toMatchObject({ status: 400, errors: [expect.objectContaining({ field: 'query.days' })] });
    await expect(host.call('GET', '/maintenance/probability/NOPE')).rejects.toMatchObject({ status: 404 });
    await expect(host.call('GET', '/maintenance/schedule?days=abc')).rejects.toMatchObject({ status: 400 });
  });

  it('schedules within capacity, the largest expected savings first, and states the total', async () => {
    const small = (await host.call('GET', '/maintenance/schedule?days=3&capacity=2')).body as ScheduleBody;
    const large = (await host.call('GET', '/maintenance/schedule?days=3&capacity=1000&limit=5000')).body as ScheduleBody;
    expect(small.scheduled).toBeLessThanOrEqual(6);
    const perDay = new Map<string, number>();
    for (const o of small.orders) perDay.set(o.day, (perDay.get(o.day) ?? 0) + 1);
    for (const n of perDay.values()) expect(n).toBeLessThanOrEqual(2);
    for (const o of large.orders) expect(o.expectedSaving).toBeGreaterThan(0);
    expect(small.expectedSaving).toBeCloseTo(
      small.orders.reduce((a, o) => a + o.expectedSaving, 0),
      1,
    );
    // With 6 slots the plan holds the 6 best of all positive savings.
    const best = [...large.orders]
      .sort((a, b) => b.expectedSaving - a.expectedSaving)
      .slice(0, small.scheduled)
      .map((o) => o.itemId)
      .sort();
    expect(small.orders.map((o) => o.itemId).sort()).toEqual(best);
  });

  it('matches stored failure probabilities with whether the item came back broken in their window', async () => {
    const items = await loadItemHistories({ database: host.runtime.database, inventory: host.runtime.inventory });
    const plus = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
    const failure = items.flatMap((i) => i.events.filter((e) => e.failed && e.at.slice(0, 10) < '2026-04-01').map((e) => ({ item: i, day: e.at.slice(0, 10) })))[0]!;
    const target = plus(failure.day, 5);
    const quiet = items.find(
      (i) => i.events.some((e) => e.kind === 'return') && !i.events.some((e) => e.failed && e.at.slice(0, 10) > plus(target, -30) && e.at.slice(0, 10) <= target),
    )!;
    const prediction = (tagId: string) => ({
      predictionType: FAILURE_PREDICTION_TYPE,
      target: { type: 'item', id: tagId },
      targetDate: target,
      horizon: 30,
      value: 0.2,
      probability: 0.2,
      confidence: 0.8,
      model: { name: 'maintenance.failure', version: 'maintenance.failure@1', type: 'random-forest' },
      source: 'model' as const,
      drivers: [],
    });
    host.runtime.predictionStore.record([prediction(failure.item.tagId), prediction(quiet.tagId)]);
    const matched = await matchFailureActuals({ database: host.runtime.database, inventory: host.runtime.inventory, store: host.runtime.predictionStore }, '2026-05-31');
    expect(matched).toBeGreaterThanOrEqual(2);
    const rows = await host.runtime.database.db
      .selectFrom('analytics_predictions')
      .select(['target_id', 'actual_value'])
      .where('prediction_type', '=', FAILURE_PREDICTION_TYPE)
      .where('target_date', '=', target)
      .execute();
    const actual = new Map(rows.map((r) => [String(r.target_id), Number(r.actual_value)]));
    expect(actual.get(failure.item.tagId)).toBe(1);
    expect(actual.get(quiet.tagId)).toBe(0);
  });

  it('keeps the valid feedback rows of a batch, names the bad ones, and relabels the return', async () => {
    const items = await loadItemHistories({ database: host.runtime.database, inventory: host.runtime.inventory });
    const failedItem = items.find((i) => i.events.at(-1)?.kind === 'return' && i.events.at(-1)!.failed)!;
    const observed = failedItem.events.at(-1)!.at;
    await expect(host.call('POST', '/maintenance/feedback', { body: { items: [{ item_id: failedItem.tagId, outcome: 'no_failure' }] } })).rejects.toMatchObject({ status: 401 });
    const problem = await host
      .call('POST', '/maintenance/feedback', {
        principal: host.principals.ingest,
        body: {
          items: [
            { item_id: failedItem.tagId, outcome: 'no_failure', observed_at: observed.replace(' ', 'T') },
            { item_id: failedItem.tagId, outcome: 'exploded' },
            // A row that is not an object before an unknown item: named as bad, not a server error.
            null,
            { item_id: 'UNKNOWN-TAG', outcome: 'failed' },
          ],
        },
      })
      .catch((e: unknown) => e as { status: number; errors: { field: string }[]; extensions: { recorded: number } });
    expect(problem).toMatchObject({ status: 400, extensions: { recorded: 1 } });
    const fields = (problem as { errors: { field: string }[] }).errors.map((e) => e.field);
    expect(fields).toContain('body.items.1.outcome');
    expect(fields.some((f) => f.startsWith('body.items.2'))).toBe(true);
    expect(fields).toContain('body.items.3.item_id');
    const rows = await host.runtime.database.db
      .selectFrom('maintenance_feedback' as never)
      .selectAll()
      .execute();
    expect(rows).toHaveLength(1);
    const relabelled = await loadItemHistories(
      { database: host.runtime.database, inventory: host.runtime.inventory },
      { tagIds: [failedItem.tagId], feedback: [{ tag_id: failedItem.tagId, outcome: 'no_failure', observed_at: observed, repair_cost: null }] },
    );
    expect(relabelled[0]!.events.at(-1)!.failed).toBe(false);
  });
});

describe('item histories held in part', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startTestHost({ plugins: [{ plugin: maintenancePlugin, config: { matchActualsEveryMinutes: 0 } }], simulate: { items: 600, days: 365, seed: 7 } });
  });
  afterAll(() => host?.close());

  it('scores every item the same from its last returns as from its whole history, feedback included', async () => {
    const deps = { database: host.runtime.database, inventory: host.runtime.inventory };
    const full = await loadItemHistories(deps);
    const through = full
      .flatMap((i) => i.events.map((e) => e.at.slice(0, 10)))
      .sort()
      .at(-1)!;
    const state = trainFailureModel(full, through, { forest: { nEstimators: 8, minSamplesLeaf: 5, maxDepth: 6, seed: 3 }, validationDays: 60, minFailures: 5 });
    expect(state.forest).not.toBeNull();
    // Feedback on an old return of one item and a service on another: applied before the history is cut.
    const old = full.find((i) => i.events.filter((e) => e.kind === 'return').length > 12)!;
    const serviced = full.find((i) => i !== old && i.events.length > 8)!;
    const feedback = [
      { tag_id: old.tagId, outcome: 'failed' as const, observed_at: old.events[2]!.at, repair_cost: 40 },
      { tag_id: serviced.tagId, outcome: 'repaired' as const, observed_at: serviced.events.at(-3)!.at, repair_cost: null },
    ];
    const whole = await loadItemHistories(deps, { feedback });
    const recent = await loadItemHistories(deps, { feedback, recentReturns: 5 });
    expect(recent.reduce((a, i) => a + i.events.length, 0)).toBeLessThan(whole.reduce((a, i) => a + i.events.length, 0) / 3);
    for (const item of recent) expect(item.events.filter((e) => e.kind === 'return').length).toBeLessThanOrEqual(5);
    expect(scoreItems(state, recent)).toEqual(scoreItems(state, whole));
    // The service the feedback added counts in where the item stands.
    const events = whole.find((i) => i.tagId === serviced.tagId)!.events;
    const lastService = events.findLastIndex((e) => e.kind === 'service');
    expect(lastService).toBeGreaterThanOrEqual(events.length - 3);
    expect(recent.find((i) => i.tagId === serviced.tagId)!.standing!.since).toBe(events.slice(lastService + 1).filter((e) => e.kind === 'return').length);
  });

  it('samples the same items on every load, at most as many as asked', async () => {
    const deps = { database: host.runtime.database, inventory: host.runtime.inventory };
    const all = await loadItemHistories(deps);
    const a = await loadItemHistories(deps, { sampleItems: 150 });
    const b = await loadItemHistories(deps, { sampleItems: 150 });
    expect(a).toHaveLength(150);
    expect(a.map((i) => i.tagId)).toEqual(b.map((i) => i.tagId));
    const byTag = new Map(all.map((i) => [i.tagId, i]));
    for (const item of a) expect(item.events).toEqual(byTag.get(item.tagId)!.events);
    expect((await loadItemHistories(deps, { sampleItems: all.length + 5 })).length).toBe(all.length);
  });
});

describe('planMaintenance', () => {
  const risk = (tagId: string, since: number, relativeRisk: number): FailureRisk => ({
    tagId,
    since,
    relativeRisk,
    nextRental: 0,
    baselineNextRental: 0,
    rentalsPerDay: 0.3,
    source: 'model',
    baseline: { shape: 2, scale: 20 },
  });

  it('services only where the expected emergency cost avoided exceeds the preventive cost', () => {
    const plan = planMaintenance(
      [
        { risk: risk('worn', 25, 1.5), repairCost: 100 },
        { risk: risk('fresh', 0, 1), repairCost: 100 },
      ],
      { days: 30, capacityPerDay: 5, startDay: '2026-06-01', costs: { preventiveFactor: 0.3, emergencyFactor: 2 } },
    );
    expect(plan.orders.map((o) => o.tagId)).toEqual(['worn']);
    const o = plan.orders[0]!;
    expect(o.expectedSaving).toBeCloseTo((o.probability - o.probabilityAfterService) * 200 - 30, 8);
    expect(plan.expectedCostWithPlan).toBeCloseTo(plan.expectedCostWithoutPlan - o.expectedSaving, 8);
  });
});
