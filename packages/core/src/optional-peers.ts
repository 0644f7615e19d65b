import { createRequire } from 'node:module';
import pkg from '../package.json' with { type: 'json' };

/**
 * The drivers core loads only when a feature needs them (its optional peer dependencies): forecasting in memory
 * needs none, `sqlite:` URLs need `better-sqlite3`, `mysql://` URLs `mysql2`, `redisUrl` `ioredis`, the BullMQ
 * job runner `bullmq` (with `ioredis`), reading events from CSV `csv-parse`; Prometheus metrics use `prom-client`
 * and logs `pino` when installed (without them nothing is counted, and logs are plain JSON lines). The host
 * depends on all of them.
 */
export type OptionalPeer = 'better-sqlite3' | 'mysql2' | 'ioredis' | 'bullmq' | 'prom-client' | 'pino' | 'csv-parse';

/** A feature was used whose driver (an optional peer dependency of `@rfid3/core`) is not installed. */
export class MissingPeerError extends Error {
  override readonly name = 'MissingPeerError';
  readonly code = 'RFID3_MISSING_PEER';

  constructor(
    /** The package to install. */
    readonly packageName: OptionalPeer,
    /** What needed it, e.g. `the database URL 'sqlite:./rfid3.db'`. */
    readonly purpose: string,
    options?: { cause?: unknown },
  ) {
    super(`${purpose} needs the package '${packageName}', which is not installed: run \`npm install ${installSpec(packageName)}\``, options);
  }
}

/** `name@range` as core's package.json declares the peer (what `npm install` should be given). */
export function installSpec(name: OptionalPeer): string {
  const range = (pkg as { peerDependencies?: Record<string, string> }).peerDependencies?.[name];
  return range ? `${name}@${range}` : name;
}

/** Whether `err` says that `name` itself (not something inside it) could not be found. */
function isMissing(err: unknown, name: string): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (typeof e !== 'object' || e === null) return false;
  if (e.code !== 'ERR_MODULE_NOT_FOUND' && e.code !== 'MODULE_NOT_FOUND') return false;
  return typeof e.message === 'string' && new RegExp(`['"]${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/[^'"]*)?['"]`).test(e.message);
}

/**
 * Loads an optional peer on first use: `load` is the literal `() => import('name')`, so its types are the
 * package's own. A missing package becomes a `MissingPeerError` naming what to install.
 */
export async function importPeer<T>(name: OptionalPeer, purpose: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (isMissing(err, name)) throw new MissingPeerError(name, purpose, { cause: err });
    throw err;
  }
}

const requireFromCore = createRequire(import.meta.url);

/**
 * The same for the few synchronous entry points (`createRedisClient`): the peer is a CommonJS package, so
 * `require` loads it on first use without making the caller async.
 */
export function requirePeer<T>(name: OptionalPeer, purpose: string, subpath = ''): T {
  try {
    return requireFromCore(name + subpath) as T;
  } catch (err) {
    if (isMissing(err, name)) throw new MissingPeerError(name, purpose, { cause: err });
    throw err;
  }
}

/** The peer when it is installed, else undefined (for what works without it, such as metrics). */
export function optionalPeer<T>(name: OptionalPeer): T | undefined {
  try {
    return requireFromCore(name) as T;
  } catch (err) {
    if (isMissing(err, name)) return undefined;
    throw err;
  }
}
