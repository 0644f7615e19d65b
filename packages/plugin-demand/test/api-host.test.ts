import { randomBytes } from 'node:crypto';
import { externalServices, removeRedisKeys, startTestHost } from '@rfid3/core/testing';
import { describe, expect, it } from 'vitest';
import { demandModelName, demandPlugin } from '../src/index.js';

// BullMQ needs Redis; the database is the test host's SQLite in memory.
const services = await externalServices();

describe.skipIf(!services.redisUrl)('an API host (BullMQ, no workers in this process) and the first demand model', { timeout: 300_000 }, () => {
  it('answers from the historical average, labelled, and queues one retrain for a worker instead of training on its own event loop', async () => {
    const prefix = `rfid3-t-${randomBytes(5).toString('hex')}`;
    const host = await startTestHost({
      plugins: [{ plugin: demandPlugin, config: { matchActualsEveryMinutes: 0 } }],
      simulate: { items: 150, days: 300 },
      config: {
        redisUrl: services.redisUrl!,
        jobs: { runner: 'bullmq', prefix },
        cluster: { prefix },
        cache: { keyPrefix: `${prefix}:cache:` },
        kpis: { matchImpactEveryMinutes: 0 },
      },
    });
    try {
      expect(host.runtime.jobs.runsJobsHere).toBe(false);
      const first = await host.predict('demand.daily', { weeks: 1 });
      expect(first.predictions.length).toBeGreaterThan(0);
      expect(new Set(first.predictions.map((p) => p.source))).toEqual(new Set(['historical_average']));
      expect(await host.runtime.registry.getActive(demandModelName)).toBeNull();
      const retrains = async () => (await host.runtime.jobs.list({ limit: 50 })).filter((j) => j.name === 'demand.retrain');
      // No worker runs yet, so nothing blocks this event loop: the reads below answer in time.
      const queued = await retrains();
      expect(queued).toHaveLength(1);
      // Asked again: the same fallback, no second job.
      await host.predict('demand.daily', { weeks: 2 });
      expect(await retrains()).toHaveLength(1);
      // A worker (here: this process once it takes jobs) trains it, and the forecast moves to the model.
      host.runtime.startWorkers({ queues: ['demand'] });
      expect(host.runtime.jobs.runsJobsHere).toBe(true);
      // The training blocks this same process's event loop at times, so a Redis read may time out here: ask again.
      let status: string | undefined;
      for (const end = Date.now() + 240_000; Date.now() < end && status !== 'succeeded' && status !== 'failed'; ) {
        status = (await host.runtime.jobs.get(queued[0]!.id).catch(() => undefined))?.status;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(status).toBe('succeeded');
      expect(await host.runtime.registry.getActive(demandModelName)).not.toBeNull();
    } finally {
      await host.close();
      await removeRedisKeys(services.redisUrl!, prefix);
    }
  });
});
