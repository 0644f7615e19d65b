import { externalServices, startTestHost, type ExternalServices, type TestHost } from '@rfid3/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maintenancePlugin } from '../src/index.js';

const services: ExternalServices = await externalServices();

describe.skipIf(!services.mysqlUrl)('maintenance plugin on MariaDB (MYSQL_URL)', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startTestHost({ plugins: [maintenancePlugin], config: { databaseUrl: services.mysqlUrl! }, simulate: { items: 400, days: 400 } });
  });
  afterAll(async () => {
    await host?.close();
    await services.cleanup();
  });

  it('migrates its feedback table, trains on first use and reads DATETIME columns as the SQLite build does', async () => {
    const sched = (await host.call('GET', '/maintenance/schedule?days=30')).body as { orders: { itemId: string }[]; modelVersion: string };
    expect(sched.modelVersion).toBe('maintenance.failure@1');
    const tag = sched.orders[0]?.itemId ?? String((await host.runtime.database.db.selectFrom('id_item_master').select('tag_id').executeTakeFirstOrThrow()).tag_id);
    const before = (await host.call('GET', `/maintenance/probability/${tag}`)).body as { rentalsSinceService: number; dataThrough: string };
    expect(before.dataThrough).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // A repair reported after the last scan resets the rentals since service at once.
    const res = await host.call('POST', '/maintenance/feedback', {
      principal: host.principals.ingest,
      body: { items: [{ item_id: tag, outcome: 'repaired', observed_at: `${before.dataThrough}T23:00:00` }] },
    });
    expect(res.body).toMatchObject({ recorded: 1 });
    const after = (await host.call('GET', `/maintenance/probability/${tag}`)).body as { rentalsSinceService: number };
    expect(after.rentalsSinceService).toBe(0);
  });
});
