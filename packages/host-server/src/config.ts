import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDatabaseUrl, redactUrl } from '@rfid3/core';
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type HostLogLevel = (typeof LOG_LEVELS)[number];

/** The first-party plugins: each one that is installed is loaded unless the config's `pluginsMode` is `replace`. */
export const FIRST_PARTY_PLUGINS = [
  '@rfid3/plugin-demand',
  '@rfid3/plugin-maintenance',
  '@rfid3/plugin-quality',
  '@rfid3/plugin-pricing',
  '@rfid3/plugin-restock',
  '@rfid3/plugin-pack',
] as const;

export const DEFAULT_CONFIG_FILE = 'rfid3.config.json';
/** Largest JSON body accepted by default, in bytes (1 MiB). */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
export const DEFAULT_INGEST_BODY_LIMIT_BYTES = 16 * 1024 * 1024;

/** A plugin to load: its package name and its section of the config (checked by the plugin's own schema). */
/** How `plugins` in the config relates to the first-party plugins (see `pluginsMode` in the config file). */
export const PLUGINS_MODES = ['add', 'replace'] as const;
/** `add` (the default): `plugins` adds to the first-party set; `replace`: exactly the plugins listed. */
export type PluginsMode = (typeof PLUGINS_MODES)[number];

/** A plugin to load: its package name (or path) and the config it is given. */
export interface PluginSpec {
  package: string;
  config?: Record<string, unknown>;
}

const pluginSpecSchema = z.union(
  [
    z.string().min(1),
    z.strictObject({
      package: z.string().min(1),
      config: z.record(z.string(), z.unknown()).optional(),
    }),
  ],
  { error: 'expected a package name, or { "package": "<name>", "config": { … } }' },
);

const rateWindowSchema = z.strictObject({ points: z.number().int().positive(), durationSeconds: z.number().int().positive() });

