import { startTestHost, type TestHost } from '@rfid3/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluatePriceTest, pricingPlugin, recommendPrice } from '../src/index.js';

describe('the constant-elasticity policy (kept as the baseline the eval compares with)', () => {
  it('moves to the cap in the direction the elasticity says, and to c·ε/(1+ε) for margin', () => {
    const base = { price: 10, elasticitySe: 0.1, quantity: 100, maxChange: 0.2 };
    expect(recommendPrice({ ...base, elasticity: -0.5, objective: 'revenue' }).recommendedPrice).toBe(12);
    expect(recommendPrice({ ...base, elasticity: -1.8, objective: 'revenue' }).recommendedPrice).toBe(8);
    // Margin with cost 5 and ε = −3: p* = 5·3/2 = 7.5, beyond the cap of 8 → 8; with ε = −6: p* = 6 → capped at 8 too.
    const m = recommendPrice({ ...base, elasticity: -3, objective: 'margin', unitCost: 7 });
    expect(m.optimum).toBeCloseTo(10.5, 10);
    expect(m.recommendedPrice).toBe(10.5);
    // Expected change: q = 100·(12/10)^−0.5, revenue 12q − 1000.
    const r = recommendPrice({ ...base, elasticity: -0.5, objective: 'revenue' });
    expect(r.expectedChange).toBeCloseTo(12 * 100 * 1.2 ** -0.5 - 1000, 8);
    // Confidence: P(1 + ε < 0) with ε = −1.8 ± 0.1 is essentially 1; with ε = −1.05 ± 0.1 about Φ(0.5).
    expect(recommendPrice({ ...base, elasticity: -1.05, objective: 'revenue' }).confidence).toBeCloseTo(0.6915, 3);
  });

  it('a price test stops only when the leader is clearly best and the expected loss is small', () => {
    const early = evaluatePriceTest([
      { name: 'a', price: 10, exposures: 50, conversions: 20 },
      { name: 'b', price: 12, exposures: 50, conversions: 20 },
    ]);
    expect(early.stop).toBe(false);
    const clear = evaluatePriceTest([
      { name: 'a', price: 10, exposures: 2000, conversions: 800 },
      { name: 'b', price: 12, exposures: 2000, conversions: 800 },
    ]);
    expect(clear.leader).toBe('b');
    expect(clear.probabilityBest.b).toBeGreaterThan(0.99);
    expect(clear.stop).toBe(true);
    const tie = evaluatePriceTest([
      { name: 'a', price: 10, exposures: 2000, conversions: 600 },
      { name: 'b', price: 12, exposures: 2000, conversions: 500 },
    ]);
    expect(tie.stop).toBe(false);
  });
});

