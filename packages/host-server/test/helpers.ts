import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnyPlugin, Logger, Runtime, RuntimeOptions } from '@rfid3/core';
import { createRuntime, silentLogger } from '@rfid3/core';
import type { AppOptions } from '../src/app.js';
import { createApp } from '../src/app.js';

/** packages/core, found from this file so that no test depends on where the repository lives. */
export const CORE_PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../core');

export interface RunningApp {
  runtime: Runtime;
  url: string;
  close(): Promise<void>;
}

export function testRuntime(plugins: AnyPlugin[] = [], options: Partial<RuntimeOptions> = {}): Promise<Runtime> {
  return createRuntime({ config: { databaseUrl: 'sqlite::memory:' }, logger: silentLogger(), plugins, ...options });
}

/** Serves a runtime on an ephemeral port. */
export async function serve(runtime: Runtime, options: AppOptions = {}): Promise<RunningApp> {
  const app = createApp(runtime, options);
  const server: Server = await new Promise((ok) => {
    const s = app.listen(0, '127.0.0.1', () => ok(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    runtime,
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await runtime.close();
    },
  };
}

export function tempDir(prefix = 'rfid3-host-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Writes a plugin package into `<root>/node_modules/<name>` the way npm would install it, with
 * `@rfid3/core` linked beside it, so the host must find it by name.
 */
export function writePluginPackage(root: string, name: string, indexJs: string): void {
  const pkgDir = join(root, 'node_modules', name);
  mkdirSync(pkgDir, { recursive: true });
  writeFileSync(
    join(pkgDir, 'package.json'),
    JSON.stringify({ name, version: '1.2.3', type: 'module', exports: { '.': './index.js' }, peerDependencies: { '@rfid3/core': '>=0.1.0 <1.0.0' } }),
  );
  writeFileSync(join(pkgDir, 'index.js'), indexJs);
  const coreLink = join(root, 'node_modules', '@rfid3', 'core');
  mkdirSync(dirname(coreLink), { recursive: true });
  try {
    symlinkSync(relative(dirname(coreLink), CORE_PACKAGE_DIR), coreLink, 'dir');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

export async function problemOf(res: Response): Promise<Record<string, unknown> & { errors?: { field: string; message: string }[] }> {
  return (await res.json()) as Record<string, unknown> & { errors?: { field: string; message: string }[] };
}

export interface LogLine {
  level: number;
  msg: string;
  requestId?: string;
  err?: { message: string; stack?: string };
  [key: string]: unknown;
}

/**
 * A real pino logger (the one core uses, resolved through core's own dependencies) writing its JSON lines
 * into an array, so tests can read what was logged.
 */
export function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const requireFromCore = createRequire(join(CORE_PACKAGE_DIR, 'package.json'));
  const pino = requireFromCore('pino') as (options: { level: string }, stream: { write(line: string): void }) => Logger;
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}
