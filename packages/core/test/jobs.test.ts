import { describe, expect, it } from 'vitest';
import { coreServices, createRuntime, definePlugin, InProcessJobRunner, keepSchedule, silentLogger, systemClock, type JobRecord, type Principal } from '../src/index.js';

const operator: Principal = { keyId: 'k1', name: 'planner', role: 'operate' };

/** A plugin whose retrain registers a new version of `toy`, each run held until the test lets it finish. */
function gatedTrainer() {
  const gates: (() => void)[] = [];
  let started = 0;
  const plugin = definePlugin({
    id: 'toy',
    version: '1.0.0',
    coreRange: '*',
    requires: { registry: coreServices.modelRegistry },
    register(env) {
      env.job('retrain', async () => {
        started++;
        await new Promise<void>((release) => gates.push(release));
        return env.deps.registry.register({ modelName: 'toy', modelType: 'toy', artifact: { run: started }, validation: { metric: 'mae', value: 10 - started } });
      });
      env.job('rescore', async () => {
        started++;
        await new Promise<void>((release) => gates.push(release));
      });
    },
  });
  return { plugin, gates, started: () => started };
}

const waitUntil = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
};

describe('retrain requests coalesce', () => {
  it('three requests while a retrain runs join it: one job, one new version, not three', async () => {
    const toy = gatedTrainer();
    const runtime = await createRuntime({ config: { databaseUrl: 'sqlite::memory:' }, logger: silentLogger(), plugins: [toy.plugin] });
    try {
      const first = (await runtime.call('POST', '/models/retrain/toy', { principal: operator })).body as { jobId: string };
      await waitUntil(() => toy.started() === 1);
      const again = await Promise.all([1, 2, 3].map(() => runtime.call('POST', '/models/retrain/toy', { principal: operator })));
      expect(again.map((r) => (r.body as { jobId: string }).jobId)).toEqual([first.jobId, first.jobId, first.jobId]);
      expect(again.map((r) => (r.body as { status: string }).status)).toEqual(['running', 'running', 'running']);
      toy.gates.shift()!();
      const done = await runtime.jobs.waitFor(first.jobId);
      expect(done.status).toBe('succeeded');
      expect(toy.started()).toBe(1);
      expect((await runtime.registry.history('toy')).map((v) => v.versionTag)).toEqual(['toy@1']);

      // Once it has finished, a new request is a new run.
      const later = (await runtime.call('POST', '/models/retrain/toy', { principal: operator })).body as { jobId: string };
      expect(later.jobId).not.toBe(first.jobId);
      await waitUntil(() => toy.started() === 2);
      toy.gates.shift()!();
      await runtime.jobs.waitFor(later.jobId);
      expect((await runtime.registry.history('toy')).map((v) => v.versionTag)).toEqual(['toy@2', 'toy@1']);
    } finally {
      await runtime.close();
    }
  });

  it('any other job runs again when asked while it runs, but requests join one that is queued and not started', async () => {
    const toy = gatedTrainer();
    const runtime = await createRuntime({ config: { databaseUrl: 'sqlite::memory:' }, logger: silentLogger(), plugins: [toy.plugin] });
    try {
      const running: JobRecord = runtime.jobs.enqueue('toy.rescore', {});
      await waitUntil(() => toy.started() === 1);
      const queued = [runtime.jobs.enqueue('toy.rescore', {}), runtime.jobs.enqueue('toy.rescore', {}), runtime.jobs.enqueue('toy.rescore', {})];
      expect(new Set(queued.map((j) => j.id)).size).toBe(1);
      expect(queued[0]!.id).not.toBe(running.id);
      expect(queued[0]!.status).toBe('queued');
      // A different payload is a different job.
      const other = runtime.jobs.enqueue('toy.rescore', { only: 'tents' });
      expect(other.id).not.toBe(queued[0]!.id);
      toy.gates.shift()!();
      await waitUntil(() => toy.started() === 2);
      toy.gates.shift()!();
      await waitUntil(() => toy.started() === 3);
      toy.gates.shift()!();
      await runtime.jobs.waitFor(other.id);
      expect(toy.started()).toBe(3);
    } finally {
      await runtime.close();
    }
  });
});

describe('recurring jobs in process', () => {
  it('scheduling a name again replaces its timer, and unschedule (or a period of 0) stops it', async () => {
    const runner = new InProcessJobRunner({ clock: systemClock, logger: silentLogger() });
    let runs = 0;
    runner.register('tick', async () => {
      runs++;
    });
    await runner.schedule('tick', 40);
    await runner.schedule('tick', 40);
    await new Promise((r) => setTimeout(r, 230));
    // One timer, not two: about 5 runs in 230 ms, where two timers would give about 10.
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(runs).toBeLessThanOrEqual(7);
    await keepSchedule(runner, 'tick', 0, silentLogger());
    await new Promise((r) => setTimeout(r, 60));
    const after = runs;
    await new Promise((r) => setTimeout(r, 150));
    expect(runs).toBe(after);
    expect(await runner.unschedule('tick')).toBe(false);
    await runner.close();
  });
});
