import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InventoryData, OUTBOUND_SCAN_TYPES, denseDailySeries } from '../src/index.js';
import { startTestHost, type TestHost } from '../src/testing/index.js';

describe('InventoryData over the RFID3 tables', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startTestHost({ simulate: { items: 300, days: 90 } });
  });
  afterAll(() => host.close());

  it('counts units going out per day as distinct tags with a Rental or Delivery scan, per class, category and store', async () => {
    const { db } = host.runtime.database;
    const raw = await db
      .selectFrom('id_transactions')
      .select([sql<string>`date(scan_date)`.as('day'), sql<number>`count(distinct tag_id)`.as('n')])
      .where('scan_type', 'in', [...OUTBOUND_SCAN_TYPES])
      .groupBy(sql`date(scan_date)`)
      .execute();
    const total = await host.runtime.inventory.dailyUnitsOut({ level: 'total' });
    expect(total.map((r) => [r.day, r.units])).toEqual(raw.map((r) => [String(r.day), Number(r.n)]).sort());
    const byCategory = await host.runtime.inventory.dailyUnitsOut({ level: 'category', byStore: true });
    const sum = (rows: { units: number }[]) => rows.reduce((s, r) => s + r.units, 0);
    expect(sum(byCategory)).toBe(sum(total));
    expect(new Set(byCategory.map((r) => r.store))).toEqual(new Set(['3607', '6800', '8101', '728']));
    const dense = denseDailySeries(total, host.simulation!.truth.start, host.simulation!.truth.end);
    expect(dense[0]!.values).toHaveLength(90);
    expect(dense[0]!.values.reduce((a, b) => a + b, 0)).toBe(sum(total));
  });

  it("takes a class's category from user_rental_class_mappings where RFID3 has one, over rental_class_mappings", async () => {
    const { db } = host.runtime.database;
    const cls = host.simulation!.truth.classes.find((c) => c.category === 'Tables and Chairs')!;
    await db.schema
      .createTable('user_rental_class_mappings')
      .addColumn('rental_class_id', 'varchar(50)', (c) => c.primaryKey())
      .addColumn('category', 'varchar(100)', (c) => c.notNull())
      .addColumn('subcategory', 'varchar(100)', (c) => c.notNull())
      .addColumn('short_common_name', 'varchar(50)')
      .execute();
    await db.insertInto('user_rental_class_mappings').values({ rental_class_id: cls.rentalClass, category: 'Seating', subcategory: 'Chairs', short_common_name: null }).execute();
    // A fresh reader looks for the table again.
    const inventory = new InventoryData(host.runtime.database);
    const classes = await inventory.rentalClasses();
    expect(classes.find((c) => c.rentalClass === cls.rentalClass)?.category).toBe('Seating');
    expect(classes.filter((c) => c.category === 'Tables and Chairs').length).toBe(host.simulation!.truth.classes.filter((c) => c.category === 'Tables and Chairs').length - 1);
    const seating = await inventory.dailyUnitsOut({ level: 'category', category: 'seating' });
    const direct = await inventory.dailyUnitsOut({ level: 'rental_class', rentalClass: cls.rentalClass });
    expect(seating.map((r) => [r.day, r.units])).toEqual(direct.map((r) => [r.day, r.units]));
    expect(seating.every((r) => r.key === 'Seating')).toBe(true);
  });
});
