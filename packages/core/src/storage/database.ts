import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { CompiledQuery, Kysely, MysqlDialect, SqliteDialect, type Insertable } from 'kysely';
import { importPeer } from '../optional-peers.js';
import { Availability } from './availability.js';
import { guardedPool, lazyMysqlPool, MysqlProbe } from './mysql-guard.js';
import { ReplicaLag, routedPool, startLagProbe } from './read-replicas.js';
import type { RFID3Database } from './schema.js';

/** The SQL dialect of a database: SQLite or MariaDB/MySQL. */
export type DialectName = 'sqlite' | 'mysql';

/** The database service: a typed Kysely instance plus the facts that differ per dialect. */
export interface DatabaseHandle {
  db: Kysely<RFID3Database>;
  dialect: DialectName;
  /** The URL with any password hidden, for logs and health answers. */
  displayUrl: string;
  /** Largest number of bound values one statement may carry on this dialect (with headroom). */
  maxBoundValues: number;
  /**
   * Whether the database answers (MariaDB/MySQL: probed every 2 s, every second while down). Absent on
   * an embedded SQLite file, which cannot be away.
   */
  availability?: Availability;
  /**
   * MariaDB with read replicas (`readUrls`): each replica's address and whether it answers. Reads fall back to
   * the primary while one is away or further behind than `replicaMaxLagSeconds`; `availability` above is the primary's.
   */
  readReplicas?: { displayUrl: string; availability: Availability; lag: ReplicaLag }[];
  /** With read replicas: the same database with every statement on the primary (see `primaryOnly`). */
  primaryDb?: Kysely<RFID3Database>;
  /**
   * SQLite only: an online copy of the whole database into `destination` (SQLite's backup API: consistent,
   * while the host keeps serving and writing). MariaDB is backed up with `mariadb-dump`.
   */
  backup?(destination: string): Promise<void>;
  /** Closes the database's connections. */
  close(): Promise<void>;
}

/** How SQLite makes a commit durable under WAL: FULL survives power loss; NORMAL may lose the last commits. */
export type SqliteSynchronous = 'FULL' | 'NORMAL';

/** Options of `createDatabase`: pool size, SQLite durability, MariaDB timeouts and read replicas. */
export interface DatabaseOptions {
  poolSize?: number;
  /** Default FULL: an acknowledged event or decision must survive a power cut on the Pi. */
  sqliteSynchronous?: SqliteSynchronous;
  /**
   * MariaDB: longest a query may wait for the server before it counts as unavailable (default 30 s, or
   * `?queryTimeout=ms` in the URL); connecting gives up after `?connectTimeout=ms` (default 5 s).
   */
  queryTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** MariaDB: how often the availability probe runs while the database answers (default 2 s; 1 s while down). */
  probeIntervalMs?: number;
  /**
   * MariaDB read replicas (`mysql://…` each): plain SELECTs run inside `withReplicaReads` (the host's GET
   * requests) go to them; everything else, and every read while they are away, goes to the primary.
   */
  readUrls?: string[];
  /** A read replica more than this many seconds behind its primary (or whose replication is stopped) gets no reads (default 10). */
  replicaMaxLagSeconds?: number;
}

/** A database URL as `createDatabase` reads it: the dialect and what to open. */
export interface ParsedDatabaseUrl {
  dialect: DialectName;
  /** SQLite: `:memory:` or a file path. MySQL: the URL itself. */
  target: string;
}

/** Reads a database URL (`sqlite:<file>`, `sqlite::memory:`, a bare path, `mysql://` or `mariadb://`); throws on another scheme. */
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

/** The URL with its password replaced by `***`, for logs and errors. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):([^@]*)@/, '//$1:***@');
}

/**
 * Opens the database a URL names. The driver is an optional peer dependency loaded on first use, so this
 * returns at once and a missing driver (`better-sqlite3` for SQLite, `mysql2` for MariaDB/MySQL) surfaces as a
 * `MissingPeerError` naming the package from the first query (`createRuntime` makes one: it migrates).
 */
