import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../observability/logger.js';
import type { CoreMetrics } from '../observability/metrics.js';
import { RecentFailures, dropIfHung, isConnected } from './redis.js';

/** Hit, miss and size counts of both cache layers. */
export interface CacheStats {
  l1: { hits: number; misses: number; size: number };
  l2: CacheL2Stats;
}

/** Counts of the Redis layer (L2). */
export interface CacheL2Stats {
  enabled: boolean;
  hits: number;
  misses: number;
  /** Failed L2 operations since start (each one answered from L1 instead). */
  errors: number;
  /** Connected to Redis right now (absent when L2 is not configured). */
  connected?: boolean;
  /** Failed L2 operations in the last `windowSeconds`. */
  recentErrors?: number;
  windowSeconds?: number;
  /** Connected, and no failure in the window: what `system-status` calls `ok` (absent when L2 is not configured). */
  healthy?: boolean;
  lastError?: string;
}

/** Two-level cache: in-process LRU first, then Redis when configured. Values must be JSON-serialisable. */
export interface Cache {
  /** The value under `key` (L1, then L2), or undefined on a miss. */
  get<T>(key: string): Promise<T | undefined>;
  /**
   * The last value this process held for `key` even if its TTL has run out (never from L2): what to serve,
   * flagged stale, when it cannot be computed again because a dependency is away.
   */
  getStale?<T>(key: string): T | undefined;
  /** Stores a value in both layers for `ttlSeconds` (the default TTL when absent; zero or less removes it). */
  set<T>(key: string, value: T, ttlSeconds?: number): Promise<void>;
  /** Removes a key from both layers. */
  delete(key: string): Promise<void>;
  /** Removes every key that starts with `prefix` from both layers; returns how many L1 entries went. */
  deletePrefix(prefix: string): Promise<number>;
  /** Returns the cached value, or computes, stores and returns it. */
  wrap<T>(key: string, ttlSeconds: number | undefined, compute: () => Promise<T>): Promise<{ value: T; hit: boolean }>;
  /** Hit, miss and size counts so far. */
  stats(): CacheStats;
  /** Closes the Redis connection, if any. */
  close(): Promise<void>;
}

/**
 * JSON with object keys sorted, so equal queries give equal keys whatever their key order. Cache keys (in Redis
 * too, shared between hosts and versions) are digests of this text, so it must not change: `undefined` is `null`
 * at the top and in arrays and left out of objects, a hole in an array is empty, objects are their own enumerable
 * keys (a `Date` is `{}`), everything else is as `JSON.stringify` writes it.
 */
