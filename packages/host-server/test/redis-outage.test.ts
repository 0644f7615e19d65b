import { createRedisClient, silentLogger } from '@rfid3/core';
import { hasRedisServer, throwawayRedis, type ThrowawayRedis } from '@rfid3/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from './helpers.js';
import { serve, testRuntime } from './helpers.js';

// A redis-server of this file's own on another loopback port, killed by its PID; never the shared one.
const available = await hasRedisServer();
if (!available && process.env.RFID3_REQUIRE_SERVICES === '1') throw new Error('RFID3_REQUIRE_SERVICES=1 but redis-server cannot be run');

const STATUS = '/api/predictive/health/system-status';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe.skipIf(!available)('the host while Redis comes and goes', () => {
  let redis: ThrowawayRedis;
  let app: RunningApp;
  let n = 0;
  /** A client address of its own per phase (trusted X-Forwarded-For), so each phase starts with a full window. */
  const newClient = () => `10.77.${Math.floor(n / 250)}.${n++ % 250}`;

  beforeAll(async () => {
    redis = await throwawayRedis();
    // Redis is NOT started: the host must come up without it.
    const runtime = await testRuntime([], { config: { databaseUrl: 'sqlite::memory:', redisUrl: redis.url, cache: { healthWindowSeconds: 1 } }, logger: silentLogger() });
    app = await serve(runtime, { redisUrl: redis.url, rateLimit: { perIp: { points: 5, durationSeconds: 60 } }, trustProxy: true });
  });
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  async function burst(ip: string, count: number) {
    const out: { status: number; ms: number }[] = [];
    for (let i = 0; i < count; i++) {
      const t = performance.now();
      const res = await fetch(`${app.url}${STATUS}`, { headers: { 'x-forwarded-for': ip } });
      await res.arrayBuffer();
      out.push({ status: res.status, ms: performance.now() - t });
    }
    return out;
  }
  const statusOf = async () =>
    (await (await fetch(`${app.url}${STATUS}`, { headers: { 'x-forwarded-for': newClient() } })).json()) as { status: string; cache: { l2: Record<string, unknown> } };
  async function waitForStatus(want: string, timeoutMs: number): Promise<number> {
    const started = Date.now();
    for (;;) {
      if ((await statusOf()).status === want) return Date.now() - started;
      if (Date.now() - started > timeoutMs) throw new Error(`status did not become '${want}' within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  it('starts with Redis absent, answers 200, limits in memory, and says degraded', async () => {
    const answers = await burst(newClient(), 7);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 429, 429]);
    // Before: 1–4 s every request with a Redis-backed limiter and Redis away. Now nothing waits for Redis
    // (the median, not the max: on a busy shared machine one request can stall for reasons of its own).
    expect(median(answers.map((a) => a.ms))).toBeLessThan(250);
    const s = await statusOf();
    expect(s.status).toBe('degraded');
    expect(s.cache.l2).toMatchObject({ enabled: true, connected: false, healthy: false });
  });

  it('once Redis starts, status is ok without a restart and limits are counted in Redis', async () => {
    await redis.start();
    await waitForStatus('ok', 8000);
    const ip = newClient();
    expect((await burst(ip, 3)).map((a) => a.status)).toEqual([200, 200, 200]);
    const admin = createRedisClient(redis.url, { commandTimeoutMs: 2000 });
    try {
      await new Promise((r) => admin.once('ready', r));
      expect(await admin.get(`rfid3:rl:ip:${ip}`)).toBe('3');
    } finally {
      admin.disconnect();
    }
  });

  it('keeps answering when Redis is killed, still limits (in memory), and is ok again after Redis returns', async () => {
    await redis.kill();
    const answers = await burst(newClient(), 7);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(median(answers.map((a) => a.ms))).toBeLessThan(250);
    expect((await statusOf()).status).toBe('degraded');
    await redis.start();
    const backMs = await waitForStatus('ok', 8000);
    expect(backMs).toBeLessThan(8000);
  });
});
