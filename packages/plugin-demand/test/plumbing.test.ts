import { addDays, HttpProblem } from '@rfid3/core';
import type { Prediction } from '@rfid3/core';
import { startTestHost, type TestHost } from '@rfid3/core/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { demandPlugin, demandServices, loadOnRentSeries, ON_RENT_LOOKBACK_DAYS, ON_RENT_PREDICTION_TYPE, SeriesVersions } from '../src/index.js';

describe('series data versions', () => {
  it('bump only the series a change touches, by store, and everything when told', () => {
    const v = new SeriesVersions();
    const chairs = { level: 'category' as const, key: 'Tables and Chairs', store: null };
    const chairsAt = (store: string) => ({ ...chairs, store });
    const linens = { level: 'category' as const, key: 'Linens', store: null };
    const base = [v.of(chairs), v.of(chairsAt('8101')), v.of(chairsAt('3607')), v.of(linens)];
    v.bump('category', 'tables and chairs', ['8101']);
    // The total of all stores and store 8101 changed; store 3607 and the other category did not.
    expect(v.of(chairs)).toBeGreaterThan(base[0]!);
    expect(v.of(chairsAt('8101'))).toBeGreaterThan(base[1]!);
    expect(v.of(chairsAt('3607'))).toBe(base[2]);
    expect(v.of(linens)).toBe(base[3]);
    // A request by term covers every category whose name contains it; one without a category covers all.
    const before = { chairs: v.ofRequest({ category: 'CHAIRS' }), linens: v.ofRequest({ category: 'linens' }), all: v.ofRequest({}) };
    v.bump('category', 'Tables and Chairs');
    expect(v.ofRequest({ category: 'CHAIRS' })).toBeGreaterThan(before.chairs);
    expect(v.ofRequest({ category: 'linens' })).toBe(before.linens);
    expect(v.ofRequest({})).toBeGreaterThan(before.all);
    const rc = v.ofRequest({ rentalClass: '61885', store: '8101' });
    v.bumpAll();
    expect(v.ofRequest({ rentalClass: '61885', store: '8101' })).toBeGreaterThan(rc);
    expect(v.ofRequest({ category: 'linens' })).toBeGreaterThan(before.linens);
  });

  it('give cache-key tokens that hosts share until a change, and never share after one (each counts its own)', () => {
    const a = new SeriesVersions();
    const b = new SeriesVersions();
    expect(a.requestToken({ category: 'linens' })).toBe('0');
    expect(a.requestToken({ category: 'linens' })).toBe(b.requestToken({ category: 'linens' }));
    a.bump('category', 'Linens');
    b.bump('category', 'Linens');
    expect(a.ofRequest({ category: 'linens' })).toBe(b.ofRequest({ category: 'linens' }));
    expect(a.requestToken({ category: 'linens' })).not.toBe(b.requestToken({ category: 'linens' }));
    expect(a.requestToken({ category: 'chairs' })).toBe('0');
  });
});

