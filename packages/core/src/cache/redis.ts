import type { Redis } from 'ioredis';
import { requirePeer } from '../optional-peers.js';
import type { Logger } from '../observability/logger.js';
import { redactUrl } from '../storage/database.js';

/** How the host talks to Redis so that Redis being away costs a request almost nothing. */
export interface RedisClientOptions {
  /** A TCP connect that has not finished by then is abandoned (and retried). Default 1,000 ms. */
  connectTimeoutMs?: number;
  /** A command with no answer by then fails and its caller falls back (L1, the in-memory limiter). Default 50 ms. */
  commandTimeoutMs?: number;
  /** Longest wait between reconnection attempts. Default 1,000 ms. */
  maxReconnectDelayMs?: number;
  /** How often a PING checks that a connected Redis still answers (0: never). Default 1,000 ms. */
  watchdogMs?: number;
}

/** The Redis client settings used when none are given: 1 s connect timeout, 50 ms command timeout. */
export const DEFAULT_REDIS_CLIENT_OPTIONS: Required<RedisClientOptions> = {
  connectTimeoutMs: 1000,
  commandTimeoutMs: 50,
  maxReconnectDelayMs: 1000,
  watchdogMs: 1000,
};

/**
 * An ioredis client that never queues or retries a command while disconnected (a caller gets an error at
 * once and serves from its fallback), gives up on a silent command after `commandTimeoutMs`, and keeps
 * reconnecting in the background for as long as it lives. It starts connecting immediately. ioredis is an optional
 * peer dependency of core, loaded here on first use (a `MissingPeerError` names it when it is not installed).
 */
export function createRedisClient(url: string, options: RedisClientOptions = {}): Redis {
  const o = { ...DEFAULT_REDIS_CLIENT_OPTIONS, ...options };
  const { Redis } = requirePeer<typeof import('ioredis')>('ioredis', `the Redis URL '${redactUrl(url)}'`);
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: o.connectTimeoutMs,
    commandTimeout: o.commandTimeoutMs,
    retryStrategy: (attempt) => Math.min(attempt * 100, o.maxReconnectDelayMs),
  });
  // Errors reach the callers of each command; an unhandled 'error' event would crash the process.
  redis.on('error', () => undefined);
  if (o.watchdogMs > 0) {
    // A stopped or hung Redis keeps its TCP connection open, and every command would wait out its timeout:
    // a PING that times out drops the connection, so commands fail at once until Redis answers again.
    const timer = setInterval(() => {
      if (redis.status === 'ready') redis.ping().catch((err: unknown) => dropIfHung(redis, err));
    }, o.watchdogMs);
    timer.unref();
    redis.once('end', () => clearInterval(timer));
  }
  return redis;
}

/** Settles when the client is ready (true) or its first connection attempt has failed or timed out (false). */
export function firstConnection(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('close', onClose);
      resolve(ok);
    };
    const onReady = () => done(true);
    const onClose = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    redis.once('ready', onReady);
    redis.once('close', onClose);
  });
}

/**
 * Opens the L2 connection for a server: waits for it at most one connect timeout, and when Redis is not
 * there, says so once and returns the client anyway; it keeps reconnecting and L2 comes back by itself.
 */
export async function openRedis(url: string, options: RedisClientOptions & { logger?: Logger } = {}): Promise<Redis> {
  const redis = createRedisClient(url, options);
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_REDIS_CLIENT_OPTIONS.connectTimeoutMs;
  if (!(await firstConnection(redis, connectTimeoutMs + 100))) {
    options.logger?.warn({ redis: redactUrl(url) }, 'Redis is not reachable; serving from memory (L1) and the database, reconnecting in the background');
  }
  redis.on('ready', () => options.logger?.info({ redis: redactUrl(url) }, 'Redis connected'));
  return redis;
}

/** Connects to Redis and fails fast (with the URL, password hidden) if it cannot be reached: for tools and tests. */
export async function connectRedis(url: string, options: RedisClientOptions = {}): Promise<Redis> {
  // A tool's commands may be slower than a request's (SCAN over many keys): a looser command timeout.
  const redis = createRedisClient(url, { commandTimeoutMs: 5000, ...options });
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_REDIS_CLIENT_OPTIONS.connectTimeoutMs;
  if (!(await firstConnection(redis, connectTimeoutMs + 100))) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${redactUrl(url)}`);
  }
  return redis;
}

/**
 * Failures in the last `windowSeconds`: health is judged on what happened lately, so a Redis that
 * came back is healthy again once its outage has left the window, not degraded for ever. Counted per
 * second, so a long outage at many requests a second costs one small slot per second of the window.
 */
export class RecentFailures {
  private readonly seconds: { at: number; n: number }[] = [];
  private total = 0;
  lastError?: string;

  constructor(readonly windowSeconds: number) {}

  /** Counts one failure at `now` and keeps its message as the last error. */
  record(err: unknown, now = Date.now()): void {
    this.total++;
    this.lastError = err instanceof Error ? err.message : String(err);
    const at = Math.floor(now / 1000);
    const last = this.seconds[this.seconds.length - 1];
    if (last && last.at === at) last.n++;
    else this.seconds.push({ at, n: 1 });
    this.prune(now);
  }

  /** How many failures fall in the window ending now (to the second). */
  recent(now = Date.now()): number {
    this.prune(now);
    return this.seconds.reduce((s, b) => s + b.n, 0);
  }

  /** Every failure since this was made. */
  get count(): number {
    return this.total;
  }

  private prune(now: number): void {
    const from = Math.floor(now / 1000) - this.windowSeconds;
    let drop = 0;
    while (drop < this.seconds.length && this.seconds[drop]!.at <= from) drop++;
    if (drop > 0) this.seconds.splice(0, drop);
  }
}

/** Ready and writable: a connection being dropped (a hung Redis) still says `ready` until it has closed. */
export function isConnected(redis: Redis): boolean {
  return redis.status === 'ready' && Boolean(redis.stream?.writable);
}

/**
 * A command that timed out on a connection that still looks open means Redis is hung, not gone: drop the
 * connection so that every later command fails at once (not after a timeout each) until it reconnects.
 */
export function dropIfHung(redis: Redis, err: unknown): void {
  if (err instanceof Error && /timed out/i.test(err.message) && isConnected(redis)) redis.disconnect(true);
}
