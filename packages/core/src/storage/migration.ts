import { Migrator, sql, type ColumnDataType, type Kysely, type Migration, type MigrationResultSet, type RawBuilder } from 'kysely';

type DataTypeExpression = ColumnDataType | RawBuilder<unknown>;
import type { DatabaseHandle, DialectName } from './database.js';

/** Column types that mean the same on both dialects. */
export interface PortableTypes {
  json: DataTypeExpression;
  longText: DataTypeExpression;
  text: DataTypeExpression;
  double: DataTypeExpression;
  money: DataTypeExpression;
  dateTime: DataTypeExpression;
  date: DataTypeExpression;
  flag: DataTypeExpression;
}

/** What a portable migration is told: the dialect, the column types that mean the same on both, and which tables exist. */
export interface MigrationContext {
  dialect: DialectName;
  types: PortableTypes;
  /** Whether a table exists now (RFID3's tables are created only where missing, never altered). */
  tableExists(name: string): Promise<boolean>;
}

/** A migration that is told which dialect it runs on; the same one runs on SQLite and on MariaDB. */
export interface PortableMigration {
  /** Applies the migration. */
  up(db: Kysely<any>, ctx: MigrationContext): Promise<void>;
  /** Reverts the migration, where it can be. */
  down?(db: Kysely<any>, ctx: MigrationContext): Promise<void>;
}

/** The portable column types on a dialect. */
export function portableTypes(dialect: DialectName): PortableTypes {
  const mysql = dialect === 'mysql';
  return {
    json: mysql ? 'json' : 'text',
    longText: mysql ? sql`longtext` : 'text',
    text: 'text',
    double: 'double precision',
    money: 'decimal(12, 2)',
    dateTime: 'datetime',
    date: 'date',
    flag: 'boolean',
  };
}

/** Whether a table exists (the name compared without case). */
export async function tableExists(db: Kysely<any>, name: string): Promise<boolean> {
  const tables = await db.introspection.getTables();
  return tables.some((t) => t.name.toLowerCase() === name.toLowerCase());
}

/**
 * Runs one owner's migrations (core, or a plugin) in name order. Each owner keeps its own Kysely
 * migration table, so plugins can be added and removed without disturbing each other's history.
 */
export async function migrate(
  handle: Pick<DatabaseHandle, 'db' | 'dialect'>,
  owner: string,
  migrations: Record<string, PortableMigration>,
): Promise<MigrationResultSet> {
  const safeOwner = owner.replace(/[^a-z0-9]/gi, '_').toLowerCase();
  // The context must query through the migration's own connection: on SQLite the migrator holds the
  // only connection in a transaction, and asking through the outer instance would wait forever.
  const ctxFor = (db: Kysely<any>): MigrationContext => ({
    dialect: handle.dialect,
    types: portableTypes(handle.dialect),
    tableExists: (name) => tableExists(db, name),
  });
  const wrapped: Record<string, Migration> = {};
  for (const [name, m] of Object.entries(migrations)) {
    wrapped[name] = {
      up: (db) => m.up(db, ctxFor(db)),
      ...(m.down ? { down: (db: Kysely<any>) => m.down!(db, ctxFor(db)) } : {}),
    };
  }
  const migrator = new Migrator({
    db: handle.db,
    provider: { getMigrations: async () => wrapped },
    migrationTableName: `rfid3_migrations_${safeOwner}`,
    migrationLockTableName: `rfid3_migrations_${safeOwner}_lock`,
  });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    const reason = result.error instanceof Error ? result.error.message : String(result.error);
    throw new Error(`migration ${owner}${failed ? `/${failed}` : ''} failed: ${reason}`);
  }
  return result;
}