// Fits every touched category with inner backtests: on a busy 2-core machine this takes a minute or two.
describe('demand plumbing on a simulated business', { timeout: 300_000 }, () => {
  let host: TestHost;
  let today: string;
  let categories: { name: string; classes: string[] }[];
  type Body = { cached: boolean; series: { level: string; key: string; store: string | null; points: { date: string; value: number; lower: number; upper: number }[] }[] };
  const get = async (url: string) => (await host.call('GET', url)).body as Body;
  const forecaster = () => host.runtime.get(demandServices.forecaster);
  const changed = (rentalClasses?: string[], stores?: string[]) =>
    host.runtime.events.emit('data-changed', { source: 'test', tables: ['id_transactions', 'id_item_master'], rentalClasses, stores, from: addDays(today, -2), to: today });

  beforeAll(async () => {
    host = await startTestHost({
      plugins: [{ plugin: demandPlugin, config: { matchActualsEveryMinutes: 0 } }],
      simulate: { items: 500, days: 400 },
    });
    today = host.clock.now().toISOString().slice(0, 10);
    const byCategory = new Map<string, string[]>();
    for (const c of await host.runtime.inventory.rentalClasses()) byCategory.set(c.category, [...(byCategory.get(c.category) ?? []), c.rentalClass]);
    categories = [...byCategory].map(([name, classes]) => ({ name, classes })).sort((a, b) => b.classes.length - a.classes.length);
  });
  afterAll(() => host.close());

  it("reuses a series' fitted state for another horizon and after a change to another series", async () => {
    const [a, b] = categories;
    const urlA = (weeks: number) => `/demand/forecast?weeks=${weeks}&category=${encodeURIComponent(a!.name)}`;
    const urlB = `/demand/forecast?weeks=4&category=${encodeURIComponent(b!.name)}`;
    const four = await get(urlA(4));
    await get(urlB);
    const stats = { ...forecaster().fitStats };
    // Another horizon: a new answer, from the same fitted state (the first two weeks are the same forecast).
    const two = await get(urlA(2));
    expect(two.cached).toBe(false);
    expect(forecaster().fitStats).toEqual({ fitted: stats.fitted, reused: stats.reused + 1 });
    expect(two.series[0]!.points).toEqual(four.series[0]!.points.slice(0, 14));
    // New scans of a class of B: A's answer stays cached and its fit is kept; B's is refitted.
    await changed([b!.classes[0]!]);
    expect(await get(urlA(4))).toMatchObject({ cached: true });
    expect(await get(urlB)).toMatchObject({ cached: false });
    expect(forecaster().fitStats.fitted).toBe(stats.fitted + 1);
    // New scans of a class of A: A is refitted.
    await changed([a!.classes[0]!]);
    expect(await get(urlA(4))).toMatchObject({ cached: false });
    expect(forecaster().fitStats.fitted).toBe(stats.fitted + 2);
    // A change that does not say which classes it touched makes everything stale.
    await changed(undefined);
    expect(await get(urlA(4))).toMatchObject({ cached: false });
    expect(await get(urlB)).toMatchObject({ cached: false });
    expect(forecaster().fitStats.fitted).toBe(stats.fitted + 4);
  });

  it('drops the forecasts of the stores a change names, and of all stores together, but not of the other stores', async () => {
    const a = categories[0]!;
    const stores = await host.runtime.inventory.stores();
    expect(stores.length).toBeGreaterThanOrEqual(2);
    const [s1, s2] = stores;
    const url = (store: string) => `/demand/forecast?weeks=1&category=${encodeURIComponent(a.name)}&store=${store}`;
    for (const s of [s1!, s2!, 'all']) await get(url(s));
    for (const s of [s1!, s2!, 'all']) expect(await get(url(s))).toMatchObject({ cached: true });
    await changed([a.classes[0]!], [s1!]);
    expect(await get(url(s2!))).toMatchObject({ cached: true });
    expect(await get(url(s1!))).toMatchObject({ cached: false });
    expect(await get(url('all'))).toMatchObject({ cached: false });
    // A rental-class forecast of another class of the same category is not touched either.
    if (a.classes.length > 1) {
      const other = `/demand/forecast?weeks=1&rental_class=${encodeURIComponent(a.classes[1]!)}`;
      await get(other);
      await changed([a.classes[0]!]);
      expect(await get(other)).toMatchObject({ cached: true });
    }
  });

  it("reconciles a category's rental classes to the category's forecast on every day", async () => {
    // The category with the fewest rental classes that has more than one: each class is fitted.
    const a = categories.filter((c) => c.classes.length >= 2).at(-1)!;
    const { predictions } = await host.predict('demand.daily', { weeks: 2, category: a.name, byClass: true });
    const total = predictions.filter((p) => p.target.type === 'category');
    const parts = predictions.filter((p) => p.target.type === 'rental_class');
    expect(total).toHaveLength(14);
    expect(new Set(parts.map((p) => p.target.id))).toEqual(new Set(a.classes));
    expect(parts).toHaveLength(14 * a.classes.length);
    const byDay = new Map<string, Prediction[]>();
    for (const p of parts) byDay.set(p.targetDate!, [...(byDay.get(p.targetDate!) ?? []), p]);
    for (const t of total) {
      const day = byDay.get(t.targetDate!)!;
      expect(Math.abs(day.reduce((s, p) => s + p.value, 0) - t.value)).toBeLessThan(1e-6);
      for (const p of day) {
        for (const iv of p.intervals!) {
          expect(iv.lower).toBeLessThanOrEqual(p.value + 1e-9);
          expect(p.value).toBeLessThanOrEqual(iv.upper + 1e-9);
        }
      }
    }
    // Over the endpoint too, and only for a category.
    const body = await get(`/demand/forecast?weeks=1&category=${encodeURIComponent(a.name)}&by_class=true`);
    expect(body.series.filter((s) => s.level === 'rental_class')).toHaveLength(a.classes.length);
    const err = await host.call('GET', '/demand/forecast?by_class=true').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpProblem);
    expect(err).toMatchObject({ status: 400, errors: [{ field: 'query.by_class' }] });
  });

  it('matches units-on-rent forecasts with the units on rent at the end of each day and reports them apart', async () => {
    const a = categories[0]!;
    const through = forecaster().dataThrough();
    const origin = addDays(through, -14);
    const preds = await forecaster().forecast({ weeks: 1, category: a.name, measure: 'on_rent' }, origin);
    expect(preds.every((p) => p.predictionType === ON_RENT_PREDICTION_TYPE)).toBe(true);
    host.runtime.predictionStore.record(preds, new Date(`${addDays(origin, 1)}T06:00:00Z`));
    const res = await host.call('GET', '/demand/accuracy');
    const body = res.body as {
      predictionType: string;
      onRent: { predictionType: string; matched: number; byModel: { mae: number; coverage: number | null; n: number }[]; byHorizon: { horizon: number }[] };
    };
    expect(body.predictionType).toBe('demand.units_out');
    expect(body.onRent.predictionType).toBe(ON_RENT_PREDICTION_TYPE);
    expect(body.onRent.matched).toBe(7);
    expect(new Set(body.onRent.byHorizon.map((r) => r.horizon))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7]));
    expect(body.onRent.byModel[0]!.coverage).not.toBeNull();
    // The actuals are the units on rent at the end of each day, counted from the scans.
    const [series] = await loadOnRentSeries(host.runtime.database, host.runtime.inventory, {
      level: 'category',
      category: a.name,
      from: addDays(origin, 1 - ON_RENT_LOOKBACK_DAYS),
      to: through,
    });
    const onRent = new Map(series!.days.map((d, i) => [d, series!.values[i]!]));
    const mae = preds.reduce((s, p) => s + Math.abs(onRent.get(p.targetDate!)! - p.value), 0) / preds.length;
    expect(body.onRent.byModel[0]!.mae).toBeCloseTo(mae, 6);
    expect([...onRent.values()].some((v) => v > 0)).toBe(true);
  });
  it('answers a repeated cached forecast from memory: the same answer, its exact bytes, no database read until the data changes', async () => {
    const a = categories[0]!;
    const url = `/demand/forecast?weeks=2&category=${encodeURIComponent(a.name)}`;
    type Full = Body & { generatedAt: string; series: (Body['series'][number] & { recent: { date: string; value: number }[] })[] };
    const call = async (u = url) => host.call('GET', u);
    // Every query of the database, from here on.
    const executor = host.runtime.database.db.getExecutor();
    const spy = vi.spyOn(executor, 'executeQuery');
    try {
      await call(`${url}&recent_days=0`); // computes and caches the forecasts
      spy.mockClear();
      const built = await call();
      expect((built.body as Full).cached).toBe(true);
      // The first hit of this question reads what it adds to the forecasts (the spy sees the reads it must see)…
      expect(spy.mock.calls.length).toBeGreaterThan(0);
      spy.mockClear();
      const again = await call();
      // …and the next one reads nothing: it is the kept answer, sent as the bytes it was serialised to.
      expect(spy).not.toHaveBeenCalled();
      expect(again.body).toEqual(built.body);
      expect(again.json?.toString()).toBe(JSON.stringify(again.body));
      // generatedAt is the second it is served, in the body and in the bytes alike.
      host.clock.advance({ ms: 5_000 });
      const later = await call();
      expect(spy).not.toHaveBeenCalled();
      expect((later.body as Full).generatedAt).not.toBe((built.body as Full).generatedAt);
      expect(later.json?.toString()).toBe(JSON.stringify(later.body));
      expect({ ...(later.body as Full), generatedAt: 'x' }).toEqual({ ...(built.body as Full), generatedAt: 'x' });
      // Another recent_days is another answer (read once), not the kept one.
      const week = (await call(`${url}&recent_days=7`)).body as Full;
      expect(week.series[0]!.recent).toHaveLength(7);
      expect((again.body as Full).series[0]!.recent).toHaveLength(28);
      // Unknown categories stay a 404, every time.
      for (let i = 0; i < 2; i++) await expect(call('/demand/forecast?weeks=2&category=no-such-category-here')).rejects.toMatchObject({ status: 404 });

      // Scans of yesterday for a class of the category: the next answers are new, with the new recent actuals.
      const yesterday = forecaster().dataThrough();
      const before = (again.body as Full).series[0]!.recent.at(-1)!;
      expect(before.date).toBe(yesterday);
      const tags = await host.runtime.database.db.selectFrom('id_item_master').select('tag_id').where('rental_class_num', '=', a.classes[0]!).limit(3).execute();
      for (const [i, t] of tags.entries()) {
        await host.runtime.database.db
          .insertInto('id_transactions')
          .values({ tag_id: t.tag_id, scan_type: 'Rental', scan_date: `${yesterday} 23:5${i}:00`, rental_class_num: a.classes[0]! } as never)
          .execute();
      }
      await host.runtime.events.emit('data-changed', { source: 'test', tables: ['id_transactions'], rentalClasses: [a.classes[0]!], from: yesterday, to: yesterday });
      const recomputed = (await call()).body as Full;
      expect(recomputed.cached).toBe(false);
      const hit = (await call()).body as Full;
      expect(hit.cached).toBe(true);
      expect(hit.series[0]!.recent.at(-1)!.value).toBeGreaterThan(before.value);
      spy.mockClear();
      expect((await call()).body).toEqual(hit);
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });
});
