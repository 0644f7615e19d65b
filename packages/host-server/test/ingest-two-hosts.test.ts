import { FakeClock, coreMigrations, createDatabase, migrate } from '@rfid3/core';
import { externalServices } from '@rfid3/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestScans } from '../src/ingest/scans.js';

const services = await externalServices();
afterAll(() => services.cleanup());

describe.skipIf(!services.mysqlUrl)('two hosts ingesting the same batch into one MariaDB at once (skipped without MYSQL_URL)', () => {
  it("stores each scan once: the ingest lock row makes the second host find the first one's scans (by natural key or by event id)", async () => {
    const a = createDatabase(services.mysqlUrl!);
    const b = createDatabase(services.mysqlUrl!);
    try {
      await migrate(a, 'core', coreMigrations);
      const clock = new FakeClock('2026-06-01T12:00:00Z');
      const batch = Array.from({ length: 300 }, (_, i) => ({ tag_id: `R${i}`, scan_type: 'Rental', scan_date: '2026-05-30 10:00:00', common_name: 'CHAIR' }));
      for (let round = 0; round < 4; round++) {
        // The last round carries the sender's event ids (the idempotency keys table), the others only natural keys.
        const shifted = batch.map((s, i) => ({ ...s, scan_date: `2026-05-2${6 + round} 10:00:00`, ...(round === 3 ? { event_id: `ev-${i}` } : {}) }));
        const [ra, rb] = await Promise.all([ingestScans(a, clock, shifted), ingestScans(b, clock, shifted)]);
        expect(ra.accepted + rb.accepted).toBe(300);
        expect(ra.duplicates + rb.duplicates).toBe(300);
      }
      const n = await a.db
        .selectFrom('id_transactions')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(n.n)).toBe(1200);
    } finally {
      await a.close();
      await b.close();
    }
  }, 60_000);
});
