// A worker process for the queue tests: core's dist, the qtest plugin, BullMQ settings from the environment.
import * as core from '../../dist/index.js';
import { queuePlugin } from './queue-plugin.mjs';

const runtime = await core.createRuntime({
  config: {
    databaseUrl: process.env.QTEST_DATABASE_URL,
    redisUrl: process.env.REDIS_URL,
    jobs: { runner: 'bullmq', prefix: process.env.QTEST_PREFIX, lockDurationMs: 1000, stalledIntervalMs: 500 },
    cluster: { prefix: process.env.QTEST_PREFIX },
    kpis: { matchImpactEveryMinutes: 0 },
  },
  logger: core.silentLogger(),
  plugins: [queuePlugin(core, { label: process.env.QTEST_LABEL })],
});
await runtime.start();
runtime.startWorkers({ concurrency: 1, queues: ['qtest'] });
process.stdout.write('ready\n');