/** Opens a database by URL (SQLite by default, MariaDB/MySQL by `mysql://`), with its availability tracking. */
export function createDatabase(url: string, options: DatabaseOptions = {}): DatabaseHandle {
  const parsed = parseDatabaseUrl(url);
  const readUrls = (options.readUrls ?? []).map((u) => u.trim()).filter(Boolean);
  if (readUrls.length > 0 && parsed.dialect !== 'mysql') throw new Error('read replicas need a MariaDB/MySQL primary (DATABASE_URL mysql://…)');
  if (parsed.dialect === 'mysql') {
    const replicaTargets = readUrls.map((u) => {
      const r = parseDatabaseUrl(u);
      if (r.dialect !== 'mysql') throw new Error(`read replica '${redactUrl(u)}' is not a mysql:// URL`);
      return { target: r.target, displayUrl: redactUrl(u) };
    });
    const primary = openMysql(parsed.target, options, 'database');
    const replicas = replicaTargets.map((r) => {
      const opened = openMysql(r.target, options, 'database replica');
      const lag = new ReplicaLag(options.replicaMaxLagSeconds ?? 10);
      return { ...opened, displayUrl: r.displayUrl, lag, lagProbe: startLagProbe(opened.pool, opened.availability, lag, options.probeIntervalMs ?? 2_000) };
    });
    const primaryDb = new Kysely<RFID3Database>({ dialect: new MysqlDialect({ pool: primary.pool }) });
    const db = replicas.length > 0 ? new Kysely<RFID3Database>({ dialect: new MysqlDialect({ pool: routedPool(primary.pool, replicas) }) }) : primaryDb;
    return {
      db,
      dialect: 'mysql',
      displayUrl: redactUrl(url),
      maxBoundValues: 60_000,
      availability: primary.availability,
      ...(replicas.length > 0 ? { primaryDb, readReplicas: replicas.map((r) => ({ displayUrl: r.displayUrl, availability: r.availability, lag: r.lag })) } : {}),
      close: async () => {
        for (const p of [primary, ...replicas]) p.probe.stop();
        for (const r of replicas) r.lagProbe.stop();
        // The routed pool ends the primary's and the replicas' pools; `primaryDb` shares the primary's.
        await db.destroy();
      },
    };
  }
  if (parsed.target !== ':memory:') mkdirSync(dirname(resolve(parsed.target)), { recursive: true });
  const displayUrl = parsed.target === ':memory:' ? 'sqlite::memory:' : `sqlite:${parsed.target}`;
  let opening: Promise<SqliteDatabase> | undefined;
  const open = () =>
    (opening ??= importPeer('better-sqlite3', `the database URL '${displayUrl}'`, () => import('better-sqlite3')).then(({ default: BetterSqlite3 }) => {
      const sqlite = new BetterSqlite3(parsed.target);
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma(`synchronous = ${options.sqliteSynchronous ?? 'FULL'}`);
      sqlite.pragma('busy_timeout = 5000');
      return sqlite;
    }));
  const db = new Kysely<RFID3Database>({ dialect: new SqliteDialect({ database: open }) });
  return {
    db,
    dialect: 'sqlite',
    displayUrl,
    maxBoundValues: 30_000,
    backup: async (destination) => {
      mkdirSync(dirname(resolve(destination)), { recursive: true });
      await (await open()).backup(destination);
    },
    close: () => db.destroy(),
  };
}

/** A guarded mysql2 pool with its availability probe (started). */
function openMysql(uri: string, options: DatabaseOptions, dependency: string) {
  // `queryTimeout` is ours, not mysql2's (which warns about options it does not know).
  const target = new URL(uri);
  const queryTimeoutMs = options.queryTimeoutMs ?? positiveNumber(target.searchParams.get('queryTimeout')) ?? 30_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? positiveNumber(target.searchParams.get('connectTimeout')) ?? 5_000;
  target.searchParams.delete('queryTimeout');
  target.searchParams.delete('connectTimeout');
  const settings = {
    uri: target.toString(),
    // Dates stay strings and DECIMALs numbers, so rows look the same as SQLite's.
    dateStrings: true,
    decimalNumbers: true,
    supportBigNumbers: true,
    timezone: 'Z',
    multipleStatements: false,
    connectTimeout: connectTimeoutMs,
  } as const;
  const availability = new Availability(dependency);
  const probe = new MysqlProbe(settings, availability, { intervalMs: options.probeIntervalMs ?? 2_000 });
  const pool = guardedPool(lazyMysqlPool({ ...settings, connectionLimit: options.poolSize ?? 10 }), { availability, probe, queryTimeoutMs });
  probe.start();
  return { pool, availability, probe };
}

/**
 * The same database with every statement on the primary: what the decision ledger, the model registry, API
 * keys and ingest use, so they never read a replica that has not caught up. The handle itself when there are
 * no read replicas.
 */
export function primaryOnly(handle: DatabaseHandle): DatabaseHandle {
  if (!handle.primaryDb) return handle;
  const { primaryDb, readReplicas: _replicas, ...rest } = handle;
  return { ...rest, db: primaryDb };
}

function positiveNumber(value: string | null): number | undefined {
  const n = value === null ? Number.NaN : Number(value);
  return Number.isFinite(n) && n > 0 ? n : undefined;
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
  rows: Insertable<RFID3Database[T]>[],
): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!).length || 1;
  const perChunk = Math.max(1, Math.floor(handle.maxBoundValues / columns));
  for (let i = 0; i < rows.length; i += perChunk) {
    await handle.db
      .insertInto(table)
      .values(rows.slice(i, i + perChunk))
      .execute();
  }
}

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Inserts rows given as arrays of values in `columns` order, in statements that stay under the dialect's
 * bound-value limit, each written as plain SQL with one `?` per value. For batches of thousands of rows, where
 * the query builder's walk over every row and value costs about what the statement itself does. Table and
 * column names must be plain (letters, digits, `_`).
 */
export async function insertValueRows(
  db: { executeQuery(query: CompiledQuery): Promise<unknown> },
  maxBoundValues: number,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
): Promise<void> {
  for (const name of [table, ...columns]) if (!PLAIN_NAME.test(name)) throw new Error(`insertValueRows: '${name}' is not a plain table or column name`);
  if (rows.length === 0) return;
  const head = `insert into \`${table}\` (${columns.map((c) => `\`${c}\``).join(', ')}) values `;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const perChunk = Math.max(1, Math.floor(maxBoundValues / Math.max(1, columns.length)));
  for (let i = 0; i < rows.length; i += perChunk) {
    const part = rows.slice(i, i + perChunk);
    const parameters: unknown[] = [];
    for (const row of part) {
      if (row.length !== columns.length) throw new Error(`insertValueRows: a row of ${row.length} values for ${columns.length} columns`);
      for (const value of row) parameters.push(value);
    }
    await db.executeQuery(CompiledQuery.raw(head + new Array(part.length).fill(tuple).join(', '), parameters));
  }
}
