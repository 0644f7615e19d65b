import type { PortableMigration, PortableMigrations } from '@rfid3/core';
import { createIfMissing } from '@rfid3/core';

/** The pricing plugin's own tables: price tests and competitor prices. */
const pricingTables: PortableMigration = {
  async up(db, ctx) {
    const t = ctx.types;
    await createIfMissing(db, ctx, 'pricing_tests', (tb) =>
      tb
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('rental_class', 'varchar(255)', (c) => c.notNull())
        .addColumn('variants', t.json, (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('winner', 'varchar(64)')
        .addColumn('decision_id', 'integer')
        .addColumn('created_by', 'varchar(255)')
        .addColumn('created_at', t.dateTime, (c) => c.notNull())
        .addColumn('updated_at', t.dateTime, (c) => c.notNull()),
    );
    await createIfMissing(
      db,
      ctx,
      'pricing_competitor_prices',
      (tb) =>
        tb
          .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          .addColumn('rental_class', 'varchar(255)', (c) => c.notNull())
          .addColumn('competitor', 'varchar(255)', (c) => c.notNull())
          .addColumn('price', t.double, (c) => c.notNull())
          .addColumn('observed_on', t.date, (c) => c.notNull()),
      [{ name: 'pricing_competitor_class', columns: ['rental_class'] }],
    );
  },
};

/** The pricing plugin's migrations, by name. */
export const pricingMigrations: PortableMigrations = { '0001_pricing_tables': pricingTables };
