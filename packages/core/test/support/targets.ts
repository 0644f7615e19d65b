import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe } from 'vitest';
import { coreMigrations, createDatabase, migrate, type DatabaseHandle } from '../../src/index.js';
import type { ExternalServices } from '../../src/testing/index.js';

/** A database a suite runs on; `url` is null when the server is not configured (the suite shows as skipped). */
export interface DatabaseTarget {
  name: 'sqlite' | 'mariadb';
  url: string | null;
}

export function databaseTargets(services: ExternalServices): DatabaseTarget[] {
  return [
    { name: 'sqlite', url: 'sqlite::memory:' },
    { name: 'mariadb', url: services.mysqlUrl },
  ];
}

/**
 * `describe.each` over targets, with `describe.skip` for a target whose server is absent so that the
 * run reports it as skipped rather than silently passing.
 */
export function describeEach<T extends { name: string; url: string | null }>(targets: T[], title: string, body: (target: T & { url: string }) => void): void {
  for (const target of targets) {
    (target.url ? describe : describe.skip)(`${title} [${target.name}]`, () => body(target as T & { url: string }));
  }
}

/** Opens the target with no tables in it: a new in-memory SQLite, or the scratch MariaDB emptied. */
export async function openEmptyDatabase(url: string): Promise<DatabaseHandle> {
  const handle = createDatabase(url, { poolSize: 4 });
  if (handle.dialect === 'mysql') await dropAllTables(handle);
  return handle;
}

export async function dropAllTables(handle: DatabaseHandle): Promise<void> {
  const tables = await handle.db.introspection.getTables({ withInternalKyselyTables: true });
  for (const t of tables) await sql`drop table if exists ${sql.id(t.name)}`.execute(handle.db);
}

export async function tableNames(handle: DatabaseHandle): Promise<string[]> {
  const tables = await handle.db.introspection.getTables({ withInternalKyselyTables: true });
  return tables.map((t) => t.name).sort();
}

/** Column names of a table in their declared order. */
export async function columnsOf(handle: DatabaseHandle, table: string): Promise<string[]> {
  const tables = await handle.db.introspection.getTables();
  const t = tables.find((x) => x.name === table);
  if (!t) throw new Error(`no table ${table}`);
  return t.columns.map((c) => c.name);
}

/** Index names on a table (primary keys and SQLite's automatic indexes left out). */
export async function indexesOf(handle: DatabaseHandle, table: string): Promise<string[]> {
  if (handle.dialect === 'sqlite') {
    const r = await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = ${table} and name not like 'sqlite_autoindex_%'`.execute(handle.db);
    return r.rows.map((x) => x.name).sort();
  }
  const r = await sql<{
    name: string;
  }>`select distinct index_name as name from information_schema.statistics where table_schema = database() and table_name = ${table} and index_name <> 'PRIMARY'`.execute(
    handle.db,
  );
  return r.rows.map((x) => x.name).sort();
}

export async function countRows(handle: DatabaseHandle, table: string): Promise<number> {
  const r = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(handle.db);
  return Number(r.rows[0]!.n);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Empties tables between tests (much faster on MariaDB than dropping and migrating again). */
export async function emptyTables(handle: DatabaseHandle, tables: string[]): Promise<void> {
  for (const t of tables) await sql`delete from ${sql.table(t)}`.execute(handle.db);
}

/**
 * Inside a describe: an empty database with core's tables for the whole block, the given tables emptied
 * before each test (hooks registered first, so they run before the block's own), closed afterwards.
 */
export function useMigratedDatabase(url: string, tablesToEmpty: string[]): { readonly handle: DatabaseHandle } {
  let handle: DatabaseHandle | undefined;
  beforeAll(async () => {
    handle = await openEmptyDatabase(url);
    await migrate(handle, 'core', coreMigrations);
  });
  beforeEach(async () => {
    await emptyTables(handle!, tablesToEmpty);
  });
  afterAll(async () => {
    await handle?.close();
  });
  return {
    get handle() {
      if (!handle) throw new Error('the database is opened in beforeAll; use it inside hooks and tests');
      return handle;
    },
  };
}
