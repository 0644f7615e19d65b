import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger, Runtime, WorkerOptions } from '@rfid3/core';
import { createLogger, createRuntime } from '@rfid3/core';
import { createApp } from './app.js';
import type { HostConfig, LoadHostConfigOptions } from './config.js';
import { loadHostConfig } from './config.js';
import { startBackground } from './ops/background.js';
import { registerHostJobs } from './ops/scheduler.js';
import { loadPlugins } from './plugins.js';
import { gracefulShutdown } from './shutdown.js';

/** Options of `startServer` beyond where the configuration is read from. */
export interface StartServerOptions extends LoadHostConfigOptions {
  /** A config already loaded; otherwise it is read from the file and environment. */
  config?: HostConfig;
  logger?: Logger;
  /** Close gracefully on SIGINT and SIGTERM (default true). Tests turn it off. */
  handleSignals?: boolean;
  /** How long open connections may take to finish on shutdown before they are cut (default 10 s). */
  shutdownGraceMs?: number;
  /** `api` serves HTTP and only enqueues jobs; `all` (default) also executes them (BullMQ mode). */
  role?: 'api' | 'all';
  /** For the `all` role in BullMQ mode: how many jobs at once and from which queues. */
  worker?: WorkerOptions;
}

/** A running server: its URL and port, runtime and HTTP server, and how to close it. */
export interface ServerHandle {
  url: string;
  port: number;
  runtime: Runtime;
  server: Server;
  /** Stops accepting connections, lets open ones finish, then closes the runtime. Safe to call twice. */
  close(): Promise<void>;
  /** Settles once the server has been closed, by `close()` or a signal. */
  closed: Promise<void>;
}

function displayUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}`;
}

/** The runtime a host or a worker runs: the config's database, Redis, job runner and plugins. */
export async function createHostRuntime(config: HostConfig, logger: Logger): Promise<Runtime> {
  const plugins = await loadPlugins(config.plugins, { baseDir: config.baseDir, mode: config.pluginsMode, logger });
  const { runner, ...jobs } = config.jobs;
  const runtime = await createRuntime({
    config: {
      databaseUrl: config.databaseUrl,
      databaseReadUrls: config.databaseReadUrls,
      databaseReadMaxLagSeconds: config.readMaxLagSeconds,
      redisUrl: config.redisUrl,
      logLevel: config.logLevel,
      jobs: { runner, ...jobs },
      cache: {
        ...(config.redisHealthWindowSeconds ? { healthWindowSeconds: config.redisHealthWindowSeconds } : {}),
        // Also the cluster channel's prefix: deployments (or test runs) sharing a Redis keep apart by it.
        ...(config.redisPrefix ? { keyPrefix: config.redisPrefix } : {}),
      },
    },
    logger,
    plugins,
    processMetrics: true,
    access: { openReads: config.openReads },
  });
  if (runner === 'bullmq') registerHostJobs(runtime);
  return runtime;
}

/** Loads the config and plugins, builds and starts the runtime, and listens on HOST:PORT. */
export async function startServer(options: StartServerOptions = {}): Promise<ServerHandle> {
  const config = options.config ?? loadHostConfig(options);
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const role = options.role ?? 'all';
  if (role === 'api' && config.jobs.runner !== 'bullmq') {
    throw new Error('--role api leaves jobs to worker processes, which needs the BullMQ runner (RFID3_QUEUE=bullmq and REDIS_URL)');
  }
  const runtime = await createHostRuntime(config, logger);

  let server: Server;
  try {
    await runtime.start();
    if (role === 'all') runtime.startWorkers(options.worker);
    const app = createApp(runtime, {
      bodyLimitBytes: config.bodyLimitBytes,
      ingestBodyLimitBytes: config.ingestBodyLimitBytes,
      logger,
      redisUrl: config.redisUrl,
      rateLimit: config.rateLimit,
      cors: config.cors,
      trustProxy: config.trustProxy,
      readYourWritesSeconds: config.readYourWritesSeconds,
    });
    startBackground(runtime, config);
    server = createServer(app.callback());
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'EADDRINUSE' ? new Error(`port ${config.port} on ${config.host} is already in use (set PORT or --port)`) : err),
      );
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (err) {
    await runtime.close();
    throw err;
  }

  const port = (server.address() as AddressInfo).port;
  const url = displayUrl(config.host, port);
  const grace = options.shutdownGraceMs ?? 10_000;
  const { close, closed } = gracefulShutdown(logger, options.handleSignals !== false, async () => {
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Keep-alive and slow clients must not hold the shutdown forever.
    const timer = setTimeout(() => server.closeAllConnections(), grace);
    timer.unref();
    await stopped;
    clearTimeout(timer);
    await runtime.close();
    logger.info('stopped');
  });

  logger.info(
    { url, role, jobs: runtime.jobs.kind, plugins: runtime.plugins.map((p) => `${p.id}@${p.version}`), database: runtime.database.displayUrl, openReads: config.openReads },
    `listening on ${url}`,
  );
  return { url, port, runtime, server, close, closed };
}
