import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatabaseHandle, JobRecord, Runtime } from '@rfid3/core';
import { DEFAULT_CLOSED_HOLIDAYS, coreMigrations, createDatabase, createRuntime, migrate, silentLogger } from '@rfid3/core';
import { simulate } from '@rfid3/core/simulator';
import { externalServices, removeRedisKeys } from '@rfid3/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHostConfig } from '../src/config.js';
import { ApiKeyStore } from '../src/keys.js';
import { startBackground } from '../src/ops/background.js';
import { NIGHTLY_JOB } from '../src/ops/scheduler.js';
import { createHostRuntime } from '../src/server.js';
import { serve, testRuntime } from './helpers.js';

/**
 * Issue 15's first "done when": two API hosts (`rfid3 serve --role api`) and two workers (`rfid3 worker`), each
 * its own OS process, on one Redis and one MariaDB. Everything this file puts in them is its own: a scratch
 * database, and one prefix for BullMQ's keys, the cache, the rate limits and the cluster channel.
 */
const services = await externalServices();
const ready = Boolean(services.mysqlUrl && services.redisUrl);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const prefix = `rfid3-t-${randomBytes(5).toString('hex')}`;
/** A killed worker's job is free again after this (its lock lapses, then the next stalled check runs). */
const STALLED_MS = 5000;
/** The demand plugin's match-actuals schedule, in minutes (3 s): the recurring work counted across hosts. */
const MATCH_EVERY_MINUTES = 0.05;
const PERIOD_MS = MATCH_EVERY_MINUTES * 60_000;
const DEMAND_MODEL = 'demand.daily';

interface Proc {
  name: string;
  child: ChildProcess;
  log: string;
  /** What job records name it: `host:pid`. */
  worker: string;
  exited: Promise<number | null>;
}

const procs: Proc[] = [];
let dir = '';
let database: DatabaseHandle;
let adminKey = '';
let producer: Runtime | undefined;
let hostA = '';
let hostB = '';
let w1: Proc;
let w2: Proc;
/** When the hosts and workers were all up: the scheduled runs are counted from here. */
let allUpAt = 0;
const figures: Record<string, unknown> = {};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, check: () => Promise<T | undefined | false | null>, timeoutMs: number, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end)
      throw new Error(`${what}: not within ${timeoutMs / 1000} s\n${procs.map((p) => `--- ${p.name} (last lines)\n${p.log.split('\n').slice(-15).join('\n')}`).join('\n')}`);
    await sleep(everyMs);
  }
}

