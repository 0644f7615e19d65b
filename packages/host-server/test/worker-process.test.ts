import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coreMigrations, createDatabase, DEFAULT_CLOSED_HOLIDAYS, migrate } from '@rfid3/core';
import { simulate } from '@rfid3/core/simulator';
import { removeRedisKeys } from '@rfid3/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { ANSWER_JOB, HostScheduler } from '../src/ops/scheduler.js';
import { runCli } from '../src/run-cli.js';
import { startServer } from '../src/server.js';
import { startWorker } from '../src/worker.js';

const redisUrl = process.env.REDIS_URL;
if (!redisUrl && process.env.RFID3_REQUIRE_SERVICES === '1') throw new Error('RFID3_REQUIRE_SERVICES=1 but REDIS_URL is not set');
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const prefix = `rfid3-t-${randomBytes(5).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'rfid3-worker-'));

async function run(args: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => ((out += s), true) } as never,
    stderr: { write: (s: string) => ((err += s), true) } as never,
    env: { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'cli.db')}`, ...env },
    cwd: dir,
  });
  return { code, out, err };
}

describe('worker and role options', () => {
  it('refuse what cannot work, naming the option', async () => {
    const noQueue = await run(['worker'], { RFID3_QUEUE: 'in-process' });
    expect(noQueue.code).not.toBe(0);
    expect(noQueue.err).toMatch(/RFID3_QUEUE=bullmq/);
    const api = await run(['serve', '--role', 'api', '--port', '0'], { RFID3_QUEUE: 'in-process' });
    expect(api.code).not.toBe(0);
    expect(api.err).toMatch(/--role api/);
    expect((await run(['serve', '--role', 'cook'])).err).toMatch(/--role must be one of api, worker, all/);
    expect((await run(['worker', '--concurrency', '0'], { RFID3_QUEUE: 'bullmq', REDIS_URL: redisUrl ?? 'redis://127.0.0.1:1' })).err).toMatch(/--concurrency/);
    expect((await run(['worker'], { RFID3_QUEUE: 'celery' })).err).toMatch(/RFID3_QUEUE must be/);
  });
});