/** What a webhook can be sent for. */
export const WEBHOOK_EVENTS = ['decision.awaiting-approval', 'accuracy.degraded', 'data-source.failed'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** What the JSON config file may contain; every field is optional and the environment overrides it. */
export const hostConfigFileSchema = z.strictObject({
  $schema: z.string().optional(),
  port: z.number().int().min(0).max(65535).optional(),
  host: z.string().min(1).optional(),
  databaseUrl: z.string().min(1).optional(),
  /** MariaDB read replicas (`mysql://…`) for GET reads; `MYSQL_READ_URL` (comma-separated) overrides. */
  databaseReadUrls: z.array(z.string().min(1)).optional(),
  /** After a write, GETs read the primary this many seconds (the client that wrote, and this host); default 5. */
  readYourWritesSeconds: z.number().min(0).max(3600).optional(),
  /** A read replica further behind its primary than this (or not replicating) gets no reads until it catches up; default 10. */
  readMaxLagSeconds: z.number().min(0).max(86_400).optional(),
  redisUrl: z.string().min(1).optional(),
  /** The start of every key and channel this deployment uses in Redis besides BullMQ's (cache, rate limits, the hosts' shared events); default `rfid3:`. */
  redisPrefix: z.string().min(1).max(100).optional(),
  /** `bullmq` runs jobs from Redis queues in any `rfid3 worker`; `in-process` (default) needs no Redis. */
  jobs: z
    .union([
      z.enum(['in-process', 'bullmq']),
      z.strictObject({
        runner: z.enum(['in-process', 'bullmq']).optional(),
        prefix: z.string().min(1).optional(),
        concurrency: z.number().int().positive().optional(),
        lockDurationMs: z.number().int().positive().optional(),
        stalledIntervalMs: z.number().int().positive().optional(),
      }),
    ])
    .optional(),
  /** Redis failures this recent (seconds) keep `system-status` at `degraded` (default 30). */
  redisHealthWindowSeconds: z.number().positive().max(3600).optional(),
  logLevel: z.enum(LOG_LEVELS).optional(),
  openReads: z.boolean().optional(),
  bodyLimitBytes: z.number().int().positive().optional(),
  ingestBodyLimitBytes: z.number().int().positive().optional(),
  trustProxy: z.boolean().optional(),
  rateLimit: z
    .strictObject({
      enabled: z.boolean().optional(),
      perIp: rateWindowSchema.optional(),
      perKey: rateWindowSchema.optional(),
    })
    .optional(),
  cors: z.strictObject({ origins: z.array(z.string().min(1)), maxAgeSeconds: z.number().int().min(0).optional() }).optional(),
  webhooks: z
    .strictObject({
      urls: z.array(z.url()).default([]),
      /** Signs each body with HMAC-SHA256 (`X-RFID3-Signature: sha256=<hex>`). */
      secret: z.string().min(16).optional(),
      events: z.array(z.enum(WEBHOOK_EVENTS)).optional(),
      highValueUsd: z.number().min(0).optional(),
      retries: z.number().int().min(0).max(10).optional(),
      timeoutMs: z.number().int().positive().optional(),
    })
    .optional(),
  poller: z
    .strictObject({
      baseUrl: z.url(),
      username: z.string().min(1),
      password: z.string().min(1),
      pageSize: z.number().int().min(1).max(1000).optional(),
      intervalSeconds: z.number().int().min(5).optional(),
      fullRefreshMinutes: z.number().int().min(1).optional(),
    })
    .optional(),
  scheduler: z
    .strictObject({
      /** Cron of the nightly precompute (default 05:30, before the stores open). */
      nightly: z.string().min(1).optional(),
      /** Precompute again every this many minutes (default off). */
      refreshMinutes: z.number().int().min(5).optional(),
      enabled: z.boolean().optional(),
    })
    .optional(),
  plugins: z.array(pluginSpecSchema).optional(),
  /**
   * `add` (default): `plugins` adds to the first-party plugins that are installed (and gives any it names its
   * config); `replace`: exactly the plugins listed are loaded (`[]` for none).
   */
  pluginsMode: z.enum(PLUGINS_MODES).optional(),
});
/** The configuration file as parsed by its schema. */
export type HostConfigFile = z.output<typeof hostConfigFileSchema>;

export interface HostJobsConfig {
  runner: 'in-process' | 'bullmq';
  prefix?: string;
  concurrency?: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

function jobsConfig(envValue: (name: string) => string | undefined, file: HostConfigFile['jobs']): HostJobsConfig {
  const base: HostJobsConfig = typeof file === 'string' ? { runner: file } : { runner: 'in-process', ...(file ?? {}) };
  const runner = envValue('RFID3_QUEUE');
  if (runner !== undefined) {
    if (runner !== 'in-process' && runner !== 'bullmq') throw new ConfigError(`RFID3_QUEUE must be 'in-process' or 'bullmq', not '${runner}'`);
    base.runner = runner;
  }
  const prefix = envValue('RFID3_QUEUE_PREFIX');
  if (prefix !== undefined) base.prefix = prefix;
  const stalled = envValue('RFID3_QUEUE_STALLED_MS');
  if (stalled !== undefined) {
    const ms = Number(stalled);
    if (!Number.isInteger(ms) || ms <= 0) throw new ConfigError(`RFID3_QUEUE_STALLED_MS must be a positive whole number of milliseconds, not '${stalled}'`);
    // A killed worker's job is free again after its lock lapses and the next stalled check: both this long.
    base.lockDurationMs = ms;
    base.stalledIntervalMs = ms;
  }
  return base;
}

/** The host's resolved configuration (file, environment and command line merged). */
export interface HostConfig {
  port: number;
  host: string;
  /** With any relative SQLite path made absolute. */
  databaseUrl: string;
  /** MariaDB read replicas serving GET reads (empty: every read on the primary). */
  databaseReadUrls: string[];
  /** How long after a write GETs still read the primary, in seconds. */
  readYourWritesSeconds: number;
  /** Most seconds a read replica may be behind its primary and still serve reads (RFID3_READ_MAX_LAG_SECONDS). */
  readMaxLagSeconds: number;
  redisUrl?: string;
  /** Key prefix of the cache, the rate limits and the cluster channel in Redis (RFID3_REDIS_PREFIX; default `rfid3:`). */
  redisPrefix?: string;
  /** The job runner and its BullMQ settings (RFID3_QUEUE, RFID3_QUEUE_PREFIX, RFID3_QUEUE_STALLED_MS override the file). */
  jobs: HostJobsConfig;
  redisHealthWindowSeconds?: number;
  logLevel: HostLogLevel;
  /** Let callers without a key use GET read endpoints; POST and DELETE always need a key. */
  openReads: boolean;
  bodyLimitBytes: number;
  ingestBodyLimitBytes: number;
  trustProxy: boolean;
  rateLimit: HostConfigFile['rateLimit'];
  cors: { origins: string[]; maxAgeSeconds?: number };
  webhooks: HostConfigFile['webhooks'];
  poller: HostConfigFile['poller'];
  scheduler: HostConfigFile['scheduler'];
  /** The plugins the config names, or null when it names none (every first-party plugin that is installed loads). */
  plugins: PluginSpec[] | null;
  /** `add`: the named plugins load beside the installed first-party ones; `replace`: only the named ones. */
  pluginsMode: PluginsMode;
  /** Where plugin packages are resolved from: the config file's folder, else the working directory. */
  baseDir: string;
  /** The config file read, if any. */
  configFile: string | null;
}

/** A configuration value that is missing or invalid, named in the message. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Where `loadHostConfig` reads from: the folder, the environment, the config path and command-line values. */
export interface LoadHostConfigOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** `--config PATH`; wins over `RFID3_CONFIG`. */
  configPath?: string;
  /** Command-line values, which win over the file and the environment. */
  overrides?: { port?: number; host?: string };
}

/** Defaults, then the config file, then the environment, then command-line overrides. */
export function loadHostConfig(options: LoadHostConfigOptions = {}): HostConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const envValue = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };

  const configFile = locateConfigFile(cwd, options.configPath ?? envValue('RFID3_CONFIG'));
  const file = configFile ? readConfigFile(configFile) : {};
  const fileDir = configFile ? dirname(configFile) : cwd;

  const envDatabaseUrl = envValue('DATABASE_URL');
  const envLogLevel = envValue('LOG_LEVEL');
  if (envLogLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(envLogLevel)) {
    throw new ConfigError(`LOG_LEVEL: '${envLogLevel}' is not one of ${LOG_LEVELS.join(', ')}`);
  }
  const envPort = envValue('PORT');
  const envOpenReads = envValue('RFID3_OPEN_READS');

  // A relative SQLite path means relative to where it was written: the config file's folder, or the working directory.
  const databaseUrl = envDatabaseUrl
    ? absoluteSqliteUrl(envDatabaseUrl, cwd, 'DATABASE_URL')
    : file.databaseUrl
      ? absoluteSqliteUrl(file.databaseUrl, fileDir, `${configFile}: databaseUrl`)
      : absoluteSqliteUrl('sqlite:./data/rfid3.db', cwd, 'DATABASE_URL');

  const envReadUrls = envValue('MYSQL_READ_URL');
  const databaseReadUrls =
    envReadUrls !== undefined
      ? envReadUrls
          .split(',')
          .map((u) => u.trim())
          .filter(Boolean)
      : (file.databaseReadUrls ?? []);
  const readField = envReadUrls !== undefined ? 'MYSQL_READ_URL' : `${configFile}: databaseReadUrls`;
  for (const u of databaseReadUrls) {
    if (!/^(mysql|mariadb):\/\//i.test(u)) throw new ConfigError(`${readField}: a read replica must be a mysql:// URL, not '${redactUrl(u)}'`);
  }
  if (databaseReadUrls.length > 0 && parseDatabaseUrl(databaseUrl).dialect !== 'mysql') {
    throw new ConfigError(`${readField}: read replicas need a MariaDB primary (DATABASE_URL mysql://…)`);
  }
  const envRyw = envValue('RFID3_READ_YOUR_WRITES_SECONDS');
  const readYourWritesSeconds = envRyw !== undefined ? Number(envRyw) : (file.readYourWritesSeconds ?? 5);
  if (!Number.isFinite(readYourWritesSeconds) || readYourWritesSeconds < 0) {
    throw new ConfigError(`RFID3_READ_YOUR_WRITES_SECONDS must be a number of seconds (0 or more), not '${envRyw}'`);
  }
  const envLag = envValue('RFID3_READ_MAX_LAG_SECONDS');
  const readMaxLagSeconds = envLag !== undefined ? Number(envLag) : (file.readMaxLagSeconds ?? 10);
  if (envLag !== undefined && (envLag.trim() === '' || !Number.isFinite(readMaxLagSeconds) || readMaxLagSeconds < 0)) {
    throw new ConfigError(`RFID3_READ_MAX_LAG_SECONDS must be a number of seconds (0 or more), not '${envLag}'`);
  }

  if (file.pluginsMode === 'replace' && !file.plugins) {
    throw new ConfigError(`${configFile}: pluginsMode 'replace' loads exactly the plugins listed, but there is no "plugins" list (write "plugins": [] for none)`);
  }

  return {
    port: options.overrides?.port ?? (envPort !== undefined ? parsePort(envPort, 'PORT') : (file.port ?? 8080)),
    host: options.overrides?.host ?? envValue('HOST') ?? file.host ?? '0.0.0.0',
    databaseUrl,
    databaseReadUrls,
    readYourWritesSeconds,
    readMaxLagSeconds,
    redisUrl: envValue('REDIS_URL') ?? file.redisUrl,
    redisPrefix: envValue('RFID3_REDIS_PREFIX') ?? file.redisPrefix,
    jobs: jobsConfig(envValue, file.jobs),
    redisHealthWindowSeconds: file.redisHealthWindowSeconds,
    logLevel: (envLogLevel as HostLogLevel | undefined) ?? file.logLevel ?? 'info',
    openReads: envOpenReads !== undefined ? parseBoolean(envOpenReads, 'RFID3_OPEN_READS') : (file.openReads ?? true),
    bodyLimitBytes: file.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    ingestBodyLimitBytes: file.ingestBodyLimitBytes ?? DEFAULT_INGEST_BODY_LIMIT_BYTES,
    trustProxy: envValue('RFID3_TRUST_PROXY') !== undefined ? parseBoolean(envValue('RFID3_TRUST_PROXY')!, 'RFID3_TRUST_PROXY') : (file.trustProxy ?? false),
    rateLimit: file.rateLimit,
    cors:
      envValue('RFID3_CORS_ORIGINS') !== undefined
        ? {
            origins: envValue('RFID3_CORS_ORIGINS')!
              .split(',')
              .map((o) => o.trim())
              .filter(Boolean),
          }
        : (file.cors ?? { origins: [] }),
    webhooks: envWebhooks(envValue, file.webhooks),
    poller: envPoller(envValue, file.poller),
    scheduler: file.scheduler,
    plugins: file.plugins ? file.plugins.map((p) => (typeof p === 'string' ? { package: p } : p)) : null,
    pluginsMode: file.pluginsMode ?? 'add',
    baseDir: fileDir,
    configFile,
  };
}

