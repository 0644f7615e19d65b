import type { Kysely } from 'kysely';
import type { MigrationContext } from '@rfid3/core';
import { portableTypes } from '@rfid3/core';

/** The plugin's own table: outcomes reported by the workshop, which relabel returns for the next training. */
export const maintenanceMigrations = {
  '001_maintenance_feedback': {
    async up(db: Kysely<any>, ctx?: MigrationContext) {
      const t = ctx?.types ?? portableTypes('sqlite');
      await db.schema
        .createTable('maintenance_feedback')
        .ifNotExists()
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('tag_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('outcome', 'varchar(20)', (c) => c.notNull())
        .addColumn('observed_at', t.dateTime, (c) => c.notNull())
        .addColumn('repair_cost', t.double)
        .addColumn('notes', t.text)
        .addColumn('created_at', t.dateTime, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('maintenance_feedback_tag').on('maintenance_feedback').column('tag_id').execute();
    },
  },
};
