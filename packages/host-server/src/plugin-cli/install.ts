import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve as resolveModule } from 'import-meta-resolve';
import semver from 'semver';
import { CliError } from '../cli-io.js';
import { DEFAULT_CONFIG_FILE, loadHostConfig } from '../config.js';
import { loadPlugins, PluginPackageError } from '../plugins.js';
import { hostCore, type HostCore } from './host-core.js';
import { readTarballManifest } from './tarball.js';
import { tarballName } from './templates.js';

/** The folder (under the host's folder) that keeps the tarballs of added plugins, so a later `npm install` still finds them. */
export const PLUGIN_TARBALL_DIR = 'plugins';

export interface AddPluginOptions {
  /** A plugin package folder (packed here with `npm pack`, which runs its `prepack` build) or an npm tarball. */
  source: string;
  cwd: string;
  env: Record<string, string | undefined>;
  /** `--config`; else `RFID3_CONFIG`; else `./rfid3.config.json` (created when missing). */
  configPath?: string;
  /** Progress lines and npm's own output. */
  log: (text: string) => void;
  /** The host's core (found from the host when absent). */
  core?: HostCore;
}

export interface AddPluginResult {
  packageName: string;
  version: string;
  pluginId: string;
  coreRange: string;
  /** The folder the host resolves plugins from: the config file's. */
  baseDir: string;
  configFile: string;
  /** Where the tarball is kept, relative to `baseDir`. */
  tarball: string;
  /** True when this run linked the host's `@rfid3/core` into `baseDir` (it was not resolvable there). */
  linkedCore: boolean;
  /** False when the config already listed the package. */
  registered: boolean;
}

/**
 * Installs a plugin package into the host's folder (the config file's) so that it resolves the host's own
 * `@rfid3/core`, then lists it in the config's `plugins`. `@rfid3/core` is a peer of every plugin and is not
 * on the npm registry, so where the host's core cannot be resolved from that folder it is linked there
 * (`"@rfid3/core": "file:…"`) before npm installs the plugin; npm then finds the peer satisfied.
 */
export async function addPlugin(options: AddPluginOptions): Promise<AddPluginResult> {
  const core = options.core ?? hostCore();
  const { configFile, baseDir } = locateConfig(options);
  const source = resolve(options.cwd, options.source);
  if (!existsSync(source)) throw new CliError(`${source} does not exist: give a plugin package folder or an npm tarball (.tgz)`);

  // Checked before anything is packed, copied or installed: a refused plugin leaves nothing behind.
  const isFolder = statSync(source).isDirectory();
  if (!isFolder && !/\.(tgz|tar\.gz)$/.test(source)) throw new CliError(`${source} is neither a folder nor an npm tarball (.tgz)`);
  const manifest = (isFolder ? readJson(join(source, 'package.json'), `${source} is not a package folder`) : readTarballManifest(source)) as PluginManifest;
  checkManifest(manifest, isFolder ? join(source, 'package.json') : source, core);
  const name = manifest.name!;
  const version = manifest.version!;

  const keep = join(baseDir, PLUGIN_TARBALL_DIR);
  mkdirSync(keep, { recursive: true });
  let tarball: string;
  if (isFolder) {
    options.log(`packing ${source} (npm pack runs its prepack build)\n`);
    await npm(['pack', source, '--pack-destination', keep], baseDir, options);
    tarball = join(keep, tarballName(name, version));
    if (!existsSync(tarball)) throw new CliError(`npm pack of ${source} wrote no ${basename(tarball)} into ${keep}`);
  } else {
    tarball = join(keep, basename(source));
    if (resolve(tarball) !== source) copyFileSync(source, tarball);
  }

  // The host's folder is an npm project whose node_modules the host resolves plugins from.
  const projectFile = join(baseDir, 'package.json');
  const project = existsSync(projectFile)
    ? readJson(projectFile, `${projectFile} is not valid JSON`)
    : { name: 'rfid3-site', private: true, description: 'Plugins of an rfid3 host (added with `rfid3 plugin add`)' };
  let linkedCore = false;
  if (coreFrom(pathToFileURL(`${baseDir}${sep}`).href) !== core.dir) {
    const deps = (project.dependencies ?? {}) as Record<string, string>;
    deps['@rfid3/core'] = `file:${relative(baseDir, core.dir).split(sep).join('/')}`;
    project.dependencies = deps;
    linkedCore = true;
    options.log(`linking the host's @rfid3/core ${core.version} (${core.dir}) into ${baseDir}\n`);
  }
  if (linkedCore || !existsSync(projectFile)) writeFileSync(projectFile, `${JSON.stringify(project, null, 2)}\n`);

  const spec = `./${relative(baseDir, tarball).split(sep).join('/')}`;
  options.log(`npm install ${spec} in ${baseDir}\n`);
  await npm(['install', spec, '--no-audit', '--no-fund'], baseDir, options);

  // Load it as `rfid3 serve` will, before the config names it.
  let pluginId: string;
  let coreRange: string;
  try {
    const [entry] = await loadPlugins([{ package: name }], { baseDir, mode: 'replace' });
    ({ id: pluginId, coreRange } = entry!.plugin as { id: string; coreRange: string });
  } catch (err) {
    if (err instanceof PluginPackageError) throw new CliError(`${err.message} (it is installed in ${baseDir} but not added to the config)`);
    throw err;
  }
  const entryUrl = resolveModule(name, pathToFileURL(`${baseDir}${sep}`).href);
  const itsCore = coreFrom(entryUrl);
  if (itsCore !== core.dir) {
    throw new CliError(`${name} resolves @rfid3/core from ${itsCore ?? 'nowhere'}, not the host's (${core.dir}); it is installed in ${baseDir} but not added to the config`);
  }
  if (!semver.satisfies(core.version, coreRange, { includePrerelease: true })) {
    throw new CliError(`plugin '${pluginId}' (${name}) declares coreRange ${coreRange}, which @rfid3/core ${core.version} does not satisfy`);
  }

  const registered = register(configFile, name);
  return { packageName: name, version, pluginId, coreRange, baseDir, configFile, tarball: relative(baseDir, tarball), linkedCore, registered };
}

