import { externalServices, startTestHost, type ExternalServices, type TestHost } from '@rfid3/core/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pricingPlugin } from '../src/index.js';

const services: ExternalServices = await externalServices();

describe.skipIf(!services.mysqlUrl)('pricing plugin on MariaDB (MYSQL_URL)', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startTestHost({ plugins: [pricingPlugin], config: { databaseUrl: services.mysqlUrl! }, simulate: { items: 600, days: 420 } });
  });
  afterAll(async () => {
    await host?.close();
    await services.cleanup();
  });

  it('migrates its tables, imports competitor prices, runs a price test to its conclusion and reads recommendations', async () => {
    const { db } = host.runtime.database;
    const tables = await sql<{ t: string }>`select table_name as t from information_schema.tables where table_schema = database() and table_name like 'pricing_%'`.execute(db);
    expect(tables.rows.map((r) => r.t).sort()).toEqual(['pricing_competitor_prices', 'pricing_tests']);

    const op = host.principals.operate;
    const cls = String((await db.selectFrom('pos_equipment').select('item_num').where('rate_1', '>', 5).orderBy('item_num').executeTakeFirstOrThrow()).item_num);
    const imported = await host.call('POST', '/pricing/competitor-prices', {
      principal: host.principals.ingest,
      body: {
        rows: [
          { rental_class: cls, competitor: 'Acme', price: 9.5, observed_on: '2026-05-01' },
          { rental_class: cls, competitor: 'Acme', price: 0, observed_on: '2026-05-01' },
        ],
      },
    });
    expect(imported.body).toMatchObject({ imported: 1, rejected: 1, errors: [{ field: 'body.rows.1.price' }] });
    const stored = await db
      .selectFrom('pricing_competitor_prices' as never)
      .selectAll()
      .execute();
    expect(stored).toHaveLength(1);
    expect(Number((stored[0] as { price: number }).price)).toBe(9.5);

    const created = await host.call('POST', '/pricing/test-price', {
      principal: op,
      body: {
        rental_class: cls,
        variants: [
          { name: 'a', price: 10, allocation: 0.5 },
          { name: 'b', price: 12, allocation: 0.5 },
        ],
      },
    });
    expect(created.status).toBe(201);
    const id = (created.body as { id: number }).id;
    const early = await host.call('POST', `/pricing/test-price/${id}/outcomes`, {
      principal: host.principals.ingest,
      body: {
        outcomes: [
          { variant: 'a', exposures: 150, conversions: 60 },
          { variant: 'b', exposures: 150, conversions: 60 },
        ],
      },
    });
    expect((early.body as { verdict: { stop: boolean } }).verdict.stop).toBe(false);
    await expect(host.call('POST', `/pricing/test-price/${id}/conclude`, { principal: op, body: {} })).rejects.toMatchObject({ status: 409 });
    // The JSON column keeps adding up across calls.
    const more = await host.call('POST', `/pricing/test-price/${id}/outcomes`, {
      principal: host.principals.ingest,
      body: {
        outcomes: [
          { variant: 'a', exposures: 2000, conversions: 800 },
          { variant: 'b', exposures: 2000, conversions: 800 },
        ],
      },
    });
    const body = more.body as { variants: { name: string; exposures: number }[]; verdict: { stop: boolean; leader: string } };
    expect(body.variants.map((v) => v.exposures)).toEqual([2150, 2150]);
    expect(body.verdict).toMatchObject({ stop: true, leader: 'b' });
    const done = await host.call('POST', `/pricing/test-price/${id}/conclude`, { principal: op, body: {} });
    expect(done.body).toMatchObject({ status: 'concluded', winner: 'b' });
    const row = await db
      .selectFrom('pricing_tests' as never)
      .selectAll()
      .where('id' as never, '=', id as never)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'concluded', winner: 'b', decision_id: (done.body as { decision: { id: number } }).decision.id });
    await expect(
      host.call('POST', `/pricing/test-price/${id}/outcomes`, { principal: host.principals.ingest, body: { outcomes: [{ variant: 'a', exposures: 1, conversions: 0 }] } }),
    ).rejects.toMatchObject({ status: 409 });

    const recs = async () =>
      (
        (await host.call('GET', '/pricing/recommendations?limit=500')).body as {
          recommendations: { rentalClass: string; recommendedPrice: number | null; currentPrice: number; decision: { id: number } | null }[];
        }
      ).recommendations;
    const count = async () => (await db.selectFrom('automated_decisions').selectAll().where('model_version', '=', 'pricing.capacity@1').execute()).length;
    const first = await recs();
    expect(await count()).toBe(0);
    const changed = first.filter((r) => r.recommendedPrice !== null && r.recommendedPrice !== r.currentPrice);
    expect(changed.length).toBeGreaterThan(0);
    await host.runJob('pricing.propose');
    expect(await count()).toBe(changed.length);
    await recs();
    await host.runJob('pricing.propose');
    expect(await count()).toBe(changed.length);
    const tables2 = (await host.call('GET', '/pricing/elasticity-analysis?category=tables')).body as { categories: { group: string }[] };
    expect(tables2.categories.map((c) => c.group)).toEqual(['Tables and Chairs']);
  });
});
