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

  it('answers every level, store, class, category and range as a read of the scans would, and sees a new scan at once', async () => {
    const { db } = host.runtime.database;
    const inventory = new InventoryData(host.runtime.database);
    // The plain count: distinct tags per class, store and day, read straight from the scans.
    const plain = async (where: { from?: string; to?: string; store?: string }) =>
      (
        await db
          .selectFrom('id_transactions as t')
          .leftJoin('id_item_master as i', 'i.tag_id', 't.tag_id')
          .leftJoin('rental_class_mappings as m', 'm.rental_class_id', 't.rental_class_num')
          .select([sql<string>`coalesce(m.category, 'Other')`.as('category'), sql<string>`date(t.scan_date)`.as('day'), sql<number>`count(distinct t.tag_id)`.as('n')])
          .where('t.scan_type', 'in', [...OUTBOUND_SCAN_TYPES])
          .where('t.rental_class_num', 'is not', null)
          .$if(where.from !== undefined, (q) => q.where('t.scan_date', '>=', `${where.from} 00:00:00`))
          .$if(where.to !== undefined, (q) => q.where('t.scan_date', '<=', `${where.to} 23:59:59`))
          .$if(where.store !== undefined, (q) => q.where('i.home_store', '=', where.store!))
          .groupBy([sql`1`, sql`2`])
          .execute()
      )
        .map((r) => `${String(r.day).slice(0, 10)} ${r.category} ${Number(r.n)}`)
        .sort();
    const { start, end } = host.simulation!.truth;
    const from = new Date(Date.parse(`${start}T00:00:00Z`) + 20 * 86_400_000).toISOString().slice(0, 10);
    const to = new Date(Date.parse(`${end}T00:00:00Z`) - 20 * 86_400_000).toISOString().slice(0, 10);
    const got = (rows: { day: string; key: string; units: number }[]) => rows.map((r) => `${r.day} ${r.key} ${r.units}`).sort();
    expect(got(await inventory.dailyUnitsOut({ level: 'category', from, to }))).toEqual(await plain({ from, to }));
    expect(got(await inventory.dailyUnitsOut({ level: 'category', store: '728' }))).toEqual(await plain({ store: '728' }));
    const rows = await inventory.dailyUnitsOut({ level: 'rental_class', byStore: true, from, to });
    expect(rows.every((r) => r.day >= from && r.day <= to && r.store !== null)).toBe(true);
    expect(rows.map((r) => r.day)).toEqual(rows.map((r) => r.day).sort());

    // A tag sent out on a day with no scan of its class: the next answer counts it, from the same reader.
    const item = await db.selectFrom('id_item_master').select(['tag_id', 'rental_class_num', 'common_name']).where('rental_class_num', 'is not', null).executeTakeFirstOrThrow();
    const day = '2099-01-05';
    const before = await inventory.dailyUnitsOut({ level: 'rental_class', rentalClass: item.rental_class_num!, from: day, to: day });
    expect(before).toEqual([]);
    await db
      .insertInto('id_transactions')
      .values({ tag_id: item.tag_id, scan_type: 'Rental', scan_date: `${day} 10:00:00`, rental_class_num: item.rental_class_num, common_name: item.common_name ?? '' })
      .execute();
    const after = await inventory.dailyUnitsOut({ level: 'rental_class', rentalClass: item.rental_class_num!, from: day, to: day });
    expect(after.map((r) => [r.day, r.units])).toEqual([[day, 1]]);
    await db.deleteFrom('id_transactions').where('scan_date', '=', `${day} 10:00:00`).execute();
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
