import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as core from '../src/index.js';
import { externalServices, removeRedisKeys, type ExternalServices } from '../src/testing/index.js';
import { queuePlugin } from './support/queue-plugin.mjs';

const { coreServices, createRuntime, definePlugin, definePredictor, silentLogger } = core;
type Runtime = core.Runtime;

const services: ExternalServices = await externalServices();
const ready = Boolean(services.mysqlUrl && services.redisUrl);
// One prefix per run for BullMQ's keys and the cluster channel; removed afterwards (never FLUSHALL a shared Redis).
const prefix = `rfid3-t-${randomBytes(5).toString('hex')}`;
const opened: Runtime[] = [];

async function host(extra: { plugins?: core.AnyPlugin[]; label?: string; onTick?: () => void } = {}): Promise<Runtime> {
  const runtime = await createRuntime({
    config: {
      databaseUrl: services.mysqlUrl!,
      redisUrl: services.redisUrl!,
      jobs: { runner: 'bullmq', prefix, lockDurationMs: 1000, stalledIntervalMs: 500 },
      cluster: { prefix },
      cache: { keyPrefix: `${prefix}:cache:` },
      kpis: { matchImpactEveryMinutes: 0 },
    },
    logger: silentLogger(),
    plugins: extra.plugins ?? [queuePlugin(core, { label: extra.label, onTick: extra.onTick })],
  });
  opened.push(runtime);
  await runtime.start();
  return runtime;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(check: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

describe.skipIf(!ready)('BullMQ job runner (real Redis and MariaDB)', () => {
  // Each test's hosts stop before the next starts, so no worker of an earlier test takes a later test's jobs.
  afterEach(async () => {
    await Promise.allSettled(opened.splice(0).map((r) => r.close()));
  });
  afterAll(async () => {
    await removeRedisKeys(services.redisUrl!, prefix);
    await services.cleanup();
  });

  it('a duplicate enqueue, from this host or another, is one job; progress and state read back over the API', async () => {
    const a = await host();
    const b = await host();
    const first = a.jobs.enqueue('qtest.work', { i: 'dup', ms: 600 });
    const again = a.jobs.enqueue('qtest.work', { i: 'dup', ms: 600 });
    const fromB = b.jobs.enqueue('qtest.work', { i: 'dup', ms: 600 });
    expect(again.id).toBe(first.id);
    expect(fromB.id).toBe(first.id);
    expect((await a.jobs.list({ status: 'queued' })).filter((j) => j.name === 'qtest.work')).toHaveLength(1);
    b.startWorkers({ queues: ['qtest'] });
    await until(async () => (await a.jobs.get(first.id))?.status === 'running', 5000);
    const active = (await a.call('GET', '/jobs?state=active')).body as { runner: string; jobs: core.JobRecord[] };
    expect(active.runner).toBe('bullmq');
    expect(active.jobs.map((j) => j.id)).toEqual([first.id]);
    const done = await a.jobs.waitFor(first.id);
    expect(done).toMatchObject({ status: 'succeeded', progress: 1, result: { i: 'dup' } });
    expect(((await a.call('GET', `/jobs/${first.id}`)).body as core.JobRecord).status).toBe('succeeded');
    // Asking for the same work again on unchanged data answers the finished job.
    const retrain = (await a.call('POST', '/models/retrain/qtest', { principal: { keyId: 'k', name: 'ops', role: 'operate' } })).body as { jobId: string };
    const done2 = await a.jobs.waitFor(retrain.jobId);
    const repeat = (await a.call('POST', '/models/retrain/qtest', { principal: { keyId: 'k', name: 'ops', role: 'operate' } })).body as { jobId: string; status: string };
    expect(repeat).toMatchObject({ jobId: retrain.jobId, status: 'succeeded' });
    expect(done2.status).toBe('succeeded');
    expect((await a.registry.history('qtest.model')).length).toBe(1);
    const bad = await a.call('GET', '/jobs?state=sleeping').catch((e: unknown) => e as core.HttpProblem);
    expect((bad as core.HttpProblem).status).toBe(400);
    // A new data version (data changed on any host) is a new job for the same request.
    await b.events.emit('data-changed', { source: 'test', tables: ['id_transactions'] });
    await until(async () => a.jobs.enqueue('qtest.work', { i: 'dup', ms: 1 }).id !== first.id && true, 2000);
  });

  it('two workers share 40 jobs, each run once', async () => {
    const producer = await host();
    const w1 = await host({ label: 'w1' });
    const w2 = await host({ label: 'w2' });
    w1.startWorkers({ concurrency: 2, queues: ['qtest'] });
    w2.startWorkers({ concurrency: 2, queues: ['qtest'] });
    const ids = Array.from({ length: 40 }, (_, i) => producer.jobs.enqueue('qtest.work', { i, ms: 40 }).id);
    expect(new Set(ids).size).toBe(40);
    const done = await Promise.all(ids.map((id) => (producer.jobs as core.BullmqJobRunner).waitFor(id, 50)));
    expect(done.every((r) => r.status === 'succeeded')).toBe(true);
    const by = done.map((r) => (r.result as { by: string }).by);
    expect(by.filter((w) => w === 'w1').length).toBeGreaterThan(0);
    expect(by.filter((w) => w === 'w2').length).toBeGreaterThan(0);
    expect(done.map((r) => (r.result as { i: number }).i).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('a worker process runs at most its concurrency across all its queues; the jobs it cannot take go to another', async () => {
    // Two plugins, so two queues: BullMQ's own concurrency is per queue, and a process would take one of each at once.
    const running = new Map<string, number>();
    const most = new Map<string, number>();
    const lane = (id: string, label: string) =>
      definePlugin({
        id,
        version: '1.0.0',
        coreRange: '*',
        register(env) {
          env.job('work', async (payload: { i: number }) => {
            running.set(label, (running.get(label) ?? 0) + 1);
            most.set(label, Math.max(most.get(label) ?? 0, running.get(label)!));
            await sleep(150);
            running.set(label, running.get(label)! - 1);
            return { i: payload.i, by: label };
          });
        },
      });
    const worker = async (label: string) => host({ plugins: [lane('qlane1', label), lane('qlane2', label)] });
    const producer = await worker('producer');
    const w1 = await worker('w1');
    const w2 = await worker('w2');
    w1.startWorkers({ concurrency: 1 });
    w2.startWorkers({ concurrency: 1 });
    const ids = Array.from({ length: 12 }, (_, i) => producer.jobs.enqueue(i % 2 ? 'qlane1.work' : 'qlane2.work', { i }).id);
    const done = [];
    for (const id of ids) done.push(await (producer.jobs as core.BullmqJobRunner).waitFor(id, 50));
    expect(done.map((r) => r.status)).toEqual(ids.map(() => 'succeeded'));
    expect(most.get('w1')).toBe(1);
    expect(most.get('w2')).toBe(1);
    const by = done.map((r) => (r.result as { by: string }).by);
    expect(by.filter((w) => w === 'w1').length).toBeGreaterThanOrEqual(3);
    expect(by.filter((w) => w === 'w2').length).toBeGreaterThanOrEqual(3);
    // A job handed back is not a failed attempt.
    expect(done.every((r) => !r.error)).toBe(true);
  });

  it('two hosts scheduling the same recurring job produce one run per period, not two', async () => {
    let runs = 0;
    const onTick = () => runs++;
    const a = await host({ onTick });
    const b = await host({ onTick });
    a.startWorkers({ queues: ['qtest'] });
    b.startWorkers({ queues: ['qtest'] });
    await Promise.all([a.jobs.schedule('qtest.tick', 500), b.jobs.schedule('qtest.tick', 500)]);
    const started = Date.now();
    await sleep(2600);
    const periods = (Date.now() - started) / 500;
    // One run per period (± the edges), where a timer on each host would give about twice as many.
    expect(runs).toBeGreaterThanOrEqual(Math.floor(periods) - 1);
    expect(runs).toBeLessThanOrEqual(Math.ceil(periods) + 1);
  });

  it('a period of 0 removes the job scheduler another host made: no more runs', async () => {
    let runs = 0;
    const a = await host({ onTick: () => runs++ });
    a.startWorkers({ queues: ['qtest'] });
    await a.jobs.schedule('qtest.tick', 300);
    await until(async () => runs >= 2, 5_000);
    // Another host (a later deployment) configured with the job off.
    const b = await host();
    await core.keepSchedule(b.jobs, 'qtest.tick', 0, silentLogger());
    await sleep(400);
    const after = runs;
    await sleep(1_200);
    expect(runs).toBeLessThanOrEqual(after + 1);
    expect(await b.jobs.unschedule('qtest.tick')).toBe(false);
  });

  it('a model activated through host A changes host B’s answer within 1 s', async () => {
    const modelPlugin = definePlugin({
      id: 'qmodel',
      version: '1.0.0',
      coreRange: '*',
      requires: { registry: coreServices.modelRegistry },
      register(env) {
        env.predictor(
          definePredictor({
            id: 'qmodel.value',
            description: 'the active version’s artifact value',
            querySchema: z.object({}),
            modelVersion: async () => (await env.deps.registry.getActive('qmodel.m'))?.versionTag ?? 'none',
            async predict() {
              const m = await env.deps.registry.getActive<{ value: number }>('qmodel.m');
              return [
                {
                  predictionType: 'qmodel',
                  target: { type: 'all', id: 'all' },
                  value: m?.artifact.value ?? 0,
                  confidence: 1,
                  model: { name: 'qmodel.m', version: m?.versionTag ?? 'none', type: 'toy' },
                  source: 'model',
                  drivers: [],
                },
              ];
            },
            cacheTtlSeconds: 3600,
          }),
        );
      },
    });
    const a = await host({ plugins: [modelPlugin] });
    const b = await host({ plugins: [modelPlugin] });
    await a.registry.register({ modelName: 'qmodel.m', modelType: 'toy', artifact: { value: 1 }, validation: { metric: 'mae', value: 5 } });
    await a.registry.register({ modelName: 'qmodel.m', modelType: 'toy', artifact: { value: 2 }, validation: { metric: 'mae', value: 9 } });
    const answer = async (r: Runtime) => (await r.predict('qmodel.value', {})).predictions[0]!.value;
    expect(await answer(b)).toBe(1);
    expect(await answer(b)).toBe(1); // now cached in B's L1, and B holds the active version for 10 s
    const activatedAt = Date.now();
    await a.registry.activate('qmodel.m', 2);
    await until(async () => (await answer(b)) === 2, 1000);
    expect(Date.now() - activatedAt).toBeLessThan(1000);
  });

  it('a worker told to stop finishes its running job, or, past the grace period, releases it to another worker', async () => {
    const api = await host();
    const finisher = await host({ label: 'finisher' });
    finisher.startWorkers({ queues: ['qtest'] });
    const first = api.jobs.enqueue('qtest.work', { i: 'finish', ms: 800 });
    await until(async () => (await api.jobs.get(first.id))?.status === 'running', 5000);
    await (finisher.jobs as core.BullmqJobRunner).close(10_000);
    expect(await api.jobs.get(first.id)).toMatchObject({ status: 'succeeded', result: { by: 'finisher' } });

    const leaver = await host({ label: 'leaver' });
    leaver.startWorkers({ queues: ['qtest'] });
    const second = api.jobs.enqueue('qtest.work', { i: 'release', ms: 2500 });
    await until(async () => (await api.jobs.get(second.id))?.status === 'running', 5000);
    const asked = Date.now();
    await (leaver.jobs as core.BullmqJobRunner).close(200);
    expect(Date.now() - asked).toBeLessThan(2000);
    const taker = await host({ label: 'taker' });
    taker.startWorkers({ queues: ['qtest'] });
    const done = await (api.jobs as core.BullmqJobRunner).waitFor(second.id, 100);
    expect(done).toMatchObject({ status: 'succeeded', result: { by: 'taker' } });
  }, 30_000);

  it('a worker killed with -9 mid-retrain: another worker completes the job once (one model version, no duplicate predictions)', async () => {
    const api = await host();
    const script = fileURLToPath(new URL('./support/queue-worker.mjs', import.meta.url));
    const child: ChildProcess = spawn(process.execPath, [script], {
      env: { ...process.env, QTEST_DATABASE_URL: services.mysqlUrl!, QTEST_PREFIX: prefix, QTEST_LABEL: 'doomed' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await until(async () => child.stdout!.read()?.toString().includes('ready'), 20_000);
      const versionsBefore = (await api.registry.history('qtest.model')).length;
      const rowsBefore = (await api.database.db.selectFrom('analytics_predictions').select('id').where('prediction_type', '=', 'qtest').execute()).length;
      // A payload of its own: the retrain of the first test, on the same data, would be the same job.
      const job = api.jobs.enqueue('qtest.retrain', { run: 'kill' });
      // Past the half-way writes: the model version and the predictions are in the database.
      await until(async () => ((await api.jobs.get(job.id))?.progress ?? 0) >= 0.15, 10_000);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const rescuer = await host({ label: 'rescuer' });
      rescuer.startWorkers({ queues: ['qtest'] });
      const done = await until(async () => {
        const r = await api.jobs.get(job.id);
        return r && (r.status === 'succeeded' || r.status === 'failed') ? r : undefined;
      }, 15_000);
      expect(done.status).toBe('succeeded');
      expect((await api.registry.history('qtest.model')).length).toBe(versionsBefore + 1);
      const rows = await api.database.db.selectFrom('analytics_predictions').select(['target_date', 'job_id']).where('prediction_type', '=', 'qtest').execute();
      expect(rows).toHaveLength(rowsBefore + 3);
      expect(rows.filter((r) => r.job_id === job.id)).toHaveLength(3);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 40_000);
});