interface PluginManifest {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** Refuses a package that would not take the host's core: `@rfid3/core` must be a peer, in a range this core satisfies. */
function checkManifest(manifest: PluginManifest, where: string, core: HostCore): void {
  const name = manifest.name;
  if (!name || !manifest.version) throw new CliError(`${where}: the package has no name or version`);
  if (manifest.dependencies?.['@rfid3/core']) {
    throw new CliError(
      `${name} lists @rfid3/core in "dependencies": a plugin must take the host's core, so move it to "peerDependencies" (and "devDependencies" to build against)`,
    );
  }
  const range = manifest.peerDependencies?.['@rfid3/core'];
  if (!range) throw new CliError(`${name} is not an RFID3 plugin package: its package.json has no "peerDependencies": { "@rfid3/core": "<range>" }`);
  if (!semver.validRange(range) || !semver.satisfies(core.version, range, { includePrerelease: true })) {
    throw new CliError(`${name}@${manifest.version} needs @rfid3/core ${range}, but this host runs @rfid3/core ${core.version}`);
  }
}

/** The config file `rfid3 serve` would read from here, and its folder; a file that does not exist yet is fine. */
function locateConfig(options: AddPluginOptions): { configFile: string; baseDir: string } {
  const explicit = options.configPath ?? (options.env.RFID3_CONFIG?.trim() || undefined);
  const configFile = resolve(options.cwd, explicit ?? DEFAULT_CONFIG_FILE);
  // An existing file must be valid before anything is installed for it.
  if (existsSync(configFile)) loadHostConfig({ cwd: options.cwd, env: options.env, configPath: configFile });
  return { configFile, baseDir: dirname(configFile) };
}

/** Adds the package to the config's `plugins` (creating the file); false when it was already listed. */
function register(configFile: string, name: string): boolean {
  const config = existsSync(configFile) ? readJson(configFile, `${configFile} is not valid JSON`) : {};
  const plugins = (config.plugins ?? []) as (string | { package: string })[];
  if (plugins.some((p) => (typeof p === 'string' ? p : p.package) === name)) return false;
  config.plugins = [...plugins, name];
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  return true;
}

/** The package folder of the `@rfid3/core` an import from `parent` gets (symlinks resolved), or null. */
function coreFrom(parent: string): string | null {
  try {
    return realpathSync(dirname(fileURLToPath(resolveModule('@rfid3/core/package.json', parent))));
  } catch {
    return null;
  }
}

function readJson(path: string, problem: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new CliError(`${problem} (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** Runs npm in `cwd`, its output passed on as progress; fails with a CliError naming the command. */
function npm(args: string[], cwd: string, options: AddPluginOptions): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, {
      cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: process.platform === 'win32',
    });
    child.stdout.on('data', (chunk: Buffer) => options.log(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => options.log(chunk.toString()));
    child.on('error', (err) => fail(new CliError(`cannot run npm: ${err.message}`)));
    child.on('close', (code) => (code === 0 ? done() : fail(new CliError(`npm ${args.join(' ')} failed in ${cwd} (exit ${code}); its output is above`))));
  });
}
