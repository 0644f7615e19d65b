import { defineEndpoint, definePlugin, DependencyUnavailableError, HttpProblem, type Runtime } from '@rfid3/core';
import { afterEach, describe, expect, it } from 'vitest';
import { ANSWER_JOB, registerHostJobs } from '../src/ops/scheduler.js';
import { testRuntime } from './helpers.js';

/** Endpoints that fail as unavailable a given number of times, or otherwise, counting their calls. */
function flakyPlugin(calls: Map<string, number>) {
  const count = (path: string) => {
    const n = (calls.get(path) ?? 0) + 1;
    calls.set(path, n);
    return n;
  };
  return definePlugin({
    id: 'flaky',
    version: '1.0.0',
    coreRange: '>=0.1.0',
    register(env) {
      env.endpoint(
        defineEndpoint({
          method: 'GET',
          path: '/flaky/twice',
          summary: 'Unavailable twice, then answers',
          role: 'read',
          handler: () => {
            if (count('/flaky/twice') <= 2) throw new DependencyUnavailableError('database', 'busy', { retryAfterSeconds: 1 });
            return { ok: true };
          },
        }),
        defineEndpoint({
          method: 'GET',
          path: '/flaky/always',
          summary: 'Always unavailable',
          role: 'read',
          handler: () => {
            count('/flaky/always');
            throw new DependencyUnavailableError('database', 'down', { retryAfterSeconds: 1 });
          },
        }),
        defineEndpoint({
          method: 'GET',
          path: '/flaky/broken',
          summary: 'A fault of ours: a 500, never asked again',
          role: 'read',
          handler: () => {
            count('/flaky/broken');
            throw new Error('a bug');
          },
        }),
        defineEndpoint({
          method: 'GET',
          path: '/flaky/refused',
          summary: 'A 400, never asked again',
          role: 'read',
          handler: () => {
            count('/flaky/refused');
            throw HttpProblem.badRequest('no');
          },
        }),
      );
    },
  });
}

describe(`${ANSWER_JOB}`, () => {
  let runtime: Runtime | undefined;
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
  });

  it('asks again after the Retry-After of an unavailable (503) answer, up to three times, and fails at once on any other error', async () => {
    const calls = new Map<string, number>();
    runtime = await testRuntime([flakyPlugin(calls)]);
    registerHostJobs(runtime);
    const run = async (path: string) => {
      const t = performance.now();
      const record = await runtime!.jobs.waitFor(runtime!.jobs.enqueue(ANSWER_JOB, { path }).id);
      return { record, seconds: (performance.now() - t) / 1000 };
    };

    const twice = await run('/flaky/twice');
    expect(twice.record.status).toBe('succeeded');
    expect(twice.record.result).toEqual({ path: '/flaky/twice', status: 200, attempts: 3 });
    expect(twice.seconds).toBeGreaterThanOrEqual(1.9);

    const always = await run('/flaky/always');
    expect(always.record.status).toBe('failed');
    expect(String(always.record.error)).toContain('Service Unavailable');
    expect(calls.get('/flaky/always')).toBe(3);

    for (const path of ['/flaky/broken', '/flaky/refused']) {
      const once = await run(path);
      expect(once.record.status).toBe('failed');
      expect(calls.get(path)).toBe(1);
    }
  }, 20_000);
});