export function stableStringify(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  // Written out with loops rather than map/filter/sort over entries: a cached answer's key is made per request.
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      // `map` skips holes and `join` writes them, and what JSON.stringify leaves undefined (a function), as ''.
      if (i in value) out += (stableStringify(value[i]) as string | undefined) ?? '';
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  // Default sort order is by UTF-16 code units, as the `<` comparison of the strings is.
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = record[k];
    if (v === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${stableStringify(v)}`;
    first = false;
  }
  return `${out}}`;
}

/**
 * Whether `value` is plain data: strings, finite or not numbers, booleans, null and undefined, in plain objects and
 * in arrays without holes, nothing with a `toJSON`. For plain data, equal `JSON.stringify` texts mean equal
 * `stableStringify` texts (the JSON text fixes every value and key; only the key order, which the stable text
 * sorts away, can differ), so the native JSON text can stand for the stable one in a lookup.
 */
function isPlainData(value: unknown, depth = 0): boolean {
  if (value === null || value === undefined) return true;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean') return true;
  if (type !== 'object' || depth > 16 || typeof (value as { toJSON?: unknown }).toJSON !== 'undefined') return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!(i in value) || !isPlainData(value[i], depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  for (const k of Object.keys(value)) if (!isPlainData((value as Record<string, unknown>)[k], depth + 1)) return false;
  return true;
}

/**
 * Digests already made (a repeated question neither sorts nor hashes again), by the stable text and, for plain
 * data, by its JSON text as well; each bounded, oldest out first, and texts longer than `DIGEST_TEXT_KEPT_CHARS`
 * are not kept.
 */
const digestsByStableText = new Map<string, string>();
const digestsByJson = new Map<string, string>();
const DIGESTS_KEPT = 1024;
const DIGEST_TEXT_KEPT_CHARS = 1024;

function keep(map: Map<string, string>, text: string, digest: string): void {
  if (text.length > DIGEST_TEXT_KEPT_CHARS) return;
  if (map.size >= DIGESTS_KEPT) map.delete(map.keys().next().value as string);
  map.set(text, digest);
}

/**
 * A cache key that carries the model version: activating a new model version changes every key, so
 * nothing the old model answered is served again. The digest is of `stableStringify(params)`.
 */
export function cacheKey(namespace: string, modelVersion: string, params: unknown): string {
  const json = params !== undefined && isPlainData(params) ? JSON.stringify(params) : undefined;
  let digest = json === undefined ? undefined : digestsByJson.get(json);
  if (digest === undefined) {
    const text = stableStringify(params);
    digest = digestsByStableText.get(text);
    if (digest === undefined) {
      digest = createHash('sha1').update(text).digest('hex').slice(0, 20);
      keep(digestsByStableText, text, digest);
    }
    if (json !== undefined) keep(digestsByJson, json, digest);
  }
  return `${namespace}:${modelVersion}:${digest}`;
}

interface Entry {
  v: unknown;
}

/** Options of the layered cache: the L1 size, the default TTL, the key prefix and an optional Redis. */
export interface LayeredCacheOptions {
  l1MaxEntries: number;
  defaultTtlSeconds: number;
  keyPrefix: string;
  redis?: Redis;
  /** How far back L2 failures count against its health (default 30 s). */
  healthWindowSeconds?: number;
  metrics?: CoreMetrics;
  logger?: Logger;
}

export class LayeredCache implements Cache {
  private readonly l1: LRUCache<string, Entry>;
  private readonly counts = { l1Hits: 0, l1Misses: 0, l2Hits: 0, l2Misses: 0 };
  private readonly l2Failures: RecentFailures;
  private lastL2Warning = 0;
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly prefixListeners: ((prefix: string) => void)[] = [];

  constructor(private readonly options: LayeredCacheOptions) {
    // Expired entries stay (until evicted or replaced) so that `getStale` can serve them during an outage.
    this.l1 = new LRUCache<string, Entry>({ max: options.l1MaxEntries, ttlAutopurge: false, noDeleteOnStaleGet: true });
    this.l2Failures = new RecentFailures(options.healthWindowSeconds ?? 30);
  }

  getStale<T>(key: string): T | undefined {
    return this.l1.get(key, { allowStale: true, updateAgeOnGet: false })?.v as T | undefined;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const local = this.l1.get(key);
    if (local) {
      this.counts.l1Hits++;
      this.options.metrics?.cacheHits.inc({ layer: 'l1' });
      return local.v as T;
    }
    this.counts.l1Misses++;
    this.options.metrics?.cacheMisses.inc({ layer: 'l1' });
    const redis = this.options.redis;
    if (!redis) return undefined;
    try {
      const fullKey = this.options.keyPrefix + key;
      const [[, raw], [, pttl]] = (await redis.multi().get(fullKey).pttl(fullKey).exec()) as [[unknown, string | null], [unknown, number]];
      if (raw === null) {
        this.counts.l2Misses++;
        this.options.metrics?.cacheMisses.inc({ layer: 'l2' });
        return undefined;
      }
      this.counts.l2Hits++;
      this.options.metrics?.cacheHits.inc({ layer: 'l2' });
      const value = JSON.parse(raw) as T;
      if (pttl > 0) this.l1.set(key, { v: value }, { ttl: pttl });
      return value;
    } catch (err) {
      this.l2Failed(err);
      return undefined;
    }
  }

  /** A TTL of zero (or less) means "do not cache": the key is removed instead (lru-cache reads 0 as forever). */
  async set<T>(key: string, value: T, ttlSeconds?: number): Promise<void> {
    const ttlMs = Math.round((ttlSeconds ?? this.options.defaultTtlSeconds) * 1000);
    if (!(ttlMs > 0)) {
      await this.delete(key);
      return;
    }
    this.l1.set(key, { v: value }, { ttl: ttlMs });
    const redis = this.options.redis;
    if (!redis) return;
    try {
      await redis.set(this.options.keyPrefix + key, JSON.stringify(value), 'PX', ttlMs);
    } catch (err) {
      this.l2Failed(err);
    }
  }

  async delete(key: string): Promise<void> {
    this.l1.delete(key);
    try {
      await this.options.redis?.del(this.options.keyPrefix + key);
    } catch (err) {
      this.l2Failed(err);
    }
  }

  /** Told of every `deletePrefix` made here, so that other hosts drop the same L1 entries. */
  onDeletePrefix(listener: (prefix: string) => void): void {
    this.prefixListeners.push(listener);
  }

  /** Drops this process's L1 entries under `prefix` (another host already removed them from L2). */
  dropLocal(prefix: string): number {
    let removed = 0;
    for (const key of [...this.l1.keys()]) {
      if (key.startsWith(prefix)) {
        this.l1.delete(key);
        removed++;
      }
    }
    return removed;
  }

  async deletePrefix(prefix: string): Promise<number> {
    const removed = this.dropLocal(prefix);
    for (const l of this.prefixListeners) l(prefix);
    const redis = this.options.redis;
    if (redis) {
      try {
        const pattern = `${escapeGlob(this.options.keyPrefix + prefix)}*`;
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
          cursor = next;
          if (keys.length > 0) await redis.unlink(...keys);
        } while (cursor !== '0');
      } catch (err) {
        this.l2Failed(err);
      }
    }
    return removed;
  }

  async wrap<T>(key: string, ttlSeconds: number | undefined, compute: () => Promise<T>): Promise<{ value: T; hit: boolean }> {
    const cached = await this.get<T>(key);
    if (cached !== undefined) return { value: cached, hit: true };
    // Concurrent misses on one key share one computation instead of stampeding the model.
    const pending = this.inflight.get(key) as Promise<T> | undefined;
    if (pending) return { value: await pending, hit: true };
    const run = (async () => {
      const value = await compute();
      await this.set(key, value, ttlSeconds);
      return value;
    })();
    this.inflight.set(key, run);
    try {
      return { value: await run, hit: false };
    } finally {
      this.inflight.delete(key);
    }
  }

  stats(): CacheStats {
    const redis = this.options.redis;
    const l2: CacheL2Stats = { enabled: Boolean(redis), hits: this.counts.l2Hits, misses: this.counts.l2Misses, errors: this.l2Failures.count };
    if (redis) {
      l2.connected = isConnected(redis);
      l2.recentErrors = this.l2Failures.recent();
      l2.windowSeconds = this.l2Failures.windowSeconds;
      l2.healthy = l2.connected && l2.recentErrors === 0;
      if (!l2.healthy && this.l2Failures.lastError) l2.lastError = this.l2Failures.lastError;
    }
    return { l1: { hits: this.counts.l1Hits, misses: this.counts.l1Misses, size: this.l1.size }, l2 };
  }

  async close(): Promise<void> {
    this.l1.clear();
    const redis = this.options.redis;
    if (redis && redis.status !== 'end') {
      await redis.quit().catch(() => redis.disconnect());
    }
  }

  /** A Redis outage degrades the cache to L1; it never fails a request. Logged at most once a minute. */
  private l2Failed(err: unknown): void {
    this.l2Failures.record(err);
    if (this.options.redis) dropIfHung(this.options.redis, err);
    const now = Date.now();
    if (now - this.lastL2Warning > 60_000) {
      this.lastL2Warning = now;
      this.options.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'L2 cache (Redis) unavailable; serving from L1');
    }
  }
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
