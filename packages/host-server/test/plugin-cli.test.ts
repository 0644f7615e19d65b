import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify, stripVTControlCharacters } from 'node:util';
import { freeLoopbackPort } from '@rfid3/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPlugin } from '../src/plugin-cli/install.js';
import { scaffoldPlugin } from '../src/plugin-cli/scaffold.js';
import { readTarballManifest } from '../src/plugin-cli/tarball.js';
import { CORE_PACKAGE_DIR, tempDir } from './helpers.js';

const run = promisify(execFile);
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const FIRST_PARTY_IDS = ['demand', 'maintenance', 'pack', 'pricing', 'quality', 'restock'];

/** The environment of a child that must not see this test run's own (vitest's, the shared servers', rfid3's). */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(VITEST|RFID3_|TEST$|NODE_ENV$|FORCE_COLOR$|REDIS_URL$|MYSQL_|DATABASE_URL$|PORT$|HOST$|LOG_LEVEL$)/.test(k)) continue;
    env[k] = v;
  }
  // better-sqlite3 compiles against the system's Node headers when no prebuilt binary can be fetched.
  if (!env.npm_config_nodedir && existsSync('/usr/include/node/node.h')) env.npm_config_nodedir = '/usr';
  return { ...env, NO_COLOR: '1', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', ...extra };
}

