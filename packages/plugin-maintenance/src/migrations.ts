import type { CoreTables, DatabaseHandle, PortableMigrations } from '@rfid3/core';
import type { Generated, Insertable, Kysely } from 'kysely';

/** One outcome reported by the workshop for an item. */
export interface MaintenanceFeedbackTable {
  id: Generated<number>;
  tag_id: string;
  /** `failed`, `no_failure` or `repaired` (`FeedbackRow['outcome']`). */
  outcome: string;
  /** `YYYY-MM-DD HH:MM:SS`. */
  observed_at: string;
  repair_cost: number | null;
  notes: string | null;
  created_at: string;
}
export type NewMaintenanceFeedback = Insertable<MaintenanceFeedbackTable>;

/** The plugin's own tables (created by the migrations below); a type, not an interface, as `withTables` needs. */
export type MaintenanceTables = {
  maintenance_feedback: MaintenanceFeedbackTable;
};

/** Core's tables and the plugin's, on the host's database. */
export function maintenanceDb(database: DatabaseHandle): Kysely<CoreTables & MaintenanceTables> {
  return database.db.withTables<MaintenanceTables>();
}

/** The plugin's own table: outcomes reported by the workshop, which relabel returns for the next training. */
export const maintenanceMigrations: PortableMigrations = {
  '001_maintenance_feedback': {
    async up(db, ctx) {
      const t = ctx.types;
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