function locateConfigFile(cwd: string, explicit: string | undefined): string | null {
  if (explicit) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new ConfigError(`config file not found: ${path}`);
    return path;
  }
  const fallback = resolve(cwd, DEFAULT_CONFIG_FILE);
  return existsSync(fallback) ? fallback : null;
}

function readConfigFile(path: string): HostConfigFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${path}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = hostConfigFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = issue.path.map(String).join('.');
      return field ? `${field}: ${issue.message}` : issue.message;
    });
    throw new ConfigError(`${path}: ${problems.join('; ')}`);
  }
  return parsed.data;
}

export function parsePort(value: string, field: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new ConfigError(`${field}: '${value}' is not a port number (0–65535)`);
  return port;
}

function parseBoolean(value: string, field: string): boolean {
  const v = value.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${field}: '${value}' is not a boolean (true/false)`);
}

function absoluteSqliteUrl(url: string, baseDir: string, field: string): string {
  let parsed: ReturnType<typeof parseDatabaseUrl>;
  try {
    parsed = parseDatabaseUrl(url);
  } catch (err) {
    throw new ConfigError(`${field}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (parsed.dialect !== 'sqlite' || parsed.target === ':memory:' || isAbsolute(parsed.target)) return url;
  return `sqlite:${resolve(baseDir, parsed.target)}`;
}

