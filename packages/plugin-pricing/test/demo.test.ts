import { startTestHost, type TestHost } from '@rfid3/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pricingPlugin } from '../src/index.js';

interface Rec {
  rentalClass: string;
  currentPrice: number;
  recommendedPrice: number | null;
  direction?: 'raise' | 'cut' | 'keep';
  why?: string;
  gainRange80?: number[];
}

// The business `pnpm rfid3 demo` seeds by default: 1,500 items, 730 days, seed 42.
describe('capacity pricing on the demo business', () => {
  let host: TestHost;
  beforeAll(async () => {
    // `pnpm rfid3 demo` ends its history yesterday; run on 2026-12-06 (ahead: December, off-peak for most categories).
    // Ahead of June (the peak) the same business gets raises only: capacity binds there.
    host = await startTestHost({ plugins: [pricingPlugin], simulate: { items: 1500, days: 730, seed: 42 }, now: '2026-12-06T12:00:00Z' });
  }, 600_000);
  afterAll(() => host.close());

  it('recommends raises and cuts both, and no decision is auto-approved while its gain range includes zero', async () => {
    const recs = ((await host.call('GET', '/pricing/recommendations?limit=500')).body as { recommendations: Rec[] }).recommendations;
    const raises = recs.filter((r) => r.direction === 'raise');
    const cuts = recs.filter((r) => r.direction === 'cut');
    expect(raises.length).toBeGreaterThan(0);
    expect(cuts.length).toBeGreaterThan(0);
    for (const r of raises) expect(r.recommendedPrice!).toBeGreaterThan(r.currentPrice);
    for (const r of cuts) expect(r.recommendedPrice!).toBeLessThan(r.currentPrice);
    // Not every class moves: where the gain is uncertain the price is kept.
    expect(recs.filter((r) => r.direction === 'keep').length).toBeGreaterThan(0);
    await host.runJob('pricing.propose');
    const rows = await host.runtime.database.db.selectFrom('automated_decisions').selectAll().where('decision_type', '=', 'price_change').execute();
    expect(rows.length).toBe(raises.length + cuts.length);
    for (const row of rows) {
      const action = typeof row.proposed_action === 'string' ? JSON.parse(row.proposed_action) : row.proposed_action;
      const [lo, hi] = action.gainRange80 as [number, number];
      if (lo <= 0 && hi >= 0) expect(row.status).toBe('pending');
    }
  }, 600_000);
});
