import { startTestHost, type TestHost } from '@rfid3/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mineRules, packPlugin } from '../src/index.js';

describe('pack endpoints on a simulated business', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startTestHost({ plugins: [packPlugin], simulate: { items: 600, days: 420, packComponents: true } });
  });
  afterAll(() => host.close());

  it('performance-analysis: pack utilisation in [0, 1] and co-rental rules that match a direct mining of the contracts', async () => {
    const res = await host.call('GET', '/packs/performance-analysis?rules=500');
    const body = res.body as {
      packs: { rentalClass: string; utilisation: number; units: number }[];
      coRental: { baskets: number; rules: { antecedent: string[]; consequent: string[]; lift: number }[] };
      window: { from: string; to: string };
    };
    expect(body.packs.length).toBeGreaterThan(0);
    for (const p of body.packs) {
      expect(p.utilisation).toBeGreaterThanOrEqual(0);
      expect(p.utilisation).toBeLessThanOrEqual(1);
    }
    // The same baskets mined directly give the same rules.
    const lines = await host.runtime.database.db
      .selectFrom('pos_transaction_items as i')
      .innerJoin('pos_transactions as t', 't.contract_no', 'i.contract_no')
      .select(['i.contract_no as c', 'i.item_num as k'])
      .where('t.contract_date', '>=', `${body.window.from} 00:00:00`)
      .where('t.contract_date', '<=', `${body.window.to} 23:59:59`)
      .execute();
    const baskets = new Map<string, string[]>();
    for (const l of lines) baskets.set(l.c, [...(baskets.get(l.c) ?? []), l.k]);
    expect(body.coRental.baskets).toBe(baskets.size);
    const direct = mineRules([...baskets.values()], { minSupport: 0.002, minConfidence: 0.1 }).rules;
    expect(direct.length).toBeGreaterThan(0);
    expect(body.coRental.rules.length).toBe(Math.min(500, direct.length));
    expect(body.coRental.rules[0]?.lift).toBeCloseTo(direct[0]?.lift ?? 0, 3);
  });

  it("finds each pack's single components and counts the packs burst to serve them, as the simulator burst them", async () => {
    const truth = host.simulation!.truth.packs!;
    expect(truth.length).toBeGreaterThan(0);
    const res = await host.call('GET', '/packs/performance-analysis');
    const packs = (res.body as { packs: { rentalClass: string; bursts: number; components: { rentalClass: string; utilisation: number }[] }[] }).packs;
    expect(packs.map((p) => p.rentalClass).sort()).toEqual(truth.map((t) => t.pack).sort());
    for (const t of truth) {
      const p = packs.find((x) => x.rentalClass === t.pack)!;
      expect(p.components.map((c) => c.rentalClass)).toEqual([t.component]);
      // Distinct pack tags burst in the last year: at most the simulator's bursts over all days.
      expect(p.bursts).toBeLessThanOrEqual(t.bursts);
    }
    const burstTruth = truth.reduce((a, t) => a + t.bursts, 0);
    expect(burstTruth).toBeGreaterThan(0);
    expect(packs.reduce((a, p) => a + p.bursts, 0)).toBeGreaterThan(0);
  });

  it('a read records nothing; the propose job records each recommendation once', async () => {
    const count = async () =>
      (await host.runtime.database.db.selectFrom('automated_decisions').selectAll().where('decision_type', 'in', ['pack_create', 'pack_dissolve']).execute()).length;
    const read = (await host.call('GET', '/packs/recommendations')).body as { create: { decision: unknown }[] };
    expect(await count()).toBe(0);
    expect(read.create.every((c) => c.decision === null)).toBe(true);
    await host.runJob('pack.propose');
    const res = await host.call('GET', '/packs/recommendations');
    const body = res.body as { create: { components: string[]; lift: number; decision: { id: number } }[]; dissolve: { pack: string; decision: { id: number } }[] };
    expect(body.create.length).toBeGreaterThan(0);
    for (const c of body.create) expect(c.lift).toBeGreaterThanOrEqual(1.5);
    for (const x of [...body.create, ...body.dissolve]) expect(x.decision).not.toBeNull();
    const n = body.create.length + body.dissolve.length;
    expect(await count()).toBe(n);
    await host.runJob('pack.propose');
    expect(await count()).toBe(n);
  });

  it('create-pack and dissolve-pack need the approve role, name bad fields, and record the approver', async () => {
    const classes = await host.runtime.inventory.rentalClasses();
    const [a, b] = [classes[0]!.rentalClass, classes[1]!.rentalClass];
    await expect(host.call('POST', '/packs/create-pack', { body: { name: 'x', components: [a, b] }, principal: host.principals.operate })).rejects.toMatchObject({ status: 403 });
    await expect(host.call('POST', '/packs/create-pack', { body: { name: 'x', components: [a, 'nope'] }, principal: host.principals.approve })).rejects.toMatchObject({
      status: 400,
      errors: [{ field: 'body.components.1' }],
    });
    await expect(host.call('POST', '/packs/create-pack', { body: { name: 'x', components: [a] }, principal: host.principals.approve })).rejects.toMatchObject({
      status: 400,
      errors: [{ field: 'body.components' }],
    });
    const created = await host.call('POST', '/packs/create-pack', { body: { name: 'Table set', components: [b, a] }, principal: host.principals.approve });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ decision: { status: 'approved', decidedBy: 'test approve', action: { create: [a, b].sort() } } });
    const pack = ((await host.call('GET', '/packs/performance-analysis')).body as { packs: { rentalClass: string }[] }).packs[0]!.rentalClass;
    const dissolved = await host.call('DELETE', `/packs/dissolve-pack/${pack}`, { principal: host.principals.approve });
    expect(dissolved.body).toMatchObject({ decision: { status: 'approved', decidedBy: 'test approve', action: { dissolve: pack } } });
    await expect(host.call('DELETE', `/packs/dissolve-pack/${a}`, { principal: host.principals.approve })).rejects.toMatchObject({ status: 404 });
  });
});
