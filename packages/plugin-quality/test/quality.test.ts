import { startTestHost, type TestHost } from '@rfid3/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateTransitions, GRADES, gradePath, loadItemGrades, qualityPlugin, rentalsUntilBelow } from '../src/index.js';

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