describe('pricing endpoints on a simulated business', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startTestHost({ plugins: [pricingPlugin], simulate: { items: 600, days: 420 } });
  });
  afterAll(() => host.close());

  it('elasticity-analysis answers per category with intervals; an unknown category is a 404', async () => {
    const res = await host.call('GET', '/pricing/elasticity-analysis');
    expect(res.status).toBe(200);
    const body = res.body as { categories: { group: string; elasticity: number | null; ci95: (number | null)[]; n: number }[]; pooled: { elasticity: number } };
    expect(body.categories.length).toBeGreaterThan(5);
    const some = body.categories.find((c) => c.elasticity !== null)!;
    expect(some.ci95[0]!).toBeLessThan(some.elasticity!);
    expect(body.pooled.elasticity).toBeLessThan(0);
    await expect(host.call('GET', '/pricing/elasticity-analysis?category=nothing')).rejects.toMatchObject({ status: 404 });
  });

  it('recommendations stay within 20 %; a read records nothing, the propose job records each price change once', async () => {
    await host.call('GET', '/pricing/recommendations?limit=500');
    expect(await host.runtime.database.db.selectFrom('automated_decisions').selectAll().execute()).toEqual([]);
    await host.runJob('pricing.propose');
    const res = await host.call('GET', '/pricing/recommendations?limit=500');
    expect(res.status).toBe(200);
    const recs = (
      res.body as { recommendations: { rentalClass: string; currentPrice: number; recommendedPrice: number | null; decision: { id: number; status: string } | null }[] }
    ).recommendations;
    const changed = recs.filter((r) => r.recommendedPrice !== null && r.recommendedPrice !== r.currentPrice);
    expect(changed.length).toBeGreaterThan(0);
    for (const r of changed) {
      expect(Math.abs(r.recommendedPrice! / r.currentPrice - 1)).toBeLessThanOrEqual(0.2 + 1e-9);
      expect(r.decision).not.toBeNull();
    }
    const recorded = await host.runtime.database.db.selectFrom('automated_decisions').selectAll().where('decision_type', '=', 'price_change').execute();
    expect(recorded.length).toBe(new Set(changed.map((r) => r.decision!.id)).size);
    await host.runJob('pricing.propose');
    const again = await host.runtime.database.db.selectFrom('automated_decisions').selectAll().where('decision_type', '=', 'price_change').execute();
    expect(again.length).toBe(recorded.length);
    await expect(host.call('GET', '/pricing/recommendations?objective=cheapest')).rejects.toMatchObject({ status: 400, errors: [{ field: 'query.objective' }] });
  });

  it('each recommendation says why in words and figures, with P(gain) as its confidence and the gain range beside it', async () => {
    const recs = (await host.call('GET', '/pricing/recommendations?limit=500')).body as {
      recommendations: {
        recommendedPrice: number | null;
        currentPrice: number;
        direction?: string;
        why?: string;
        confidence?: number;
        gainRange80?: number[];
        expectedChangePerPeriod?: number;
      }[];
    };
    const priced = recs.recommendations.filter((r) => r.recommendedPrice !== null);
    expect(priced.length).toBeGreaterThan(10);
    for (const r of priced) {
      // One price per class unless the business allows peak and off-peak prices.
      expect(r).not.toHaveProperty('peak');
      expect(r.why).toMatch(/\d/);
      expect(r.why).toMatch(/sold out on \d+ of the last \d+ \w+days|never sold out in the last \d+ days/);
      if (r.direction === 'keep') {
        expect(r.recommendedPrice).toBe(r.currentPrice);
        expect(r.confidence).toBe(0);
      } else {
        // A move is made only when the gain's 80 % range is above zero and P(gain) is at least the configured 0.8.
        expect(r.gainRange80![0]).toBeGreaterThan(0);
        expect(r.confidence).toBeGreaterThanOrEqual(0.8);
        expect(r.expectedChangePerPeriod).toBeGreaterThan(0);
        expect(r.why).toMatch(/\$\d/);
      }
    }
  });

  it('in the host ledger, a price change whose gain range includes zero is not auto-approved, however confident', async () => {
    const propose = (id: string, gainRange80: number[]) =>
      host.runtime.decisions.propose(
        {
          type: 'price_change',
          target: { type: 'rental_class', id },
          confidence: 0.97,
          baselinePrice: 10,
          proposedPrice: 11,
          predictedImpact: 12,
          action: { rentalClass: id, price: 11, gainRange80 },
          modelVersion: 'pricing.capacity@1',
        },
        { name: 'test', keyId: null, role: 'operate' },
      );
    const unsure = await propose('SAFEGUARD-A', [-4, 30]);
    expect(unsure.status).toBe('pending');
    expect(unsure.safeguards).toContainEqual(expect.objectContaining({ safeguard: 'pricing-gain-range', verdict: 'review' }));
    const sure = await propose('SAFEGUARD-B', [4, 30]);
    expect(sure.status).toBe('approved');
    // Every auto-approved price decision the propose job recorded has a gain range above zero.
    const rows = await host.runtime.database.db
      .selectFrom('automated_decisions')
      .selectAll()
      .where('decision_type', '=', 'price_change')
      .where('model_version', '=', 'pricing.capacity@1')
      .execute();
    for (const row of rows) {
      const action = typeof row.proposed_action === 'string' ? JSON.parse(row.proposed_action) : row.proposed_action;
      if (row.status === 'approved' && row.decided_by === 'auto') expect(action.gainRange80[0]).toBeGreaterThan(0);
    }
  });

  it('competitor prices: valid rows are kept and bad ones named; a batch with none valid is a 400', async () => {
    const op = host.principals.ingest;
    const res = await host.call('POST', '/pricing/competitor-prices', {
      body: {
        rows: [
          { rental_class: '60030', competitor: 'Acme', price: 9.5, observed_on: '2026-05-01' },
          { rental_class: '60030', competitor: 'Acme', price: -1, observed_on: '2026-05-01' },
        ],
      },
      principal: op,
    });
    expect(res.body).toMatchObject({ imported: 1, rejected: 1, errors: [{ field: 'body.rows.1.price' }] });
    await expect(host.call('POST', '/pricing/competitor-prices', { body: { rows: [1, 2] }, principal: op })).rejects.toMatchObject({
      status: 400,
      errors: [{ field: 'body.rows.0' }, { field: 'body.rows.1' }],
    });
  });

  it('a price test: create, record outcomes, refuse to conclude early, conclude into a decision', async () => {
    const op = host.principals.operate;
    await expect(
      host.call('POST', '/pricing/test-price', {
        body: {
          rental_class: 'x',
          variants: [
            { name: 'a', price: 10, allocation: 0.7 },
            { name: 'b', price: 12, allocation: 0.7 },
          ],
        },
        principal: op,
      }),
    ).rejects.toMatchObject({ status: 400, errors: [{ field: 'body.variants' }] });
    await expect(host.call('POST', '/pricing/test-price', { body: { rental_class: 'x', variants: [] } })).rejects.toMatchObject({ status: 401 });
    // A class the business does not have is a 404: a test's winner must be judged against a known price.
    await expect(
      host.call('POST', '/pricing/test-price', {
        body: {
          rental_class: 'NOPE-CLASS',
          variants: [
            { name: 'a', price: 23, allocation: 0.5 },
            { name: 'b', price: 230, allocation: 0.5 },
          ],
        },
        principal: op,
      }),
    ).rejects.toMatchObject({ status: 404, detail: expect.stringContaining("no rental class 'NOPE-CLASS'") });
    const priced = await host.runtime.database.db.selectFrom('pos_equipment').select(['item_num', 'rate_1']).where('rate_1', '>', 0).orderBy('item_num').executeTakeFirstOrThrow();
    const today = Number(priced.rate_1);
    const variants = [
      { name: 'a', price: today, allocation: 0.5 },
      { name: 'b', price: Math.round(today * 1.1 * 100) / 100, allocation: 0.5 },
    ];
    const created = await host.call('POST', '/pricing/test-price', { body: { rental_class: priced.item_num, variants }, principal: op });
    expect(created.status).toBe(201);
    const id = (created.body as { id: number }).id;
    await host.call('POST', `/pricing/test-price/${id}/outcomes`, {
      body: {
        outcomes: [
          { variant: 'a', exposures: 20, conversions: 8 },
          { variant: 'b', exposures: 20, conversions: 8 },
        ],
      },
      principal: host.principals.ingest,
    });
    await expect(host.call('POST', `/pricing/test-price/${id}/conclude`, { body: {}, principal: op })).rejects.toMatchObject({ status: 409 });
    const more = await host.call('POST', `/pricing/test-price/${id}/outcomes`, {
      body: {
        outcomes: [
          { variant: 'a', exposures: 6000, conversions: 2400 },
          { variant: 'b', exposures: 6000, conversions: 2400 },
        ],
      },
      principal: host.principals.ingest,
    });
    expect((more.body as { verdict: { stop: boolean; leader: string } }).verdict).toMatchObject({ stop: true, leader: 'b' });
    const done = await host.call('POST', `/pricing/test-price/${id}/conclude`, { body: {}, principal: op });
    expect(done.status).toBe(200);
    const decision = (done.body as { decision: { id: number; status: string } }).decision;
    const row = await host.runtime.database.db.selectFrom('automated_decisions').selectAll().where('id', '=', decision.id).executeTakeFirstOrThrow();
    expect(row.decision_type).toBe('price_change');
    expect(row).toMatchObject({ scope: 'price-test', baseline_price: expect.any(Number), proposed_by: 'test operate' });
    expect(Math.abs(Number(row.proposed_price) / Number(row.baseline_price) - 1)).toBeLessThanOrEqual(0.2 + 1e-9);
  });
});

