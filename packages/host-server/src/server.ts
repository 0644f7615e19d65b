import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger, Runtime } from '@rfid3/core';
import { createLogger, createRuntime } from '@rfid3/core';
import { createApp } from './app.js';
import type { HostConfig, LoadHostConfigOptions } from './config.js';
import { loadHostConfig } from './config.js';
import { startBackground } from './ops/background.js';
import { loadPlugins } from './plugins.js';

export interface StartServerOptions extends LoadHostConfigOptions {
  /** A config already loaded; otherwise it is read from the file and environment. */
  config?: HostConfig;
  logger?: Logger;
  /** Close gracefully on SIGINT and SIGTERM (default true). Tests turn it off. */
  handleSignals?: boolean;
  /** How long open connections may take to finish on shutdown before they are cut (default 10 s). */
  shutdownGraceMs?: number;
}

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

/** Loads the config and plugins, builds and starts the runtime, and listens on HOST:PORT. */
export async function startServer(options: StartServerOptions = {}): Promise<ServerHandle> {
  const config = options.config ?? loadHostConfig(options);
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const plugins = await loadPlugins(config.plugins, { baseDir: config.baseDir, logger });
  const runtime = await createRuntime({
    config: {
      databaseUrl: config.databaseUrl,
      redisUrl: config.redisUrl,
      logLevel: config.logLevel,
      ...(config.redisHealthWindowSeconds ? { cache: { healthWindowSeconds: config.redisHealthWindowSeconds } } : {}),
    },
    logger,
    plugins,
    processMetrics: true,
    access: { openReads: config.openReads },
  });

  let server: Server;
  try {
    await runtime.start();
    const app = createApp(runtime, {
      bodyLimitBytes: config.bodyLimitBytes,
      ingestBodyLimitBytes: config.ingestBodyLimitBytes,
      logger,
      redisUrl: config.redisUrl,
      rateLimit: config.rateLimit,
      cors: config.cors,
      trustProxy: config.trustProxy,
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
  let settle!: () => void;
  const closed = new Promise<void>((resolve) => {
    settle = resolve;
  });
  let closing: Promise<void> | undefined;

  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn({ signal }, 'second signal during shutdown; exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'shutting down');
    void close();
  };
  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (options.handleSignals !== false) {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      try {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // Keep-alive and slow clients must not hold the shutdown forever.
        const timer = setTimeout(() => server.closeAllConnections(), grace);
        timer.unref();
        await stopped;
        clearTimeout(timer);
        await runtime.close();
        logger.info('stopped');
      } finally {
        settle();
      }
    })();
    return closing;
  };
  if (options.handleSignals !== false) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  logger.info({ url, plugins: runtime.plugins.map((p) => `${p.id}@${p.version}`), database: runtime.database.displayUrl, openReads: config.openReads }, `listening on ${url}`);
  return { url, port, runtime, server, close, closed };
}
