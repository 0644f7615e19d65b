import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDatabaseUrl } from '@rfid3/core';
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type HostLogLevel = (typeof LOG_LEVELS)[number];

/** The first-party plugins, loaded when the config names none. */
export const FIRST_PARTY_PLUGINS = [
  '@rfid3/plugin-demand',
  '@rfid3/plugin-maintenance',
  '@rfid3/plugin-quality',
  '@rfid3/plugin-pricing',
  '@rfid3/plugin-restock',
  '@rfid3/plugin-pack',
] as const;

export const DEFAULT_CONFIG_FILE = 'rfid3.config.json';
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
export const DEFAULT_INGEST_BODY_LIMIT_BYTES = 16 * 1024 * 1024;

/** A plugin to load: its package name and its section of the config (checked by the plugin's own schema). */
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

/** What the JSON config file may contain; every field is optional and the environment overrides it. */
export const hostConfigFileSchema = z.strictObject({
  $schema: z.string().optional(),
  port: z.number().int().min(0).max(65535).optional(),
  host: z.string().min(1).optional(),
  databaseUrl: z.string().min(1).optional(),
  redisUrl: z.string().min(1).optional(),
  logLevel: z.enum(LOG_LEVELS).optional(),
  openReads: z.boolean().optional(),
  bodyLimitBytes: z.number().int().positive().optional(),
  plugins: z.array(pluginSpecSchema).optional(),
});
export type HostConfigFile = z.output<typeof hostConfigFileSchema>;

export interface HostConfig {
  port: number;
  host: string;
  /** With any relative SQLite path made absolute. */
  databaseUrl: string;
  redisUrl?: string;
  logLevel: HostLogLevel;
  /** Let callers without a key use GET read endpoints; POST and DELETE always need a key. */
  openReads: boolean;
  bodyLimitBytes: number;
  /** The plugins the config names, or null to load every first-party plugin that is installed. */
  plugins: PluginSpec[] | null;
  /** Where plugin packages are resolved from: the config file's folder, else the working directory. */
  baseDir: string;
  /** The config file read, if any. */
  configFile: string | null;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

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

  return {
    port: options.overrides?.port ?? (envPort !== undefined ? parsePort(envPort, 'PORT') : (file.port ?? 8080)),
    host: options.overrides?.host ?? envValue('HOST') ?? file.host ?? '0.0.0.0',
    databaseUrl,
    redisUrl: envValue('REDIS_URL') ?? file.redisUrl,
    logLevel: (envLogLevel as HostLogLevel | undefined) ?? file.logLevel ?? 'info',
    openReads: envOpenReads !== undefined ? parseBoolean(envOpenReads, 'RFID3_OPEN_READS') : (file.openReads ?? true),
    bodyLimitBytes: file.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    plugins: file.plugins ? file.plugins.map((p) => (typeof p === 'string' ? { package: p } : p)) : null,
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
