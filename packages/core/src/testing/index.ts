import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { importPeer } from '../optional-peers.js';
import type { AnyPlugin } from '../contracts/plugin.js';
import type { Principal, Role } from '../contracts/endpoint.js';
import { ROLES } from '../contracts/endpoint.js';
import type { ServiceRef } from '../contracts/service-ref.js';
import { FakeClock } from '../time/clock.js';
import type { CoreConfigInput } from '../runtime/config.js';
import { addDays, isoDay } from '../time/dates.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import type { PluginEntry } from '../runtime/plugin-loader.js';
import { createRuntime, type Runtime } from '../runtime/runtime.js';
import { createDatabase, redactUrl } from '../storage/database.js';
import { migrate } from '../storage/migration.js';
import { coreMigrations } from '../storage/migrations/index.js';
import { simulate as runSimulation, type SimulationOptions, type SimulationResult } from '../simulator/simulate.js';

/** Options of `startTestHost`: the plugins under test, simulator data, the clock's start, config and services. */
export interface TestHostOptions {
  plugins?: (AnyPlugin | PluginEntry)[];
  /** Seed the simulator first: `true` for a small business (400 items, 400 days), or its options. */
  simulate?: boolean | SimulationOptions;
  /** The fake clock's start (default 2026-06-01T12:00:00Z); the simulation ends the day before. */
  now?: string;
  config?: CoreConfigInput;
  services?: { ref: ServiceRef<any>; value: unknown }[];
  logger?: Logger;
}

/** A running test host: the runtime, its fake clock, and ways to call endpoints, predictors and jobs. */
export interface TestHost {
  runtime: Runtime;
  clock: FakeClock;
  /** What the simulator wrote and the parameters it used, when `simulate` was given. */
  simulation?: SimulationResult;
  /** Calls an endpoint with no HTTP (path relative to `/api/predictive`); `as` is an optional principal. */
  call: Runtime['call'];
  /** Runs a predictor through the cache and the prediction store, as the runtime does. */
  predict: Runtime['predict'];
  /** Runs a job (e.g. `restock.propose`) to its end and gives its result; throws when it fails. */
  runJob(name: string, payload?: unknown): Promise<unknown>;
  /** Principals for calling protected endpoints without creating keys, one per role (each its own key). */
  principals: Record<Role, Principal>;
  /** Closes the runtime. */
  close(): Promise<void>;
}

/**
 * An in-memory host for testing one plugin (Backstage's `startTestBackend`): SQLite in memory, a
 * fake clock, the memory cache, optional simulator data, and the plugins under test — in one call.
 */
export async function startTestHost(options: TestHostOptions = {}): Promise<TestHost> {
  const clock = new FakeClock(options.now ?? '2026-06-01T12:00:00Z');
  const config: CoreConfigInput = { databaseUrl: 'sqlite::memory:', logLevel: 'silent', ...options.config };
  const database = createDatabase(config.databaseUrl!);
  let simulation: SimulationResult | undefined;
  try {
    await migrate(database, 'core', coreMigrations);
    if (options.simulate) {
      const sim: SimulationOptions = options.simulate === true ? { items: 400, days: 400 } : options.simulate;
      simulation = await runSimulation(database, { seed: 7, end: addDays(isoDay(clock.now()), -1), ...sim });
    }
  } catch (err) {
    await database.close();
    throw err;
  }
  const runtime = await createRuntime({
    config,
    clock,
    database,
    logger: options.logger ?? silentLogger(),
    plugins: options.plugins,
    services: options.services,
  });
  await runtime.start();
  const principal = (role: Role): Principal => ({ keyId: `test-${role}`, name: `test ${role}`, role });
  return {
    runtime,
    clock,
    simulation,
    call: runtime.call.bind(runtime),
    predict: runtime.predict.bind(runtime),
    async runJob(name: string, payload: unknown = {}) {
      const done = await runtime.jobs.waitFor(runtime.jobs.enqueue(name, payload).id);
      if (done.status !== 'succeeded') throw new Error(`job ${name} ${done.status}: ${done.error ?? ''}`);
      return done.result;
    },
    principals: Object.fromEntries(ROLES.map((r) => [r, principal(r)])) as Record<Role, Principal>,
    close: () => runtime.close(),
  };
}

/** The real MariaDB and Redis for a test, where the environment names them. */
export interface ExternalServices {
  /** A MariaDB/MySQL URL for a fresh scratch database, or null when `MYSQL_URL` is not set. */
  mysqlUrl: string | null;
  redisUrl: string | null;
  /** Drops the scratch database. */
  cleanup(): Promise<void>;
}

/**
 * The real servers for the storage and cache suites: `MYSQL_URL` and `REDIS_URL` from the environment.
 * Each call gets its own scratch MariaDB database, so test files never share tables. When
 * `RFID3_REQUIRE_SERVICES=1` (as CI sets it), a missing URL is an error instead of a skipped suite.
 */
export async function externalServices(env: NodeJS.ProcessEnv = process.env): Promise<ExternalServices> {
  const require = env.RFID3_REQUIRE_SERVICES === '1';
  const mysql = env.MYSQL_URL || null;
  const redisUrl = env.REDIS_URL || null;
  if (require && (!mysql || !redisUrl)) {
    throw new Error(`RFID3_REQUIRE_SERVICES=1 but ${!mysql ? 'MYSQL_URL' : 'REDIS_URL'} is not set`);
  }
  if (!mysql) return { mysqlUrl: null, redisUrl, cleanup: async () => {} };
  const name = `rfid3_t_${randomBytes(6).toString('hex')}`;
  const { createPool } = await importPeer('mysql2', 'externalServices() with MYSQL_URL', () => import('mysql2'));
  const admin = createPool({ uri: mysql, connectionLimit: 1 }).promise();
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } catch (err) {
    await admin.end();
    throw new Error(`cannot create a scratch database on ${redactUrl(mysql)}: ${(err as Error).message}`);
  }
  const url = new URL(mysql);
  url.pathname = `/${name}`;
  return {
    mysqlUrl: url.toString(),
    redisUrl,
    async cleanup() {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    },
  };
}
/**
 * Whether the real data files a suite reads (from `../shared/data`) are all there, for `describe.skipIf(!…)`. When
 * `RFID3_REQUIRE_SERVICES=1` (as CI sets it) a missing file is an error naming it, so the suite fails instead of
 * being skipped.
 */
export function hasSharedData(files: string | readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const missing = ([] as string[]).concat(files).filter((f) => !existsSync(f));
  if (missing.length > 0 && env.RFID3_REQUIRE_SERVICES === '1') {
    throw new Error(
      `RFID3_REQUIRE_SERVICES=1 but the data file${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing (see ../shared/data/README.md)`,
    );
  }
  return missing.length === 0;
}

export { readmeExample, runReadmeExample } from './readme.js';
export { throwawayRedis, freeLoopbackPort, hasRedisServer, type ThrowawayRedis } from './redis-server.js';
export { mariadbBinaries, throwawayMariadb, type ThrowawayMariadb, type ThrowawayMariadbOptions } from './mariadb-server.js';

/**
 * Removes every key under `prefix` (e.g. a test run's BullMQ prefix) from a shared Redis, by SCAN and UNLINK:
 * never FLUSHALL a Redis that other suites and helpers use.
 */
export async function removeRedisKeys(redisUrl: string, prefix: string): Promise<number> {
  const { Redis } = await importPeer('ioredis', 'removeRedisKeys()', () => import('ioredis'));
  const redis = new Redis(redisUrl);
  let removed = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) removed += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
  return removed;
}
