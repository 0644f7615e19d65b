import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, MysqlDialect, SqliteDialect } from 'kysely';
import { createPool } from 'mysql2';
import type { RFID3Database } from './schema.js';

export type DialectName = 'sqlite' | 'mysql';

/** The database service: a typed Kysely instance plus the facts that differ per dialect. */
export interface DatabaseHandle {
  db: Kysely<RFID3Database>;
  dialect: DialectName;
  /** The URL with any password hidden, for logs and health answers. */
  displayUrl: string;
  /** Largest number of bound values one statement may carry on this dialect (with headroom). */
  maxBoundValues: number;
  close(): Promise<void>;
}

export interface ParsedDatabaseUrl {
  dialect: DialectName;
  /** SQLite: `:memory:` or a file path. MySQL: the URL itself. */
  target: string;
}

export function parseDatabaseUrl(url: string): ParsedDatabaseUrl {
  const trimmed = url.trim();
  if (/^(mysql|mariadb):\/\//i.test(trimmed)) return { dialect: 'mysql', target: trimmed.replace(/^mariadb:/i, 'mysql:') };
  if (trimmed === ':memory:' || trimmed === 'sqlite::memory:' || trimmed === 'sqlite://:memory:') {
    return { dialect: 'sqlite', target: ':memory:' };
  }
  const m = /^(?:sqlite|file):(?:\/\/)?(.+)$/i.exec(trimmed);
  if (m) return { dialect: 'sqlite', target: m[1]! };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    throw new Error(`unsupported database URL scheme in '${redactUrl(trimmed)}': use sqlite:<file>, sqlite::memory: or mysql://…`);
  }
  return { dialect: 'sqlite', target: trimmed };
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):([^@]*)@/, '//$1:***@');
}

export function createDatabase(url: string, options: { poolSize?: number } = {}): DatabaseHandle {
  const parsed = parseDatabaseUrl(url);
  if (parsed.dialect === 'mysql') {
    const pool = createPool({
      uri: parsed.target,
      connectionLimit: options.poolSize ?? 10,
      // Dates stay strings and DECIMALs numbers, so rows look the same as SQLite's.
      dateStrings: true,
      decimalNumbers: true,
      supportBigNumbers: true,
      timezone: 'Z',
      multipleStatements: false,
    });
    const db = new Kysely<RFID3Database>({ dialect: new MysqlDialect({ pool }) });
    return {
      db,
      dialect: 'mysql',
      displayUrl: redactUrl(url),
      maxBoundValues: 60_000,
      close: () => db.destroy(),
    };
  }
  if (parsed.target !== ':memory:') mkdirSync(dirname(resolve(parsed.target)), { recursive: true });
  const sqlite = new BetterSqlite3(parsed.target);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<RFID3Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    db,
    dialect: 'sqlite',
    displayUrl: parsed.target === ':memory:' ? 'sqlite::memory:' : `sqlite:${parsed.target}`,
    maxBoundValues: 30_000,
    close: () => db.destroy(),
  };
}

/** JSON columns come back as text on SQLite and parsed on MariaDB; this gives the parsed value on both. */
export function parseJsonColumn<T = unknown>(value: unknown): T | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') {
    try {
      return JSON.parse(value) as T;
    } catch {
      return value as T;
    }
  }
  return value as T;
}

/** Inserts rows in statements that stay under the dialect's bound-value limit. */
export async function insertInChunks<T extends keyof RFID3Database & string>(
  handle: Pick<DatabaseHandle, 'db' | 'maxBoundValues'>,
  table: T,
  rows: Record<string, unknown>[],
): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!).length || 1;
  const perChunk = Math.max(1, Math.floor(handle.maxBoundValues / columns));
  for (let i = 0; i < rows.length; i += perChunk) {
    await handle.db
      .insertInto(table)
      .values(rows.slice(i, i + perChunk) as never)
      .execute();
  }
}
