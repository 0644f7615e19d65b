#!/usr/bin/env node
// Drill: the host started with Redis absent. `rfid3 serve` runs as a child process with REDIS_URL pointing
// at a loopback port where nothing listens. Bar: it starts, every read answers 200, `system-status` says
// `degraded` with L2 not connected (it does not pretend); then a throwaway redis-server is started on that
// port (killed by PID at the end) and, without a restart, status becomes `ok` and rate-limit counts land
// in Redis.
import { createRedisClient } from '@rfid3/core';
import { freeLoopbackPort, throwawayRedis } from '@rfid3/core/testing';
import { drill, killOnExit, latency, log, scratch, startHost, systemStatus, until } from '../host-process.mjs';

const HEALTH_WINDOW_S = 10;
const PATHS = [
  '/api/predictive/health/system-status',
  '/api/predictive/models/status',
  '/api/predictive/pricing/recommendations',
  '/api/predictive/health/prediction-accuracy',
  '/api/predictive/models/version-history',
];

async function reads(url, rounds) {
  const samples = [];
  for (let i = 0; i < rounds; i++) {
    for (const path of PATHS) {
      const t = performance.now();
      try {
        const res = await fetch(`${url}${path}`);
        await res.arrayBuffer();
        samples.push({ path, status: res.status, ms: performance.now() - t });
      } catch (err) {
        samples.push({ path, status: 0, ms: performance.now() - t, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
  return samples;
}

await drill('redis-absent', 88_000, async ({ cleanup }) => {
  // Prepared, not started: nothing listens on its port yet.
  const redis = await throwawayRedis();
  killOnExit(() => redis.pid);
  cleanup(() => redis.stop());
  const dir = scratch({ redisHealthWindowSeconds: HEALTH_WINDOW_S, scheduler: { enabled: false }, openReads: true });
  cleanup(() => dir.remove());
  const env = { DATABASE_URL: 'sqlite:./rfid3.db', REDIS_URL: redis.url, RFID3_CONFIG: dir.config };

  log(`starting the host with REDIS_URL=${redis.url} (nothing listens there)`);
  const host = await startHost({ cwd: dir.dir, env, port: await freeLoopbackPort() });
  cleanup(() => host.stop());
  log(`host up in ${host.startupSeconds.toFixed(1)} s (pid ${host.pid})`);

  const absent = await reads(host.url, 20);
  const whileAbsent = await systemStatus(host.url);

  await redis.start();
  log(`redis-server started on port ${redis.port} (pid ${redis.pid}); waiting for status ok`);
  const okSeconds = await until(async () => (await systemStatus(host.url)).status === 'ok', (HEALTH_WINDOW_S + 15) * 1000);
  const present = await reads(host.url, 4);
  const afterOk = await systemStatus(host.url);

  // The rate limiter shares the L2 connection: with Redis back, its counts are in Redis, not in memory.
  const probe = createRedisClient(redis.url, { commandTimeoutMs: 2000 });
  let limiterKeys = 0;
  try {
    await until(() => probe.status === 'ready', 5000, 50);
    limiterKeys = (await probe.keys('rfid3:rl:*')).length;
  } finally {
    probe.disconnect();
  }

  const all = [...absent, ...present];
  const failures = all.filter((s) => s.status !== 200);
  const figures = {
    hostStartupSeconds: Math.round(host.startupSeconds * 10) / 10,
    requests: all.length,
    errors: failures.length,
    ...(failures.length ? { firstErrors: failures.slice(0, 3) } : {}),
    absentP99Ms: latency(absent).p99,
    presentP99Ms: latency(present).p99,
    statusWhileAbsent: whileAbsent.status,
    statusHttpWhileAbsent: whileAbsent.http,
    l2WhileAbsent: whileAbsent.cache?.l2 ?? null,
    statusBackToOkSeconds: okSeconds === null ? null : Math.round(okSeconds * 10) / 10,
    l2AfterRedisStarted: afterOk.cache?.l2 ?? null,
    limiterKeysInRedis: limiterKeys,
    healthWindowSeconds: HEALTH_WINDOW_S,
  };
  figures.pass =
    failures.length === 0 &&
    whileAbsent.http === 200 &&
    whileAbsent.status === 'degraded' &&
    whileAbsent.cache?.l2?.enabled === true &&
    whileAbsent.cache?.l2?.connected === false &&
    okSeconds !== null &&
    afterOk.cache?.l2?.connected === true &&
    limiterKeys > 0;
  return figures;
});