describe('rfid3 plugin new (in-process)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir('rfid3-plugin-new-');
  });
  afterAll(() => tmp.remove());

  it("writes a package that peers on the host's core range and builds against the host's own core", () => {
    const made = scaffoldPlugin({ name: '@acme/rfid3-plugin-weather-watch', cwd: tmp.dir });
    expect(made).toMatchObject({ pluginId: 'weather-watch', dir: join(tmp.dir, 'rfid3-plugin-weather-watch'), coreRange: '>=0.1.0 <1.0.0' });
    const pkg = JSON.parse(readFileSync(join(made.dir, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({
      name: '@acme/rfid3-plugin-weather-watch',
      type: 'module',
      exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js', default: './dist/index.js' } },
      peerDependencies: { '@rfid3/core': '>=0.1.0 <1.0.0' },
    });
    // The devDependency is the host's own core (here the workspace's), as a path relative to the plugin.
    expect(pkg.devDependencies['@rfid3/core']).toMatch(/^file:\.\.\//);
    expect(realpathSync(resolve(made.dir, pkg.devDependencies['@rfid3/core'].slice('file:'.length)))).toBe(realpathSync(CORE_PACKAGE_DIR));
    expect(pkg.dependencies.zod).toBe(JSON.parse(readFileSync(join(CORE_PACKAGE_DIR, 'package.json'), 'utf8')).dependencies.zod);
    expect(made.files).toEqual(expect.arrayContaining(['tsconfig.json', 'tsup.config.ts', 'src/index.ts', 'test/plugin.test.ts']));
    const source = readFileSync(join(made.dir, 'src/index.ts'), 'utf8');
    expect(source).toContain("export const PLUGIN_ID = 'weather-watch'");
    expect(source).toContain('export const weatherWatchPlugin = definePlugin(');
  });

  it('refuses a folder that is not empty, a name npm would refuse, and an id definePlugin would refuse', () => {
    mkdirSync(join(tmp.dir, 'taken'));
    writeFileSync(join(tmp.dir, 'taken', 'x'), '');
    expect(() => scaffoldPlugin({ name: 'rfid3-plugin-x', dir: 'taken', cwd: tmp.dir })).toThrow(/taken already exists and is not empty/);
    expect(() => scaffoldPlugin({ name: 'Not A Name', cwd: tmp.dir })).toThrow(/not an npm package name/);
    expect(() => scaffoldPlugin({ name: 'rfid3-plugin-x', id: 'X_1', cwd: tmp.dir })).toThrow(/plugin id 'X_1' must be lower-case words/);
  });

  it('plugin add refuses a package that would not take the host core before anything is packed or installed', async () => {
    const site = join(tmp.dir, 'site');
    mkdirSync(site);
    writeFileSync(join(site, 'rfid3.config.json'), JSON.stringify({ plugins: ['x'] }));
    const pkgDir = (name: string, manifest: Record<string, unknown>) => {
      const dir = join(tmp.dir, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module', ...manifest }));
      return dir;
    };
    const add = (source: string) => addPlugin({ source, cwd: site, env: {}, log: () => {} });
    await expect(add(pkgDir('rfid3-plugin-future', { peerDependencies: { '@rfid3/core': '>=9.0.0' } }))).rejects.toThrow(
      /rfid3-plugin-future@1\.0\.0 needs @rfid3\/core >=9\.0\.0, but this host runs @rfid3\/core 0\.1\.0/,
    );
    await expect(add(pkgDir('rfid3-plugin-own-core', { dependencies: { '@rfid3/core': '^0.1.0' } }))).rejects.toThrow(/lists @rfid3\/core in "dependencies"/);
    await expect(add(pkgDir('left-pad-ish', {}))).rejects.toThrow(/left-pad-ish is not an RFID3 plugin package/);
    await expect(add(join(tmp.dir, 'nowhere.tgz'))).rejects.toThrow(/nowhere\.tgz does not exist/);
    expect(readdirSync(site)).toEqual(['rfid3.config.json']);
    expect(JSON.parse(readFileSync(join(site, 'rfid3.config.json'), 'utf8'))).toEqual({ plugins: ['x'] });
  });
});

/**
 * The whole path a third party takes, on a host installed from the packed tarballs with plain npm (not the
 * workspace): `rfid3 plugin new`, npm install, its own test, npm pack, `rfid3 plugin add` into a site folder
 * apart from the host's install, `rfid3 serve`, and its endpoint over HTTP. Needs `pnpm build` first and the
 * npm registry (the host's third-party dependencies and the plugin's build tools come from it).
 */
/** Copies the workspace's compiled better-sqlite3 addon into an install of the same version made with `--ignore-scripts`. */
function copyBetterSqliteAddon(installed: string): void {
  const workspace = dirname(createRequire(join(CORE_PACKAGE_DIR, 'package.json')).resolve('better-sqlite3/package.json'));
  const version = (dir: string) => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  if (version(workspace) !== version(installed))
    throw new Error(`better-sqlite3 ${version(installed)} installed, the workspace has ${version(workspace)}: run the install without --ignore-scripts`);
  cpSync(join(workspace, 'build', 'Release', 'better_sqlite3.node'), join(installed, 'build', 'Release', 'better_sqlite3.node'));
}

describe('a plugin written with rfid3 plugin new, added to a host installed from tarballs', () => {
  let root: string;
  let hostDir: string;
  let siteDir: string;
  let cli: string;
  let tarball: string;
  let server: ChildProcess | undefined;
  const timings: Record<string, number> = {};
  const timed = async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
    const began = Date.now();
    try {
      return await fn();
    } finally {
      timings[step] = Math.round((Date.now() - began) / 100) / 10;
    }
  };
  const rfid3 = (args: string[], cwd: string) => run(process.execPath, [cli, ...args], { cwd, env: childEnv(), maxBuffer: 16 * 1024 * 1024 });
  const npm = (args: string[], cwd: string) => run('npm', [...args, '--prefer-offline'], { cwd, env: childEnv(), maxBuffer: 64 * 1024 * 1024 });

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'rfid3-plugin-cli-'));
    hostDir = join(root, 'host');
    siteDir = join(root, 'site');
    mkdirSync(hostDir);
    mkdirSync(siteDir);
    const { packWorkspace } = (await import(pathToFileURL(join(REPO, 'scripts/pack.mjs')).href)) as { packWorkspace(dir: string): Record<string, string> };
    const tarballs = await timed('pack workspace', async () => packWorkspace(join(root, 'tarballs')));
    writeFileSync(join(hostDir, 'package.json'), JSON.stringify({ name: 'rfid3-host', private: true }));
    // Scripts off: better-sqlite3 would compile from source for minutes (no prebuilt binary without GitHub). Its
    // compiled addon is taken from the workspace's copy instead, the same version built for this Node.
    await timed('npm install host', () => npm(['install', '--ignore-scripts', ...Object.values(tarballs)], hostDir));
    await timed('better-sqlite3 addon', async () => copyBetterSqliteAddon(join(hostDir, 'node_modules', 'better-sqlite3')));
    cli = join(hostDir, 'node_modules', '@rfid3', 'host-server', 'dist', 'cli.js');
  }, 900_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((ok) => server!.once('exit', ok));
    }
    console.log(`plugin-cli tarball test steps (s): ${JSON.stringify(timings)}`);
    if (root && !process.env.RFID3_KEEP_TMP) rmSync(root, { recursive: true, force: true });
  });

  it('rfid3 plugin new scaffolds a package that installs, passes its own test and packs', async () => {
    const made = JSON.parse((await rfid3(['plugin', 'new', 'rfid3-plugin-hello', '--dir', 'hello', '--json'], root)).stdout);
    expect(made).toMatchObject({ packageName: 'rfid3-plugin-hello', pluginId: 'hello', coreRange: '>=0.1.0 <1.0.0', coreSpec: 'file:../host/node_modules/@rfid3/core' });
    const dir = join(root, 'hello');
    await timed('plugin npm install', () => npm(['install'], dir));
    const tested = await timed('plugin npm test', () => npm(['test'], dir));
    expect(stripVTControlCharacters(tested.stdout)).toMatch(/Tests\s+3 passed \(3\)/);
    await timed('plugin typecheck', () => npm(['run', 'typecheck'], dir));
    await timed('plugin npm pack', () => npm(['pack'], dir));
    tarball = join(dir, 'rfid3-plugin-hello-0.1.0.tgz');
    const manifest = readTarballManifest(tarball) as { peerDependencies: Record<string, string> };
    expect(manifest.peerDependencies).toEqual({ '@rfid3/core': '>=0.1.0 <1.0.0' });
  }, 600_000);

  it("rfid3 plugin add installs the tarball where the config is, on the host's own core, and lists it", async () => {
    // The site folder (config and database) is apart from the host's install, as when the host is installed
    // globally: there `npm install ./plugin.tgz` finds no @rfid3/core (E404 from the registry).
    writeFileSync(join(siteDir, 'rfid3.config.json'), JSON.stringify({ databaseUrl: 'sqlite:./rfid3.db', scheduler: { enabled: false } }));
    const added = await timed('plugin add', () => rfid3(['plugin', 'add', tarball, '--json'], siteDir));
    expect(JSON.parse(added.stdout)).toMatchObject({
      packageName: 'rfid3-plugin-hello',
      pluginId: 'hello',
      linkedCore: true,
      registered: true,
      tarball: 'plugins/rfid3-plugin-hello-0.1.0.tgz',
    });
    expect(JSON.parse(readFileSync(join(siteDir, 'rfid3.config.json'), 'utf8'))).toEqual({
      databaseUrl: 'sqlite:./rfid3.db',
      scheduler: { enabled: false },
      plugins: ['rfid3-plugin-hello'],
    });
    expect(realpathSync(join(siteDir, 'node_modules/@rfid3/core'))).toBe(realpathSync(join(hostDir, 'node_modules/@rfid3/core')));
    expect(JSON.parse(readFileSync(join(siteDir, 'package.json'), 'utf8')).dependencies).toEqual({
      '@rfid3/core': 'file:../host/node_modules/@rfid3/core',
      'rfid3-plugin-hello': 'file:plugins/rfid3-plugin-hello-0.1.0.tgz',
    });

    // Adding it again changes nothing in the config; a plugin for another core is refused before npm runs.
    expect(JSON.parse((await rfid3(['plugin', 'add', tarball, '--json'], siteDir)).stdout)).toMatchObject({ registered: false, linkedCore: false });
    const future = join(root, 'future');
    mkdirSync(future);
    writeFileSync(join(future, 'package.json'), JSON.stringify({ name: 'rfid3-plugin-future', version: '1.0.0', type: 'module', peerDependencies: { '@rfid3/core': '>=9.0.0' } }));
    writeFileSync(join(future, 'index.js'), 'export default {};\n');
    const refused = await rfid3(['plugin', 'add', future], siteDir).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(refused?.code).toBe(1);
    expect(refused?.stderr).toMatch(/rfid3-plugin-future@1\.0\.0 needs @rfid3\/core >=9\.0\.0, but this host runs @rfid3\/core 0\.1\.0/);
    expect(JSON.parse(readFileSync(join(siteDir, 'rfid3.config.json'), 'utf8')).plugins).toEqual(['rfid3-plugin-hello']);
  }, 300_000);

  it('rfid3 serve loads it beside the first-party plugins and serves its endpoint over HTTP', async () => {
    // A simulated business in the site's database, written with the core installed from its tarball.
    const seed = join(hostDir, 'seed.mjs');
    writeFileSync(
      seed,
      `import { coreMigrations, createDatabase, migrate } from '@rfid3/core';
import { simulate } from '@rfid3/core/simulator';
const database = createDatabase(process.argv[2]);
await migrate(database, 'core', coreMigrations);
const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
const { truth } = await simulate(database, { seed: 7, items: 240, days: 120, end: yesterday });
await database.close();
console.log(JSON.stringify([...truth.classes].sort((a, b) => b.baseDailyUnits - a.baseDailyUnits).map((c) => c.rentalClass)));
`,
    );
    const classes = JSON.parse(
      (await timed('seed', () => run(process.execPath, [seed, `sqlite:${join(siteDir, 'rfid3.db')}`], { cwd: hostDir, env: childEnv() }))).stdout,
    ) as string[];

    const port = await freeLoopbackPort();
    const base = `http://127.0.0.1:${port}/api/predictive`;
    let log = '';
    server = spawn(process.execPath, [cli, 'serve'], {
      cwd: siteDir,
      env: childEnv({ PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.on('data', (c: Buffer) => (log += c.toString()));
    server.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    const status = await timed('serve until ready', async () => {
      for (let i = 0; i < 600; i++) {
        if (server!.exitCode !== null) throw new Error(`rfid3 serve exited with ${server!.exitCode}:\n${log}`);
        const res = await fetch(`${base}/health/system-status`).catch(() => null);
        if (res?.ok) return (await res.json()) as { plugins: { id: string }[] };
        await new Promise((ok) => setTimeout(ok, 200));
      }
      throw new Error(`rfid3 serve did not answer within 120 s:\n${log}`);
    });
    expect(status.plugins.map((p) => p.id).sort()).toEqual([...FIRST_PARTY_IDS, 'hello'].sort());

    const res = await fetch(`${base}/hello/rental-classes/${encodeURIComponent(classes[0]!)}?days=5`);
    const body = (await res.json()) as {
      rentalClass: string;
      units: number;
      onRent: number;
      modelVersion: string;
      forecast: { day: string; units: number; lower: number; upper: number }[];
    };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ rentalClass: classes[0], modelVersion: 'hello.units-out@1' });
    expect(body.units).toBeGreaterThan(0);
    expect(body.onRent).toBeLessThanOrEqual(body.units);
    expect(body.forecast).toHaveLength(5);
    for (const f of body.forecast) expect(f.lower <= f.units && f.units <= f.upper).toBe(true);

    const bad = await fetch(`${base}/hello/rental-classes/${encodeURIComponent(classes[0]!)}?days=0`);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(await bad.json())).toContain('query.days');
    const openapi = (await (await fetch(`http://127.0.0.1:${port}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toContain('/api/predictive/hello/rental-classes/{rental_class}');
  }, 300_000);
});
