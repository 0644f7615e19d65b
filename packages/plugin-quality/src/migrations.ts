import type { CoreTables, DatabaseHandle, JsonColumn, PortableMigrations } from '@rfid3/core';
import type { Generated, Insertable, Kysely } from 'kysely';

/** One inspection result: the grade an item had when it was looked at between returns. */
export interface QualityInspectionsTable {
  id: Generated<number>;
  tag_id: string;
  grade: string;
  /** `YYYY-MM-DD HH:MM:SS`. */
  inspected_at: string;
  /** The inspection flags (written as JSON text; read with `parseJsonColumn`), or null. */
  flags: JsonColumn | null;
  inspector: string | null;
  notes: string | null;
  created_at: string;
}
export type NewQualityInspection = Insertable<QualityInspectionsTable>;

/** The plugin's own tables (created by the migrations below); a type, not an interface, as `withTables` needs. */
export type QualityTables = {
  quality_inspections: QualityInspectionsTable;
};

/** Core's tables and the plugin's, on the host's database. */
export function qualityDb(database: DatabaseHandle): Kysely<CoreTables & QualityTables> {
  return database.db.withTables<QualityTables>();
}

/** Inspection results posted to the plugin: grade observations between returns (RFID3's tables are never written). */
export const qualityMigrations: PortableMigrations = {
  '001_quality_inspections': {
    async up(db, ctx) {
      const t = ctx.types;
      await db.schema
        .createTable('quality_inspections')
        .ifNotExists()
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('tag_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('grade', 'varchar(4)', (c) => c.notNull())
        .addColumn('inspected_at', t.dateTime, (c) => c.notNull())
        .addColumn('flags', t.json)
        .addColumn('inspector', 'varchar(100)')
        .addColumn('notes', t.text)
        .addColumn('created_at', t.dateTime, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('quality_inspections_tag').on('quality_inspections').column('tag_id').execute();
    },
  },
};