describe.skipIf(!redisUrl)('rfid3 worker process (real Redis)', () => {
  afterAll(async () => {
    await removeRedisKeys(redisUrl!, prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('an api host queues a retrain it does not run; a worker runs it; the host reports it', async () => {
    const env = { ...process.env, RFID3_QUEUE: 'bullmq', RFID3_QUEUE_PREFIX: prefix, REDIS_URL: redisUrl!, DATABASE_URL: `sqlite:${join(dir, 'shared.db')}`, LOG_LEVEL: 'silent' };
    const api = await startServer({ cwd: dir, env, handleSignals: false, role: 'api', overrides: { port: 0, host: '127.0.0.1' } });
    try {
      const key = api.runtime.jobs.enqueue('demand.retrain', {});
      const queued = await fetch(`${api.url}/api/predictive/jobs/${key.id}`).then((r) => r.json() as Promise<{ status: string }>);
      expect(queued.status).toBe('queued');
      await new Promise((r) => setTimeout(r, 300));
      expect((await api.runtime.jobs.get(key.id))?.status).toBe('queued');
      const worker = await startWorker({ cwd: dir, env, handleSignals: false, queues: ['demand'] });
      try {
        expect(worker.queues).toEqual(['demand']);
        const done = await api.runtime.jobs.waitFor(key.id);
        expect(done.status).toBe('succeeded');
        const seen = await fetch(`${api.url}/api/predictive/jobs?state=succeeded`).then((r) => r.json() as Promise<{ runner: string; jobs: { id: string }[] }>);
        expect(seen.runner).toBe('bullmq');
        expect(seen.jobs.map((j) => j.id)).toContain(key.id);
        expect(await fetch(`${api.url}/metrics`).then((r) => r.text())).toMatch(/rfid3_jobs\{state="succeeded"\} [1-9]/);
      } finally {
        await worker.close();
      }
    } finally {
      await api.close();
    }
  }, 60_000);

  it('takes jobs from every plugin queue, and on SIGTERM stops, closes its connections and exits 0 within 30 s', async () => {
    const child = spawn(process.execPath, [cli, 'worker', '--concurrency', '2'], {
      cwd: dir,
      env: { ...process.env, RFID3_QUEUE: 'bullmq', RFID3_QUEUE_PREFIX: prefix, REDIS_URL: redisUrl!, DATABASE_URL: `sqlite:${join(dir, 'worker.db')}`, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      for (let i = 0; i < 300 && !log.includes('taking jobs'); i++) await new Promise((r) => setTimeout(r, 100));
      const taking = log.split('\n').find((l) => l.includes('taking jobs'));
      expect(taking, log).toBeDefined();
      expect(JSON.parse(taking!)).toMatchObject({ concurrency: 2, queues: expect.arrayContaining(['demand', 'maintenance', 'kpis']) });
      const sent = Date.now();
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'late'>((r) => setTimeout(() => r('late'), 30_000))]);
      expect(code).toBe(0);
      expect(Date.now() - sent).toBeLessThan(30_000);
      expect(log).toContain('worker stopped');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);

  it('after a model activation, queues one host.answer per precomputed path; the workers answer each, and a second host asking adds none', async () => {
    const url = `sqlite:${join(dir, 'answers.db')}`;
    const seed = createDatabase(url);
    await migrate(seed, 'core', coreMigrations);
    await simulate(seed, { items: 80, days: 150, seed: 3, closedHolidays: DEFAULT_CLOSED_HOLIDAYS });
    await seed.close();
    const env = { ...process.env, RFID3_QUEUE: 'bullmq', RFID3_QUEUE_PREFIX: `${prefix}-answers`, REDIS_URL: redisUrl!, DATABASE_URL: url, LOG_LEVEL: 'silent' };
    const api = await startServer({ cwd: dir, env, handleSignals: false, role: 'api', overrides: { port: 0, host: '127.0.0.1' } });
    const workers = [await startWorker({ cwd: dir, env, handleSignals: false }), await startWorker({ cwd: dir, env, handleSignals: false })];
    try {
      // Two hosts' schedulers: both see the activation and ask for the same round.
      const hosts = [new HostScheduler(api.runtime), new HostScheduler(api.runtime)];
      for (const h of hosts) await h.tick();
      await api.runtime.registry.register({ modelName: 'probe.activated', modelType: 'test', artifact: { a: 1 }, validation: { metric: 'mae', value: 1 } });
      for (const h of hosts) await h.tick();
      const paths = await hosts[0]!.precomputePaths();
      expect(paths.length).toBeGreaterThan(5);
      // The workers share this process's event loop, busy with SQLite's synchronous reads: a read of Redis that
      // meets a busy loop answers 503 after 2 s, and is made again.
      const patiently = async <T>(read: () => Promise<T>): Promise<T> => {
        for (;;) {
          try {
            return await read();
          } catch (err) {
            if ((err as { status?: number }).status !== 503) throw err;
          }
        }
      };
      const answers = () => patiently(() => api.runtime.jobs.list({ limit: 500 })).then((all) => all.filter((j) => j.name === ANSWER_JOB));
      const queued = await answers();
      expect(queued).toHaveLength(paths.length);
      const done = [];
      for (const j of queued) done.push(await patiently(() => api.runtime.jobs.waitFor(j.id)));
      expect(done.filter((j) => j.status !== 'succeeded').map((j) => `${j.id}: ${j.error}`)).toEqual([]);
      expect(done.map((j) => (j.result as { path: string }).path).sort()).toEqual([...paths].sort());
      expect(await answers()).toHaveLength(paths.length);
    } finally {
      for (const w of workers) await w.close();
      await api.close();
      await removeRedisKeys(redisUrl!, `${prefix}-answers`);
    }
  }, 180_000);
});
