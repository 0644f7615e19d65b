import { coreMigrations, createDatabase, migrate, type DatabaseHandle } from '@rfid3/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysePacks } from '../src/index.js';

const SETTINGS = { windowDays: 100, minSupport: 0.01, minConfidence: 0.1, minLift: 1.5, handlingSavingUsd: 2, burstCostUsd: 5, lowUtilisation: 0.1 };
const AS_OF = '2026-04-10'; // the window is 2026-01-01 … 2026-04-10 (100 days)

/**
 * A pack (4 tagged "(10 PACK)" units), its component class (20 single units, one of them sold), contract
 * lines of both, and burst scans inside and outside the window: every figure can be worked out by hand.
 */
describe('pack performance against its components, by hand', () => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = createDatabase('sqlite::memory:');
    await migrate(database, 'core', coreMigrations);
    const item = (tag: string, cls: string, name: string, bin: string | null) => ({
      tag_id: tag,
      rental_class_num: cls,
      common_name: name,
      bin_location: bin,
      status: 'Ready to Rent',
    });
    await database.db
      .insertInto('id_item_master')
      .values([
        ...[1, 2, 3, 4].map((i) => item(`P${i}`, '7001', 'FORK, DINNER (10 PACK)', 'pack')),
        ...Array.from({ length: 20 }, (_, i) => item(`C${i}`, '7002', 'FORK, DINNER', `NR${i}`)),
        item('C-sold', '7002', 'FORK, DINNER', 'sold'),
      ] as never)
      .execute();
    const contract = (no: string, date: string) => ({ contract_no: no, store_no: '001', status: 'CLOSED', contract_date: `${date} 09:00:00` });
    await database.db
      .insertInto('pos_transactions')
      .values([contract('K1', '2026-02-01'), contract('K2', '2026-03-01'), contract('K-old', '2025-06-01')] as never)
      .execute();
    const line = (no: string, cls: string, qty: number, price: number, due: string, n: number) => ({
      contract_no: no,
      item_num: cls,
      qty,
      price,
      due_date: `${due} 17:00:00`,
      line_number: n,
    });
    await database.db
      .insertInto('pos_transaction_items')
      .values([
        line('K1', '7001', 2, 30, '2026-02-11', 1), // 2 packs × 10 days
        line('K1', '7002', 5, 3, '2026-02-05', 2), // 5 forks × 4 days
        line('K2', '7002', 10, 3, '2026-03-03', 1), // 10 forks × 2 days
        line('K-old', '7001', 4, 30, '2025-06-20', 1), // before the window
      ] as never)
      .execute();
    const burst = (tag: string, at: string) => ({
      tag_id: tag,
      rental_class_num: '7001',
      common_name: 'FORK, DINNER (10 PACK)',
      scan_type: 'Touch Scan',
      scan_date: `${at} 10:00:00`,
      bin_location: 'burst',
    });
    await database.db
      .insertInto('id_transactions')
      .values([burst('P1', '2026-02-20'), burst('P1', '2026-03-20'), burst('P2', '2026-03-21'), burst('P3', '2025-12-01')] as never)
      .execute();
  });
  afterAll(() => database.close());

  it('utilisation is unit-days on rent over units × days, with the component beside its pack', async () => {
    const a = await analysePacks(database, AS_OF, SETTINGS);
    expect(a.from).toBe('2026-01-01');
    expect(a.packs).toHaveLength(1);
    const pack = a.packs[0]!;
    expect(pack).toMatchObject({ rentalClass: '7001', units: 4, contracts: 1 });
    expect(pack.utilisation).toBeCloseTo((2 * 10) / (4 * 100), 9);
    expect(pack.revenue).toBeCloseTo(2 * 30 * 10, 9);
    expect(pack.components).toHaveLength(1);
    const fork = pack.components[0]!;
    // The sold fork is not owned any more: 20 units.
    expect(fork).toMatchObject({ rentalClass: '7002', units: 20, contracts: 2 });
    expect(fork.utilisation).toBeCloseTo((5 * 4 + 10 * 2) / (20 * 100), 9);
    expect(fork.revenue).toBeCloseTo(5 * 3 * 4 + 10 * 3 * 2, 9);
  });

  it('counts the distinct pack tags burst inside the window', async () => {
    const pack = (await analysePacks(database, AS_OF, SETTINGS)).packs[0]!;
    // P1 twice and P2 once in the window; P3 before it.
    expect(pack.bursts).toBe(2);
    expect(pack.burstsPerUnit).toBeCloseTo(0.5, 9);
  });
});
