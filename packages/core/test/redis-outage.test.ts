import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { LayeredCache, RecentFailures, connectRedis, createRedisClient, createRuntime, silentLogger, type Runtime } from '../src/index.js';
import { hasRedisServer, throwawayRedis, type ThrowawayRedis } from '../src/testing/index.js';
import { sleep } from './support/targets.js';

// These tests start and kill a redis-server of their own on another loopback port, never the shared one.
const available = await hasRedisServer();
if (!available && process.env.RFID3_REQUIRE_SERVICES === '1') throw new Error('RFID3_REQUIRE_SERVICES=1 but redis-server cannot be run');

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function redisServer(): Promise<ThrowawayRedis> {
  const server = await throwawayRedis();
  cleanups.push(() => server.stop());
  return server;
}

function client(url: string): Redis {
  const redis = createRedisClient(url);
  cleanups.push(() => redis.disconnect());
  return redis;
}

function cache(redis: Redis, healthWindowSeconds = 1): LayeredCache {
  return new LayeredCache({ l1MaxEntries: 100, defaultTtlSeconds: 60, keyPrefix: 'outage-test:', redis, healthWindowSeconds });
}

/** Polls until `check` holds, failing after `timeoutMs`; returns how long it took. */
async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(50);
  }
  return Date.now() - started;
}

/** Medians, not maxima: on a busy shared machine one call can stall for reasons of its own. */
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t = performance.now();
  const value = await f();
  return { value, ms: performance.now() - t };
}

describe('RecentFailures', () => {
  it('counts failures in the window only, and keeps the total', () => {
    const f = new RecentFailures(30);
    const t0 = Date.parse('2026-06-01T12:00:00Z');
    f.record(new Error('a'), t0);
    f.record(new Error('b'), t0 + 500);
    f.record(new Error('c'), t0 + 10_000);
    expect(f.recent(t0 + 10_000)).toBe(3);
    expect(f.recent(t0 + 30_500)).toBe(1);
    expect(f.recent(t0 + 41_000)).toBe(0);
    expect(f.count).toBe(3);
    expect(f.lastError).toBe('c');
  });
});

describe('connectRedis', () => {
  it('hides the password of a URL without a user name (the usual Redis form) when it cannot connect', async () => {
    const err = await connectRedis('redis://:s3cret@127.0.0.1:1').catch((e: Error) => e);
    expect(String(err)).toMatch(/cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
    expect(String(err)).not.toContain('s3cret');
  });
});

describe.skipIf(!available)('the cache over a Redis that comes and goes', () => {
  it('serves from L1 at once while Redis is absent, and becomes healthy once Redis starts', async () => {
    const server = await redisServer();
    const c = cache(client(server.url));
    const { ms: setMs } = await timed(() => c.set('k', 'v'));
    const { value, ms: getMs } = await timed(() => c.get('k'));
    const { value: missing, ms: missMs } = await timed(() => c.get('nothing'));
    expect(value).toBe('v');
    expect(missing).toBeUndefined();
    // Nothing waits for Redis: no queued command, no retry (a request pays well under 50 ms).
    expect(median([setMs, getMs, missMs])).toBeLessThan(25);
    expect(c.stats().l2).toMatchObject({ enabled: true, connected: false, healthy: false });
    expect(c.stats().l2.recentErrors).toBeGreaterThanOrEqual(2);

    await server.start();
    await until(() => c.stats().l2.connected === true, 5000, 'reconnecting');
    // Failures age out of the 1 s window: health is about now, not about ever.
    await until(() => c.stats().l2.healthy === true, 5000, 'healthy again');
    await c.set('shared', 42);
    const other = cache(client(server.url));
    await until(() => other.stats().l2.connected === true, 5000, 'second client connecting');
    expect(await other.get('shared')).toBe(42);
    expect(c.stats().l2.errors).toBeGreaterThanOrEqual(2);
  });

  it('rides out a kill -9 of Redis and recovers without a restart', async () => {
    const server = await redisServer();
    await server.start();
    const redis = client(server.url);
    const c = cache(redis);
    await until(() => c.stats().l2.healthy === true, 5000, 'connecting');
    await c.set('before', 'kept');

    await server.kill();
    await until(() => c.stats().l2.connected === false, 2000, 'noticing the kill');
    const during = await Promise.all(Array.from({ length: 20 }, (_, i) => timed(() => c.get(i % 2 ? 'before' : `miss-${i}`))));
    expect(during.filter((d) => d.value === 'kept')).toHaveLength(10);
    expect(median(during.map((d) => d.ms))).toBeLessThan(25);
    expect(c.stats().l2.healthy).toBe(false);

    await server.start();
    const backMs = await until(() => c.stats().l2.healthy === true, 5000, 'healthy after restart');
    expect(backMs).toBeLessThan(5000);
    await c.set('after', 1);
    expect(await redis.get('outage-test:after')).toBe('1');
  });

  it('drops a hung Redis (SIGSTOP) so that commands fail at once instead of each waiting for a timeout', async () => {
    const server = await redisServer();
    await server.start();
    const c = cache(client(server.url));
    await until(() => c.stats().l2.healthy === true, 5000, 'connecting');
    const pid = server.pid!;
    process.kill(pid, 'SIGSTOP');
    cleanups.push(() => {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        /* already gone */
      }
    });
    // The watchdog's PING (every second) times out and drops the connection.
    await until(() => c.stats().l2.connected === false, 3000, 'noticing the hang');
    const after = await Promise.all(Array.from({ length: 10 }, (_, i) => timed(() => c.get(`hung-${i}`))));
    // Without the watchdog each would wait out the 50 ms command timeout.
    expect(median(after.map((a) => a.ms))).toBeLessThan(25);
    process.kill(pid, 'SIGCONT');
    await until(() => c.stats().l2.healthy === true, 6000, 'healthy after SIGCONT');
  });
});

describe.skipIf(!available)('a runtime whose Redis is absent at start', () => {
  it('starts, answers system-status `degraded` with L2 not connected, and `ok` once Redis is up, without a restart', async () => {
    const server = await redisServer();
    const started = performance.now();
    const runtime: Runtime = await createRuntime({
      config: { databaseUrl: 'sqlite::memory:', redisUrl: server.url, cache: { healthWindowSeconds: 1 } },
      logger: silentLogger(),
    });
    cleanups.push(() => runtime.close());
    // It waited at most one connect timeout (1 s), not for ever, and did not throw.
    expect(performance.now() - started).toBeLessThan(3000);
    const before = await runtime.call('GET', '/health/system-status');
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ status: 'degraded', database: { ok: true }, cache: { l2: { enabled: true, connected: false, healthy: false } } });

    await server.start();
    await until(async () => ((await runtime.call('GET', '/health/system-status')).body as { status: string }).status === 'ok', 6000, 'status ok');
    const after = await runtime.call('GET', '/health/system-status');
    expect(after.body).toMatchObject({ status: 'ok', cache: { l2: { enabled: true, connected: true, healthy: true, recentErrors: 0, windowSeconds: 1 } } });
    expect(runtime.redis?.status).toBe('ready');
  });
});