function envWebhooks(envValue: (n: string) => string | undefined, file: HostConfigFile['webhooks']): HostConfigFile['webhooks'] {
  const urls = envValue('RFID3_WEBHOOK_URLS');
  const secret = envValue('RFID3_WEBHOOK_SECRET');
  if (urls === undefined && secret === undefined) return file;
  const merged = {
    ...(file ?? { urls: [] }),
    ...(urls !== undefined
      ? {
          urls: urls
            .split(',')
            .map((u) => u.trim())
            .filter(Boolean),
        }
      : {}),
    ...(secret ? { secret } : {}),
  };
  for (const u of merged.urls) if (!/^https?:\/\//.test(u)) throw new ConfigError(`RFID3_WEBHOOK_URLS: '${u}' is not an http(s) URL`);
  return merged;
}

function envPoller(envValue: (n: string) => string | undefined, file: HostConfigFile['poller']): HostConfigFile['poller'] {
  const baseUrl = envValue('RFID3_VENDOR_URL');
  if (baseUrl === undefined) return file;
  const username = envValue('RFID3_VENDOR_USER') ?? file?.username;
  const password = envValue('RFID3_VENDOR_PASSWORD') ?? file?.password;
  if (!username || !password) throw new ConfigError('RFID3_VENDOR_URL is set but RFID3_VENDOR_USER or RFID3_VENDOR_PASSWORD is not');
  return { ...file, baseUrl, username, password };
}