function start(name: string, args: string[]): Proc {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: dir,
    env: {
      ...process.env,
      PORT: '',
      DATABASE_URL: services.mysqlUrl!,
      REDIS_URL: services.redisUrl!,
      RFID3_QUEUE: 'bullmq',
      RFID3_QUEUE_PREFIX: prefix,
      RFID3_REDIS_PREFIX: `${prefix}:c:`,
      RFID3_QUEUE_STALLED_MS: String(STALLED_MS),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc: Proc = { name, child, log: '', worker: `${hostname()}:${child.pid}`, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
  // Keep the tail only: hosts log every request.
  const keep = (d: Buffer) => {
    proc.log = (proc.log + d.toString()).slice(-200_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  procs.push(proc);
  return proc;
}

const logLine = (p: Proc, text: string) => p.log.split('\n').find((l) => l.includes(text));

async function listening(p: Proc): Promise<string> {
  const line = await until(`${p.name} listening`, async () => logLine(p, '"listening on'), 90_000, 100);
  return (JSON.parse(line) as { url: string }).url;
}

async function api<T>(host: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: T; at: number }> {
  const res = await fetch(`${host}/api/predictive${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${adminKey}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const at = Date.now();
  return { status: res.status, body: (await res.json()) as T, at };
}

const job = async (id: string) => (await api<JobRecord>(hostA, `/jobs/${encodeURIComponent(id)}`)).body;
const finished = (r: JobRecord | undefined) => (r && (r.status === 'succeeded' || r.status === 'failed') ? r : undefined);

async function versions(): Promise<{ version: number; status: string }[]> {
  return database.db.selectFrom('rfid3_model_registry').select(['version', 'status']).where('model_name', '=', DEMAND_MODEL).orderBy('version').execute();
}

/** Kills a worker with SIGKILL (no shutdown of any kind) and waits for it to be gone. */
async function kill9(p: Proc): Promise<number> {
  p.child.kill('SIGKILL');
  await p.exited;
  return Date.now();
}

describe.skipIf(!ready)('two API hosts and two workers as separate processes on one Redis and one MariaDB', () => {
  beforeAll(async () => {
    const began = Date.now();
    dir = mkdtempSync(join(tmpdir(), 'rfid3-cluster-'));
    // Only the demand plugin: its retrain and backfill are the jobs killed below, its match-actuals the schedule.
    writeFileSync(
      join(dir, 'rfid3.config.json'),
      JSON.stringify({
        plugins: [{ package: '@rfid3/plugin-demand', config: { matchActualsEveryMinutes: MATCH_EVERY_MINUTES, backfillWeeks: 2 } }],
        pluginsMode: 'replace',
        rateLimit: { enabled: false },
      }),
    );
    database = createDatabase(services.mysqlUrl!);
    await migrate(database, 'core', coreMigrations);
    await simulate(database, { items: 150, days: 240, seed: 15, closedHolidays: DEFAULT_CLOSED_HOLIDAYS });
    adminKey = (await new ApiKeyStore({ database }).create('cluster test', 'admin')).key;

    const a = start('host A', ['serve', '--role', 'api', '--port', '0', '--host', '127.0.0.1']);
    const b = start('host B', ['serve', '--role', 'api', '--port', '0', '--host', '127.0.0.1']);
    w1 = start('worker 1', ['worker', '--concurrency', '2']);
    w2 = start('worker 2', ['worker', '--concurrency', '2']);
    [hostA, hostB] = await Promise.all([listening(a), listening(b)]);
    await Promise.all([w1, w2].map((w) => until(`${w.name} taking jobs`, async () => logLine(w, 'taking jobs'), 90_000, 100)));
    allUpAt = Date.now();
    figures.setupSeconds = (allUpAt - began) / 1000;
    // The test's own producer: it queues jobs into the same BullMQ queues and never runs one.
    producer = await createRuntime({
      config: { databaseUrl: 'sqlite::memory:', redisUrl: services.redisUrl!, jobs: { runner: 'bullmq', prefix }, cluster: { sync: false }, kpis: { matchImpactEveryMinutes: 0 } },
      logger: silentLogger(),
    });
    // Queued by name (no endpoint queues a backfill): the workers run it, the producer never does.
    producer.jobs.register('demand.backfill', () => {
      throw new Error('the test producer runs no job');
    });
  }, 180_000);

  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    await Promise.race([Promise.all(procs.map((p) => p.exited)), sleep(15_000)]);
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await producer?.close();
    await database?.close();
    if (services.redisUrl) await removeRedisKeys(services.redisUrl, prefix);
    await services.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
    console.log(`cluster figures: ${JSON.stringify(figures)}`);
  }, 60_000);

  it('spreads 40 jobs over both workers, each job run once and none by an API host', async () => {
    const queued = Date.now();
    const ids = Array.from({ length: 40 }, (_, i) => producer!.jobs.enqueue('kpis.match-impact', { batch: i }).id);
    expect(new Set(ids).size).toBe(40);
    const done: JobRecord[] = [];
    for (const id of ids) done.push(await until(`job ${id}`, async () => finished(await job(id)), 60_000));
    figures.fortyJobsSeconds = (Date.now() - queued) / 1000;
    expect(done.map((r) => r.status)).toEqual(ids.map(() => 'succeeded'));
    const by = new Map<string, number>();
    for (const r of done) by.set(r.worker ?? 'unknown', (by.get(r.worker ?? 'unknown') ?? 0) + 1);
    figures.distribution = { worker1: by.get(w1.worker) ?? 0, worker2: by.get(w2.worker) ?? 0 };
    expect([...by.keys()].sort()).toEqual([w1.worker, w2.worker].sort());
    expect(by.get(w1.worker)).toBeGreaterThan(0);
    expect(by.get(w2.worker)).toBeGreaterThan(0);
  }, 120_000);

  it('a worker killed with -9 mid-retrain: the other completes it once after the stall interval (one new version); mid-backfill: no duplicate prediction rows', async () => {
    // The first forecast asked of host B registers the model's first version (and B then holds the answer and the
    // active version). A 503 is the host saying MariaDB did not answer in time (a loaded CI machine): asked again.
    let first = await api<{ modelVersion: string }>(hostB, '/demand/forecast?weeks=1&recent_days=0');
    for (let i = 0; i < 3 && first.status === 503; i++) {
      figures.firstForecast503 = ((figures.firstForecast503 as number) ?? 0) + 1;
      await sleep(2000);
      first = await api<{ modelVersion: string }>(hostB, '/demand/forecast?weeks=1&recent_days=0');
    }
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    // An API host trains nothing itself: it answered from the historical average and queued the first model for a worker.
    const before = await until(
      'the first model, trained by a worker',
      async () => {
        const v = await versions();
        return v.length > 0 ? v : undefined;
      },
      120_000,
      100,
    );
    expect(before).toHaveLength(1);

    const retrain = await api<{ jobId: string }>(hostA, '/models/retrain/demand', { method: 'POST' });
    expect(retrain.status).toBe(202);
    const running = await until(
      'the retrain running',
      async () => {
        const r = await job(retrain.body.jobId);
        return r.status === 'running' && r.worker ? r : undefined;
      },
      60_000,
      25,
    );
    const doomed = running.worker === w1.worker ? w1 : w2;
    const rescuer = doomed === w1 ? w2 : w1;
    expect(running.worker).toBe(doomed.worker);
    // Mid-way: a demand retrain validates for seconds.
    await sleep(400);
    expect((await job(retrain.body.jobId)).status).toBe('running');
    const killedAt = await kill9(doomed);
    const done = await until('the retrain done by the other worker', async () => finished(await job(retrain.body.jobId)), 120_000, 100);
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'succeeded', worker: rescuer.worker });
    figures.retrainPickupSeconds = (Date.parse(done.startedAt!) - killedAt) / 1000;
    expect(Date.parse(done.startedAt!)).toBeGreaterThan(killedAt);
    const after = await versions();
    expect(after).toHaveLength(before.length + 1);
    expect((done.result as { version: string }).version).toBe(`${DEMAND_MODEL}@${after.at(-1)!.version}`);

    // The one job that writes prediction rows (past forecasts, keyed by its id), on the one worker left: killed
    // once its first rows are in, then a new worker takes it over after the stall interval.
    const rows = (jobId: string) => database.db.selectFrom('analytics_predictions').select(['target_id', 'target_date', 'prediction_date']).where('job_id', '=', jobId).execute();
    const backfill = producer!.jobs.enqueue('demand.backfill', {});
    // Killed as soon as rows are stored (all of them may be by then: the job still has its matching to do).
    const partial = await until(
      'the backfill running with rows stored',
      async () => {
        const r = await job(backfill.id);
        return r.status === 'running' && (await rows(backfill.id)).length > 0 ? r : undefined;
      },
      60_000,
      50,
    );
    expect(partial.worker).toBe(rescuer.worker);
    const partialRows = (await rows(backfill.id)).length;
    const killed2At = await kill9(rescuer);
    const fresh = start('worker 3', ['worker', '--concurrency', '2']);
    const filled = await until('the backfill done by the new worker', async () => finished(await job(backfill.id)), 120_000, 100);
    expect(filled, JSON.stringify(filled)).toMatchObject({ status: 'succeeded', worker: fresh.worker });
    figures.backfillPickupSeconds = (Date.parse(filled.startedAt!) - killed2At) / 1000;
    const stored = await rows(backfill.id);
    const keys = stored.map((r) => `${r.target_id}|${r.target_date}|${r.prediction_date}`);
    figures.backfillRows = { atKill: partialRows, final: stored.length };
    expect(stored.length).toBe((filled.result as { recorded: number }).recorded);
    expect(new Set(keys).size).toBe(keys.length);
  }, 300_000);

  it('a model activated through host A changes host B’s answer within 1 s', async () => {
    const category = (await api<{ classes: { category: string }[] }>(hostB, '/rental-classes')).body.classes[0]!.category;
    const path = `/demand/forecast?weeks=1&recent_days=0&category=${encodeURIComponent(category)}`;
    const held = (await api<{ modelVersion: string }>(hostB, path)).body.modelVersion;
    // Asked twice: now B answers from its own memory, and trusts its copy of the active version for 10 s.
    expect((await api<{ modelVersion: string; cached: boolean }>(hostB, path)).body).toMatchObject({ modelVersion: held, cached: true });
    const other = (await versions()).find((v) => `${DEMAND_MODEL}@${v.version}` !== held)!;
    const activation = await api<{ activated: { versionTag: string } }>(hostA, '/models/activate', { method: 'POST', body: { model: DEMAND_MODEL, version: other.version } });
    expect(activation.status).toBe(200);
    expect(activation.body.activated.versionTag).toBe(`${DEMAND_MODEL}@${other.version}`);
    let seen = held;
    let answeredAt = 0;
    const polls: number[] = [];
    while (Date.now() - activation.at < 3000) {
      const asked = Date.now();
      const r = await api<{ modelVersion: string }>(hostB, path);
      polls.push(r.at - asked);
      seen = r.body.modelVersion;
      answeredAt = r.at;
      if (seen !== held) break;
      await sleep(20);
    }
    figures.activationPropagationMs = answeredAt - activation.at;
    figures.activationPollsMs = polls;
    expect(seen).toBe(`${DEMAND_MODEL}@${other.version}`);
    expect(answeredAt - activation.at).toBeLessThan(1000);
  }, 30_000);

  it('the recurring match-actuals gives one run per period with both hosts (and the workers) up, not one per process', async () => {
    // At least four periods since everything was up.
    await sleep(Math.max(0, allUpAt + 4.5 * PERIOD_MS - Date.now()));
    const listed = (await api<{ jobs: JobRecord[] }>(hostA, '/jobs?limit=500')).body.jobs.filter((j) => j.name === 'demand.match-actuals');
    const slots = listed.map((j) => Number(/^repeat:demand\.match-actuals:(\d+)$/.exec(j.id)?.[1] ?? Number.NaN)).sort((x, y) => x - y);
    // Every run is the scheduler's (no process queued its own), one per slot, slots at least a period apart (a
    // slot missed while no worker was up is skipped, and the next one may be re-aligned: a gap of 1.5 periods).
    expect(slots.every(Number.isFinite), listed.map((j) => j.id).join(', ')).toBe(true);
    const gaps = slots.slice(1).map((s, i) => s - slots[i]!);
    expect(
      gaps.every((g) => g >= PERIOD_MS),
      `gaps ${gaps.join(', ')}`,
    ).toBe(true);
    const ran = slots.filter((s) => s >= allUpAt - PERIOD_MS && s <= Date.now());
    const periods = (Date.now() - allUpAt) / PERIOD_MS;
    figures.schedule = { periods: Number(periods.toFixed(1)), runsSinceAllUp: ran.length, runs: slots.length, gapsMs: gaps };
    // At most one per period, where a timer in each of the four processes would give four.
    expect(ran.length).toBeLessThanOrEqual(Math.ceil(periods) + 1);
    // A floor loose enough for a loaded machine (a slot whose job waits past the next one is skipped), well above
    // the old timers' single run per data version.
    expect(ran.length).toBeGreaterThanOrEqual(Math.max(3, Math.floor(periods / 3)));
  }, 60_000);
});

describe('RFID3_REDIS_PREFIX', () => {
  it('sets the key prefix of the cache, and so of the cluster channel, from the environment or the config file', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'rfid3-prefix-'));
    try {
      writeFileSync(join(cwd, 'rfid3.config.json'), JSON.stringify({ plugins: [], pluginsMode: 'replace', databaseUrl: 'sqlite::memory:', redisPrefix: 'from-file:' }));
      expect(loadHostConfig({ cwd, env: {} }).redisPrefix).toBe('from-file:');
      const config = loadHostConfig({ cwd, env: { RFID3_REDIS_PREFIX: 'site-b:' } });
      expect(config.redisPrefix).toBe('site-b:');
      const runtime = await createHostRuntime(config, silentLogger());
      try {
        expect(runtime.config.cache.keyPrefix).toBe('site-b:');
      } finally {
        await runtime.close();
      }
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe('POST /models/activate (SQLite in memory)', () => {
  it('activates a stored version (admin only); a bad body is a 400 naming the field, an unknown model or version a 404', async () => {
    const app = await serve(await testRuntime());
    try {
      const registry = app.runtime.registry;
      await registry.register({ modelName: 'toy.m', modelType: 'toy', artifact: { v: 1 }, validation: { metric: 'mae', value: 1 } });
      await registry.register({ modelName: 'toy.m', modelType: 'toy', artifact: { v: 2 }, validation: { metric: 'mae', value: 9 } });
      expect((await registry.getActive('toy.m'))?.version).toBe(1);
      const keys = new ApiKeyStore({ database: app.runtime.database });
      const admin = (await keys.create('admin', 'admin')).key;
      const operate = (await keys.create('ops', 'operate')).key;
      const post = (key: string, body: unknown) =>
        fetch(`${app.url}/api/predictive/models/activate`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      expect((await post(operate, { model: 'toy.m', version: 2 })).status).toBe(403);
      const bad = await post(admin, { model: 'toy.m', version: 'two' });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(await bad.json())).toContain('body.version');
      const noVersion = await post(admin, { model: 'toy.m', version: 7 });
      expect(noVersion.status).toBe(404);
      expect(((await noVersion.json()) as { detail: string }).detail).toContain('versions: 1, 2');
      expect((await post(admin, { model: 'nope.m', version: 1 })).status).toBe(404);
      expect((await registry.getActive('toy.m'))?.version).toBe(1);
      const ok = await post(admin, { model: 'toy.m', version: 2 });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { activated: { versionTag: string; status: string } }).activated).toMatchObject({ versionTag: 'toy.m@2', status: 'active' });
      expect((await registry.getActive('toy.m'))?.version).toBe(2);
    } finally {
      await app.close();
    }
  });
});

describe.skipIf(!services.redisUrl)('the nightly run with two hosts on BullMQ (real Redis)', () => {
  const nightlyPrefix = `rfid3-t-${randomBytes(5).toString('hex')}`;
  const opened: Runtime[] = [];
  let nightlyDir = '';
  afterAll(async () => {
    await Promise.allSettled(opened.map((r) => r.close()));
    await removeRedisKeys(services.redisUrl!, nightlyPrefix);
    if (nightlyDir) rmSync(nightlyDir, { recursive: true, force: true });
  });

  it('is one BullMQ job per cron time (here every second), not one per host', async () => {
    nightlyDir = mkdtempSync(join(tmpdir(), 'rfid3-nightly-'));
    writeFileSync(join(nightlyDir, 'rfid3.config.json'), JSON.stringify({ plugins: [], pluginsMode: 'replace', databaseUrl: 'sqlite::memory:' }));
    const env = { REDIS_URL: services.redisUrl!, RFID3_QUEUE: 'bullmq', RFID3_QUEUE_PREFIX: nightlyPrefix, RFID3_REDIS_PREFIX: `${nightlyPrefix}:c:` };
    for (let i = 0; i < 2; i++) {
      const runtime = await createHostRuntime(loadHostConfig({ cwd: nightlyDir, env }), silentLogger());
      opened.push(runtime);
      await runtime.start();
      runtime.startWorkers();
      startBackground(runtime, { webhooks: undefined, poller: undefined, scheduler: { nightly: '* * * * * *' } });
    }
    const since = Date.now();
    await sleep(4200);
    const listed = (await opened[0]!.jobs.list({ limit: 100 })).filter((j) => j.name === NIGHTLY_JOB);
    const slots = listed.map((j) => Number(/^repeat:host\.nightly:(\d+)$/.exec(j.id)?.[1])).sort((x, y) => x - y);
    const seconds = (Date.now() - since) / 1000;
    console.log(`nightly: ${slots.length} runs in ${seconds.toFixed(1)} s with two hosts`);
    expect(slots.every(Number.isFinite)).toBe(true);
    expect(slots.slice(1).every((s, i) => s - slots[i]! >= 1000)).toBe(true);
    expect(slots.length).toBeGreaterThanOrEqual(2);
    expect(slots.length).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
    expect(listed.every((j) => j.status !== 'failed')).toBe(true);
  }, 30_000);
});
