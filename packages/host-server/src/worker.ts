import type { Logger, Runtime, WorkerOptions } from '@rfid3/core';
import { createLogger } from '@rfid3/core';
import type { HostConfig, LoadHostConfigOptions } from './config.js';
import { loadHostConfig } from './config.js';
import { createHostRuntime } from './server.js';
import { gracefulShutdown } from './shutdown.js';

/** Options of `startWorker`: the configuration, the queues and the shutdown grace period. */
export interface StartWorkerOptions extends LoadHostConfigOptions, WorkerOptions {
  config?: HostConfig;
  logger?: Logger;
  /** Close gracefully on SIGINT and SIGTERM (default true). */
  handleSignals?: boolean;
  /** How long a running job may take to finish on shutdown before it is released to another worker (default 20 s). */
  shutdownGraceMs?: number;
}

/** A running job worker: its runtime, the queues it takes jobs from, and how to close it. */
export interface WorkerHandle {
  runtime: Runtime;
  queues: string[];
  /** Stops taking jobs, lets the running one finish, and closes the runtime. */
  close(): Promise<void>;
  closed: Promise<void>;
}

/**
 * `rfid3 worker`: loads the plugins and executes their jobs from the BullMQ queues, serving no HTTP. On
 * SIGTERM it stops taking jobs, lets the running one finish (or releases it after the grace period), closes
 * its connections and resolves `closed`.
 */
export async function startWorker(options: StartWorkerOptions = {}): Promise<WorkerHandle> {
  const config = options.config ?? loadHostConfig(options);
  if (config.jobs.runner !== 'bullmq') throw new Error('a worker takes jobs from Redis: set RFID3_QUEUE=bullmq (or "jobs": "bullmq") and REDIS_URL');
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  // Jobs read and write the primary only: a worker opens no connection to the read replicas.
  const runtime = await createHostRuntime({ ...config, databaseReadUrls: [] }, logger);
  let queues: string[];
  try {
    await runtime.start();
    // A worker serves no HTTP: a full collection when its jobs end costs no request anything.
    queues = runtime.startWorkers({ concurrency: options.concurrency, queues: options.queues, collectBetweenJobs: options.collectBetweenJobs ?? true });
  } catch (err) {
    await runtime.close();
    throw err;
  }
  const { close, closed } = gracefulShutdown(
    logger,
    options.handleSignals !== false,
    async () => {
      const jobs = runtime.jobs as { close(graceMs?: number): Promise<void> };
      await jobs.close(options.shutdownGraceMs ?? 20_000);
      await runtime.close();
      logger.info('worker stopped');
    },
    'worker shutting down: no new jobs',
  );
  return { runtime, queues, close, closed };
}
