// An embedder's first five minutes, from the packed tarballs (what `npm publish` would ship) in an empty npm
// project: `npm install @rfid3/core @rfid3/plugin-demand`, then the README's example as .mjs, .cjs and type-checked
// .ts. Needs the packages built (`pnpm build`, which `pnpm test` runs first) and the npm registry.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain .mjs script without declarations
import { packWorkspace } from '../scripts/pack.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const MAX_INSTALL_BYTES = 30 * 1024 * 1024;

/** The ```ts blocks of the README's "Use a predictor from npm" section: the in-memory example, then the runtime one. */
function embedExamples(): { inMemory: string; runtime: string } {
  const section = readme.slice(readme.indexOf('<!-- embed-example'), readme.indexOf('## Point the host at MariaDB'));
  const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  if (blocks.length < 2) throw new Error('README: the embed section lost its two ```ts examples');
  return { inMemory: blocks[0]!, runtime: blocks[1]! };
}

/** Whether npm can reach its registry (the only reason this test is skipped). */
function registryReachable(): { ok: boolean; why: string } {
  const r = spawnSync('npm', ['ping', '--loglevel=error'], { encoding: 'utf8', timeout: 20_000 });
  return { ok: r.status === 0, why: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n')[0]! };
}

function diskBytes(dir: string): number {
  // `du` counts what the install takes on disk (blocks), as a user would see it.
  return Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]) * 1024;
}

/** Compiled native addons and native build trees under node_modules: there must be none. */
function nativeBuilds(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) nativeBuilds(path, found);
    else if (entry.name.endsWith('.node') || entry.name === 'binding.gyp') found.push(path.slice(path.indexOf('node_modules')));
  }
  return found;
}

const node = (cwd: string, file: string) => spawnSync(process.execPath, [file], { cwd, encoding: 'utf8', timeout: 60_000 });

const registry = registryReachable();
if (!registry.ok) console.warn(`tarball test skipped: npm cannot reach its registry (${registry.why})`);

describe.skipIf(!registry.ok)('@rfid3/core + @rfid3/plugin-demand installed from their tarballs with plain npm', () => {
  let dir = '';
  let app = '';
  let installMs = 0;

  beforeAll(() => {
    for (const p of ['core', 'plugin-demand']) {
      if (!existsSync(join(root, 'packages', p, 'dist', 'index.js'))) throw new Error(`packages/${p} is not built: run pnpm build first`);
    }
    dir = mkdtempSync(join(tmpdir(), 'rfid3-tarball-'));
    const tarballs: Record<string, string> = packWorkspace(join(dir, 'tarballs'), ['@rfid3/core', '@rfid3/plugin-demand']);
    app = join(dir, 'app');
    mkdirSync(app);
    // What `npm init -y` writes, made an ES module as the README says an ESM consumer needs.
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'embed-example', version: '1.0.0', private: true, type: 'module' }, null, 2));
    const started = Date.now();
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarballs['@rfid3/core']!, tarballs['@rfid3/plugin-demand']!], {
      cwd: app,
      env: { ...process.env, npm_config_nodedir: process.env.npm_config_nodedir ?? '/usr' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 90_000,
    });
    installMs = Date.now() - started;
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('installs in at most 30 MB, with no native module built and no database or Redis driver', () => {
    const bytes = diskBytes(join(app, 'node_modules'));
    console.log(`tarball install: ${(bytes / 1024 / 1024).toFixed(1)} MB on disk in ${(installMs / 1000).toFixed(1)} s`);
    expect(bytes).toBeLessThanOrEqual(MAX_INSTALL_BYTES);
    expect(nativeBuilds(join(app, 'node_modules'))).toEqual([]);
    for (const driver of ['better-sqlite3', 'mysql2', 'ioredis', 'bullmq', 'date-holidays']) {
      expect(existsSync(join(app, 'node_modules', driver)), driver).toBe(false);
    }
  });

  it('runs the README example as .mjs: two weeks ahead, each day with an 80 % range around its value', () => {
    writeFileSync(join(app, 'example.mjs'), embedExamples().inMemory);
    const r = node(app, 'example.mjs');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(7);
    // `2026-04-27 45.3 { level: 0.8, lower: 38, upper: 53 } ensemble`: the day after the 112 days from 2026-01-05.
    expect(lines[0]).toMatch(/^2026-04-27 \d+\.\d \{ level: 0\.8, lower: [\d.]+, upper: [\d.]+ \} (ensemble|model)$/);
    for (const line of lines) {
      const [, value, lower, upper] = /^\S+ ([\d.]+) \{ level: 0\.8, lower: ([\d.]+), upper: ([\d.]+) \}/.exec(line)!;
      expect(Number(lower)).toBeLessThanOrEqual(Number(value));
      expect(Number(upper)).toBeGreaterThanOrEqual(Number(value));
    }
  });

  it('runs it as .cjs with require() (Node 20.19+ loads the ES modules)', () => {
    const cjs = embedExamples().inMemory.replace(/^import \{ ([^}]+) \} from '([^']+)';$/gm, "const { $1 } = require('$2');");
    expect(cjs).toContain("require('@rfid3/plugin-demand')");
    writeFileSync(join(app, 'example.cjs'), cjs);
    const r = node(app, 'example.cjs');
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(7);
    expect(r.stdout).toBe(node(app, 'example.mjs').stdout);
  });

  it('type-checks both examples with the tsconfig `tsc --init` writes, runs the compiled one, and refuses a wrong query type', () => {
    execFileSync(process.execPath, [tsc, '--init'], { cwd: app, stdio: 'pipe' });
    const { inMemory, runtime } = embedExamples();
    writeFileSync(join(app, 'in-memory.ts'), inMemory);
    writeFileSync(join(app, 'runtime.ts'), runtime);
    writeFileSync(
      join(app, 'typed.ts'),
      [
        "import { createRuntime, ValidationError } from '@rfid3/core';",
        "import { demandPlugin } from '@rfid3/plugin-demand';",
        'export async function wrong(): Promise<unknown> {',
        '  const runtime = await createRuntime({ plugins: [demandPlugin] });',
        "  // @ts-expect-error weeks is a number: the demand plugin declares the query of 'demand.daily'",
        "  return runtime.predict('demand.daily', { weeks: 'four' }).catch((err: unknown) => err instanceof ValidationError && err.field);",
        '}',
        '',
      ].join('\n'),
    );
    const r = spawnSync(process.execPath, [tsc, '-p', '.'], { cwd: app, encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
    const run = node(app, 'in-memory.js');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(node(app, 'example.mjs').stdout);
  });

  it('names the driver to install when the runtime example opens SQLite without better-sqlite3', () => {
    writeFileSync(join(app, 'runtime.mjs'), embedExamples().runtime);
    const r = node(app, 'runtime.mjs');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/MissingPeerError: the database URL 'sqlite::memory:' needs the package 'better-sqlite3'.*npm install better-sqlite3@\^12/);
    expect(statSync(join(app, 'node_modules', '@rfid3', 'core', 'package.json')).isFile()).toBe(true);
  });
});
