import type { Kysely } from 'kysely';
import type { MigrationContext } from '@rfid3/core';
import { portableTypes } from '@rfid3/core';

/** Inspection results posted to the plugin: grade observations between returns (RFID3's tables are never written). */
export const qualityMigrations = {
  '001_quality_inspections': {
    async up(db: Kysely<any>, ctx?: MigrationContext) {
      const t = ctx?.types ?? portableTypes('sqlite');
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