describe('peak and off-peak prices, where the business config allows them', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startTestHost({
      plugins: [{ plugin: pricingPlugin, config: { peakPricing: { weekdays: ['Friday', 'Saturday'] } } }],
      simulate: { items: 600, days: 420 },
    });
  });
  afterAll(() => host.close());

  type Tier = { currentPrice: number; recommendedPrice: number; direction: string; expectedChangePerPeriod: number };
  type Peak = { weekdays: string[]; peak: Tier; offPeak: Tier; expectedChangePerPeriod: number; gainRange80: number[]; confidence: number; why: string };

  it('each priced class gets a peak and an off-peak price within the cap, and the propose job records both in one decision', async () => {
    const res = await host.call('GET', '/pricing/recommendations?limit=500');
    const recs = (res.body as { recommendations: { rentalClass: string; currentPrice: number; recommendedPrice: number | null; peak?: Peak }[] }).recommendations;
    const priced = recs.filter((r) => r.recommendedPrice !== null);
    expect(priced.length).toBeGreaterThan(10);
    const moved: { rentalClass: string; peak: Peak }[] = [];
    for (const r of priced) {
      const t = r.peak!;
      expect(t.weekdays).toEqual(['Friday', 'Saturday']);
      for (const tier of [t.peak, t.offPeak]) {
        expect(tier.currentPrice).toBe(r.currentPrice);
        expect(Math.abs(tier.recommendedPrice / r.currentPrice - 1)).toBeLessThanOrEqual(0.2 + 1e-9);
        expect(tier.direction).toBe(tier.recommendedPrice > tier.currentPrice ? 'raise' : tier.recommendedPrice < tier.currentPrice ? 'cut' : 'keep');
      }
      expect(t.why).toMatch(/^peak \(Friday, Saturday\): /);
      if (t.peak.direction === 'keep' && t.offPeak.direction === 'keep') {
        expect(t.confidence).toBe(0);
        expect(t.expectedChangePerPeriod).toBe(0);
      } else {
        // Each tier's move cleared the bar on its own days, so together they gain in expectation.
        expect(t.expectedChangePerPeriod).toBeGreaterThan(0);
        expect(t.expectedChangePerPeriod).toBeCloseTo(t.peak.expectedChangePerPeriod + t.offPeak.expectedChangePerPeriod, 1);
        moved.push({ rentalClass: r.rentalClass, peak: t });
      }
    }
    expect(moved.length).toBeGreaterThan(0);
    expect(await host.runtime.database.db.selectFrom('automated_decisions').selectAll().execute()).toEqual([]);
    await host.runJob('pricing.propose');
    const rows = await host.runtime.database.db.selectFrom('automated_decisions').selectAll().where('decision_type', '=', 'price_change').execute();
    expect(rows.length).toBe(moved.length);
    for (const m of moved) {
      const row = rows.find((r) => r.target_id === m.rentalClass)!;
      const action = typeof row.proposed_action === 'string' ? JSON.parse(row.proposed_action) : row.proposed_action;
      expect(action).toMatchObject({ price: m.peak.offPeak.recommendedPrice, peakPrice: m.peak.peak.recommendedPrice, peakWeekdays: ['Friday', 'Saturday'] });
    }
  });

  it('refuses a config that names a day that is not a weekday', async () => {
    await expect(startTestHost({ plugins: [{ plugin: pricingPlugin, config: { peakPricing: { weekdays: ['Caturday'] } } }], simulate: false })).rejects.toThrow(/peakPricing/);
  });
});
