import type { ModelRegistry } from '@rfid3/core';
import { startTestHost, type TestHost } from '@rfid3/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GradeModelState, ItemGrades } from '../src/index.js';
import {
  classRates,
  countReturns,
  estimateTransitions,
  GRADE_MODEL_NAME,
  GRADES,
  gradeEconomics,
  gradePath,
  loadItemGrades,
  matrixFor,
  QualityService,
  qualityPlugin,
  rentalsUntilBelow,
} from '../src/index.js';
import { yearBefore } from '../src/economics.js';
import { qualityDb } from '../src/migrations.js';

interface DegradationBody {
  grade: string;
  modelVersion: string;
  after: { rentals: number; distribution: Record<string, number>; rentable: number }[];
  rentalsUntilUnrentable: { median: number | null; lower: number | null; upper: number | null; mean: number };
  lastObservation: { kind: string; grade: number } | null;
  validation: { logLoss: number; pooledLogLoss: number };
}

describe('quality plugin on a simulated business', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startTestHost({ plugins: [qualityPlugin], simulate: { items: 1500, days: 730 } });
  });
  afterAll(() => host?.close());

  it('recovers the grade-transition matrix the simulator used, per category, where the rows are well observed', async () => {
    const items = await loadItemGrades({ database: host.runtime.database, inventory: host.runtime.inventory });
    const table = estimateTransitions(items);
    const truth = host.simulation!.truth.categories;
    let rows = 0;
    for (const [category, m] of Object.entries(table.byCategory)) {
      const t = truth[category]?.gradeTransition;
      if (!t) continue;
      table.counts[category]!.forEach((n, i) => {
        if (n < 1000) return;
        // 1,000 transitions: a standard error under 0.009 on every entry; 0.03 is more than 3 of them
        for (let j = 0; j < GRADES.length; j++) expect(Math.abs(m[i]![j]! - t[i]![j]!), `${category} ${GRADES[i]}→${GRADES[j]} (${n} transitions)`).toBeLessThan(0.03);
        rows++;
      });
    }
    expect(rows).toBeGreaterThanOrEqual(10);
  });

  it('gives the grade distribution after k rentals and the rentals until it falls below the rentable grade', async () => {
    const items = await loadItemGrades({ database: host.runtime.database, inventory: host.runtime.inventory });
    const item = items.find((i) => i.grade === 2 && i.status !== 'Sold')!;
    const res = await host.call('GET', `/quality/degradation/${item.tagId}?rentals=20`);
    expect(res.status).toBe(200);
    const b = res.body as DegradationBody;
    expect(b.grade).toBe('A-');
    expect(b.modelVersion).toBe('quality.grade_transition@1');
    for (const s of b.after) expect(Object.values(s.distribution).reduce((a, p) => a + p, 0)).toBeCloseTo(1, 3);
    // it only wears: the chance to still be rentable falls with every rental
    const rentable = b.after.map((s) => s.rentable);
    for (let k = 1; k < rentable.length; k++) expect(rentable[k]!).toBeLessThanOrEqual(rentable[k - 1]! + 1e-9);
    const u = b.rentalsUntilUnrentable;
    expect(u.lower!).toBeLessThanOrEqual(u.median!);
    expect(u.median!).toBeLessThanOrEqual(u.upper!);
    // The per-category matrices predict held-out transitions better than one pooled matrix.
    expect(b.validation.logLoss).toBeLessThan(b.validation.pooledLogLoss);
  });

  it('an inspection result becomes the item’s current grade; bad rows are named and good ones kept', async () => {
    const items = await loadItemGrades({ database: host.runtime.database, inventory: host.runtime.inventory });
    const item = items.find((i) => i.grade === 1 && i.status !== 'Sold')!;
    const before = (await host.call('GET', `/quality/degradation/${item.tagId}`)).body as DegradationBody;
    expect(before.grade).toBe('A');
    const problem = await host
      .call('POST', '/quality/inspection-result', {
        principal: host.principals.ingest,
        body: {
          items: [
            { item_id: item.tagId, grade: 'C+' },
            { item_id: item.tagId, grade: 'Z' },
            { item_id: 'NOT-A-TAG', grade: 'A' },
          ],
        },
      })
      .catch((e: unknown) => e as { status: number; errors: { field: string }[]; extensions: { recorded: number } });
    expect(problem).toMatchObject({ status: 400, extensions: { recorded: 1 } });
    const fields = (problem as { errors: { field: string }[] }).errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['body.items.1.grade', 'body.items.2.item_id']));
    const after = (await host.call('GET', `/quality/degradation/${item.tagId}`)).body as DegradationBody;
    expect(after.grade).toBe('C+');
    expect(after.lastObservation?.kind).toBe('inspection');
    expect(after.rentalsUntilUnrentable.mean).toBeLessThan(before.rentalsUntilUnrentable.mean);
  });

  it('recommends replacement for the items closest to unrentable, lists inspections with a reason, and relates grade to revenue', async () => {
    const res = await host.call('GET', '/quality/replacement-recommendations?limit=20');
    const b = res.body as {
      recommendations: { decision: string; rentalsUntilUnrentable: { mean: number }; remainingRevenue: number; netReplacementCost: number }[];
      inspectNext: { why: string; probabilityBelowRentableNextRental: number }[];
      gradeEconomics: { grade: string; items: number }[];
    };
    expect(b.recommendations.length).toBeGreaterThan(0);
    const now = b.recommendations.filter((r) => r.decision === 'replace_now');
    const soon = b.recommendations.filter((r) => r.decision === 'replace_soon');
    if (now.length && soon.length)
      expect(Math.max(...now.map((r) => r.rentalsUntilUnrentable.mean))).toBeLessThanOrEqual(Math.min(...soon.map((r) => r.rentalsUntilUnrentable.mean)) + 1e-9);
    expect(b.inspectNext[0]!.why).toContain('chance');
    // only items that can cross below the rentable grade on their next rental are worth an inspection
    for (const i of b.inspectNext) expect(i.probabilityBelowRentableNextRental).toBeGreaterThan(0);
    expect(b.gradeEconomics).toHaveLength(9);
    expect(b.gradeEconomics.reduce((a, r) => a + r.items, 0)).toBeGreaterThan(1000);
    await expect(host.call('GET', '/quality/replacement-recommendations?limit=0')).rejects.toMatchObject({
      status: 400,
      errors: [expect.objectContaining({ field: 'query.limit' })],
    });
    await expect(host.call('GET', '/quality/degradation/NOT-A-TAG')).rejects.toMatchObject({ status: 404 });
  });

  describe('with inspections between scans and at a scan’s instant', () => {
    const deps = () => ({ database: host.runtime.database, inventory: host.runtime.inventory });
    beforeAll(async () => {
      const items = (await loadItemGrades(deps())).filter((i) => i.observations.length > 6).slice(0, 30);
      const iso = (at: string) => at.replace(' ', 'T');
      const rows = items.flatMap((item, k) => {
        const o = item.observations;
        return [
          { item_id: item.tagId, grade: GRADES[k % 9]!, inspected_at: iso(o[2]!.at) },
          { item_id: item.tagId, grade: GRADES[(k + 4) % 9]!, inspected_at: iso(o[2]!.at) },
          { item_id: item.tagId, grade: 'B', inspected_at: o[5]!.at.slice(0, 10) },
          { item_id: item.tagId, grade: 'A', inspected_at: iso(o.at(-1)!.at) },
        ];
      });
      expect((await host.call('POST', '/quality/inspection-result', { principal: host.principals.ingest, body: { items: rows } })).body).toEqual({ recorded: 120 });
    });

    it('the recent-only load keeps the last observations and grade of the full load, and counts the rest', async () => {
      const full = await loadItemGrades(deps());
      const day = '2026-01-15';
      const recent = await loadItemGrades(deps(), { recent: 3, returnsAfter: day });
      expect(recent.map((i) => i.tagId)).toEqual(full.map((i) => i.tagId));
      const returns = (i: ItemGrades, after = '') => i.observations.filter((o) => o.kind === 'return' && o.at.slice(0, 10) > after).length;
      let truncated = 0;
      full.forEach((f, k) => {
        const r = recent[k]!;
        expect(r.grade, f.tagId).toBe(f.grade);
        expect(r.observations, f.tagId).toEqual(f.observations.slice(-3));
        expect(r.history, f.tagId).toEqual({ observations: f.observations.length, returns: returns(f), returnsAfter: { day, returns: returns(f, day) } });
        expect(countReturns(r)).toBe(countReturns(f));
        expect(countReturns(r, day)).toBe(countReturns(f, day));
        if (f.observations.length > 3) {
          truncated++;
          expect(() => countReturns(r, '2025-01-01')).toThrow(/last observations only/);
        }
      });
      expect(truncated).toBeGreaterThan(1000);
      // The inspections sit among the scans as when they were spliced in one by one after the scans: after those
      // of their instant and earlier recorded ones.
      const inspections = await qualityDb(host.runtime.database).selectFrom('quality_inspections').select(['tag_id', 'inspected_at', 'grade']).orderBy('id').execute();
      const spliced = new Map(full.map((i) => [i.tagId, i.observations.filter((o) => o.kind !== 'inspection')]));
      for (const r of inspections) {
        const list = spliced.get(r.tag_id)!;
        const at = String(r.inspected_at).slice(0, 19);
        const k = list.findIndex((o) => o.at > at);
        list.splice(k < 0 ? list.length : k, 0, { at, kind: 'inspection', grade: GRADES.indexOf(r.grade as (typeof GRADES)[number]) });
      }
      for (const f of full) expect(f.observations, f.tagId).toEqual(spliced.get(f.tagId));
      expect(full.filter((i) => i.observations.some((o) => o.kind === 'inspection')).length).toBeGreaterThanOrEqual(30);
      // One item alone, as an endpoint about it may load it.
      const one = full.find((i) => i.observations.filter((o) => o.kind === 'inspection').length >= 4)!;
      expect(await loadItemGrades(deps(), { tagIds: [one.tagId] })).toEqual([one]);
      await expect(loadItemGrades(deps(), { recent: 0 })).rejects.toThrow(RangeError);
    });

    it('the snapshot keeps one observation per item and answers as the full history does', async () => {
      const service = new QualityService({ ...deps(), registry: host.runtime.registry, clock: host.clock });
      const snap = await service.current();
      const full = await loadItemGrades(deps());
      const byTag = new Map(full.map((i) => [i.tagId, i]));
      expect(snap.items).toHaveLength(full.length);
      for (const item of snap.items) {
        const f = byTag.get(item.tagId)!;
        expect(item.observations).toEqual(f.observations.slice(-1));
        expect(item.grade).toBe(f.grade);
        expect(service.revenuePerRental(snap, item)).toBe(service.revenuePerRental(snap, f));
      }
      // Items without a class price earn their turnover per observed rental: counted over the whole history.
      const noRate = new Map<string, number>();
      for (const item of snap.items)
        expect(service.revenuePerRental({ ...snap, rates: noRate }, item)).toBe(service.revenuePerRental({ ...snap, rates: noRate }, byTag.get(item.tagId)!));
      const through = snap.state.dataThrough;
      expect(snap.items[0]!.history?.returnsAfter?.day).toBe(yearBefore(through));
      expect(gradeEconomics(snap.items, snap.rates, through)).toEqual(gradeEconomics(full, await classRates(host.runtime.database), through));
    });

    it('retraining registers the chains and validation fitted on every observation held at once', async () => {
      let candidate: { artifact: unknown; metrics?: unknown; validation: unknown; trainingRows?: number } | undefined;
      const registry = {
        register: async (c: typeof candidate) => {
          candidate = c;
          return { versionTag: 'x@1', activated: false, reason: 'test' };
        },
      } as unknown as ModelRegistry;
      const service = new QualityService({ ...deps(), registry, clock: host.clock });
      await service.retrain();
      // What retraining computed when it held every item's observations.
      const items = await loadItemGrades(deps());
      const through = await service.dataThrough();
      const cutoff = new Date(Date.parse(`${through}T00:00:00Z`) - 90 * 86_400_000).toISOString().slice(0, 10);
      const early = estimateTransitions(items.map((i) => ({ ...i, observations: i.observations.filter((o) => o.at.slice(0, 10) <= cutoff) })));
      let n = 0;
      let ll = 0;
      let pooled = 0;
      for (const item of items) {
        const P = matrixFor(early, item);
        for (let j = 1; j < item.observations.length; j++) {
          const o = item.observations[j]!;
          const prev = item.observations[j - 1]!;
          if (o.kind !== 'return' || o.at.slice(0, 10) <= cutoff || prev.grade < 0 || o.grade < 0) continue;
          ll -= Math.log(Math.max(1e-12, P[prev.grade]![o.grade]!));
          pooled -= Math.log(Math.max(1e-12, early.overall[prev.grade]![o.grade]!));
          n++;
        }
      }
      expect(n).toBeGreaterThan(1000);
      const validation = { cutoff, transitions: n, logLoss: ll / n, pooledLogLoss: pooled / n };
      const table = estimateTransitions(items);
      const expected: GradeModelState = { kind: 'grade-transition', dataThrough: through, table, validation, served: 'per category' };
      expect(validation.logLoss).toBeLessThan(validation.pooledLogLoss);
      expect(JSON.stringify(candidate!.artifact)).toBe(JSON.stringify(expected));
      expect(candidate!.metrics).toEqual({ per_category_log_loss: validation.logLoss, pooled_log_loss: validation.pooledLogLoss });
      expect(candidate!.trainingRows).toBe(Object.values(table.counts).reduce((a, r) => a + r.reduce((x, y) => x + y, 0), 0));
      expect(GRADE_MODEL_NAME).toBe('quality.grade_transition');
    });
  });
});

describe('grade chain arithmetic', () => {
  // drops one grade with probability 0.5 per rental; C is the worst rentable (index 7)
  const P = Array.from({ length: 9 }, (_, i) => Array.from({ length: 9 }, (_, j) => (i === 8 ? (j === 8 ? 1 : 0) : j === i ? 0.5 : j === i + 1 ? 0.5 : 0)));
  it('hitting time from C is geometric: mean 2 rentals, median 1', () => {
    const u = rentalsUntilBelow(P, 7, 7);
    expect(u.mean).toBeCloseTo(2, 4);
    expect(u.median).toBe(1);
    expect(u.p90).toBe(4);
  });
  it('distribution after k rentals is binomial in the drops', () => {
    const d = gradePath(P, 0, 2)[1]!;
    expect(d[0]).toBeCloseTo(0.25, 12);
    expect(d[1]).toBeCloseTo(0.5, 12);
    expect(d[2]).toBeCloseTo(0.25, 12);
  });
});
