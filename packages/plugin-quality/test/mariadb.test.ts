import { externalServices, startTestHost, type ExternalServices, type TestHost } from '@rfid3/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadItemGrades, qualityPlugin } from '../src/index.js';

const services: ExternalServices = await externalServices();

describe.skipIf(!services.mysqlUrl)('quality plugin on MariaDB (MYSQL_URL)', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startTestHost({ plugins: [qualityPlugin], config: { databaseUrl: services.mysqlUrl! }, simulate: { items: 300, days: 300 } });
  });
  afterAll(async () => {
    await host?.close();
    await services.cleanup();
  });

  it('stores an inspection in its own table and the item’s grade follows it', async () => {
    const items = await loadItemGrades({ database: host.runtime.database, inventory: host.runtime.inventory });
    const item = items.find((i) => i.grade >= 0 && i.grade <= 3 && i.status !== 'Sold')!;
    expect(item.observations.length).toBeGreaterThan(0);
    const res = await host.call('POST', '/quality/inspection-result', {
      principal: host.principals.ingest,
      body: { items: [{ item_id: item.tagId, grade: 'c', inspected_at: '2026-06-01T08:00:00' }] },
    });
    expect(res.body).toEqual({ recorded: 1 });
    const d = (await host.call('GET', `/quality/degradation/${item.tagId}`)).body as { grade: string; lastObservation: { at: string; kind: string } };
    expect(d.grade).toBe('C');
    expect(d.lastObservation).toEqual({ at: '2026-06-01 08:00:00', kind: 'inspection', grade: 7 });
  });
});
