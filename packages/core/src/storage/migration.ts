import { Migrator, sql, type ColumnDataType, type Kysely, type Migration, type MigrationResultSet, type RawBuilder } from 'kysely';
import { MissingPeerError } from '../optional-peers.js';
import type { DatabaseHandle, DialectName } from './database.js';

/** A column type as `addColumn` takes it: a name Kysely knows, or raw SQL. */
export type DataTypeExpression = ColumnDataType | RawBuilder<unknown>;

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

/**
 * A migration that is told which dialect it runs on; the same one runs on SQLite and on MariaDB. Its `db`
 * knows no tables: a migration runs against the schema as it was when it was written, not as the table
 * types say today, so one that moves data declares the tables it reads as they were then
 * (`db.withTables<{ … }>()`). A plain Kysely `Migration` is one too (it ignores the context).
 */
export interface PortableMigration {
  /** Applies the migration. */
  up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void>;
  /** Reverts the migration, where it can be. */
  down?(db: Kysely<unknown>, ctx: MigrationContext): Promise<void>;
}

/** An owner's migrations by name, run in name order (what `migrate` and a plugin's `migrations` take). */
export type PortableMigrations = Record<string, PortableMigration>;

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
export async function tableExists<DB>(db: Kysely<DB>, name: string): Promise<boolean> {
  const tables = await db.introspection.getTables();
  return tables.some((t) => t.name.toLowerCase() === name.toLowerCase());
}

/**
 * Runs one owner's migrations (core, or a plugin) in name order. Each owner keeps its own Kysely
 * migration table, so plugins can be added and removed without disturbing each other's history.
 */
export async function migrate(handle: Pick<DatabaseHandle, 'db' | 'dialect'>, owner: string, migrations: PortableMigrations): Promise<MigrationResultSet> {
  const safeOwner = owner.replace(/[^a-z0-9]/gi, '_').toLowerCase();
  // The context must query through the migration's own connection: on SQLite the migrator holds the
  // only connection in a transaction, and asking through the outer instance would wait forever.
  const ctxFor = (db: Kysely<unknown>): MigrationContext => ({
    dialect: handle.dialect,
    types: portableTypes(handle.dialect),
    tableExists: (name) => tableExists(db, name),
  });
  const wrapped: Record<string, Migration> = {};
  for (const [name, m] of Object.entries(migrations)) {
    const migration: Migration = { up: (db) => m.up(db, ctxFor(db)) };
    const down = m.down?.bind(m);
    if (down) migration.down = (db) => down(db, ctxFor(db));
    wrapped[name] = migration;
  }
  const migrator = new Migrator({
    db: handle.db,
    provider: { getMigrations: async () => wrapped },
    migrationTableName: `rfid3_migrations_${safeOwner}`,
    migrationLockTableName: `rfid3_migrations_${safeOwner}_lock`,
  });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    // No driver installed is not a failed migration: the error says which package to install.
    if (result.error instanceof MissingPeerError) throw result.error;
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    const reason = result.error instanceof Error ? result.error.message : String(result.error);
    throw new Error(`migration ${owner}${failed ? `/${failed}` : ''} failed: ${reason}`);
  }
  return result;
}
