import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '../src/testing/index.js';

describe('GET /rental-classes', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startTestHost({ simulate: { items: 120, days: 30 } });
  }, 120_000);
  afterAll(() => host.close());

  it('lists every rental class of the item master with its name, category and units, as the inventory reads them', async () => {
    const res = await host.call('GET', '/rental-classes');
    expect(res.status).toBe(200);
    const { classes } = res.body as { classes: { rentalClass: string; commonName: string | null; category: string; units: number }[] };
    const expected = await host.runtime.inventory.rentalClasses();
    expect(expected.length).toBeGreaterThan(1);
    expect(classes).toEqual(expected);
    // Every simulated class has a name, and the units add up to the tagged items still in the fleet.
    for (const c of classes) expect(c.commonName, c.rentalClass).toMatch(/\S/);
    const items = await host.runtime.database.db
      .selectFrom('id_item_master')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('rental_class_num', 'is not', null)
      .where((eb) => eb.or([eb('bin_location', 'is', null), eb('bin_location', 'not in', ['sold', 'resale'])]))
      .executeTakeFirstOrThrow();
    expect(classes.reduce((a, c) => a + c.units, 0)).toBe(Number(items.n));
  });
});
