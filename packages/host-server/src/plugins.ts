import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AnyPlugin, Logger, PluginEntry } from '@rfid3/core';
import { isPlugin } from '@rfid3/core';
import { resolve as resolveModule } from 'import-meta-resolve';
import type { PluginSpec, PluginsMode } from './config.js';
import { FIRST_PARTY_PLUGINS } from './config.js';

/** Why a plugin package could not be loaded; the message names the package and where it was looked for. */
export class PluginPackageError extends Error {
  constructor(
    readonly packageName: string,
    message: string,
  ) {
    super(message);
    this.name = 'PluginPackageError';
  }
}

/** Where plugin packages are resolved from when the host loads them. */
export interface LoadPluginsOptions {
  /** Folder that plugin packages are resolved from (its `node_modules`, then its parents'). */
  baseDir: string;
  logger?: Logger;
  /**
   * Module URL that first-party plugins are also resolved from when `baseDir` lacks them: the host's own
   * location, where its package manager installed them as dependencies.
   */
  hostUrl?: string;
  /** `add` (default): `specs` load beside the installed first-party plugins; `replace`: only `specs`. */
  mode?: PluginsMode;
}

const FIRST_PARTY = new Set<string>(FIRST_PARTY_PLUGINS);

/**
 * Imports each plugin package and returns entries for core's `createRuntime({ plugins })`, which checks
 * brand, core range, duplicates, config and required services. Every first-party plugin that is installed
 * is loaded (the missing ones are skipped) unless `mode` is `replace`; `specs` adds plugins to those, or
 * gives a first-party one its config. With `mode` `replace`, exactly `specs` load. A plugin `specs` names
 * must be installed.
 */
export async function loadPlugins(specs: PluginSpec[] | null, options: LoadPluginsOptions): Promise<PluginEntry[]> {
  const hostUrl = options.hostUrl ?? import.meta.url;
  const mode = specs === null ? 'add' : (options.mode ?? 'add');
  const listed = specs ?? [];
  const named = new Set(listed.map((s) => s.package));
  const entries: PluginEntry[] = [];
  if (mode === 'add') {
    for (const name of FIRST_PARTY_PLUGINS) {
      if (named.has(name)) continue;
      const url = locate(name, options.baseDir, hostUrl);
      if (!url) {
        options.logger?.info({ package: name }, 'first-party plugin not installed; skipped');
        continue;
      }
      entries.push({ plugin: await importPlugin(name, url, options.baseDir), source: name, config: {} });
    }
  }
  for (const spec of listed) {
    const url = locate(spec.package, options.baseDir, hostUrl);
    if (!url) {
      const also = FIRST_PARTY.has(spec.package) ? ' or beside the host' : '';
      throw new PluginPackageError(
        spec.package,
        `plugin package '${spec.package}' was not found from ${options.baseDir}${also}: install it there (\`rfid3 plugin add <folder or .tgz>\`, or \`npm install ${spec.package}\`) or fix the name in the config`,
      );
    }
    entries.push({ plugin: await importPlugin(spec.package, url, options.baseDir), source: spec.package, config: spec.config ?? {} });
  }
  return entries;
}

/** The module URL a package name resolves to, or null when it is not installed where we look. */
function locate(name: string, baseDir: string, hostUrl: string): string | null {
  // A directory URL with a trailing slash makes resolution start in `<baseDir>/node_modules`.
  const parents = [pathToFileURL(`${baseDir.replace(/[\\/]+$/, '')}/`).href];
  if (FIRST_PARTY.has(name)) parents.push(hostUrl);
  for (const parent of parents) {
    try {
      return resolveModule(name, parent);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_MODULE_NOT_FOUND') continue;
      throw new PluginPackageError(name, `plugin package '${name}' cannot be resolved from ${baseDir}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return null;
}

async function importPlugin(name: string, url: string, baseDir: string): Promise<AnyPlugin> {
  const where = `searched from ${baseDir}, found at ${url.startsWith('file:') ? fileURLToPath(url) : url}`;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw new PluginPackageError(name, `plugin package '${name}' (${where}) failed to import: ${err instanceof Error ? err.message : String(err)}`);
  }
  const candidate = [mod.default, mod.plugin].find(isPlugin);
  if (candidate) return candidate;
  const exported = Object.keys(mod);
  throw new PluginPackageError(
    name,
    `plugin package '${name}' (${where}) does not export an RFID3 plugin: default-export the value returned by definePlugin() from @rfid3/core, or export it as 'plugin' (it exports: ${exported.length ? exported.join(', ') : 'nothing'})`,
  );
}
