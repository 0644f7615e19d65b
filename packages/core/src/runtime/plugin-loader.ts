import { satisfies, validRange } from 'semver';
import type { z } from 'zod';
import type { AnyPlugin } from '../contracts/plugin.js';
import { PLUGIN_API_VERSION, PLUGIN_BRAND, isPlugin } from '../contracts/plugin.js';
import type { ServiceRef } from '../contracts/service-ref.js';
import { CORE_VERSION } from '../version.js';
import { fieldErrors } from '../contracts/validation.js';

/** A plugin to load, with where it came from (for messages) and its config section. */
export interface PluginEntry {
  plugin: unknown;
  /** The package name or path it was imported from. */
  source?: string;
  config?: unknown;
}

/** Why a plugin was refused; the message names the plugin and what is wrong. */
export class PluginLoadError extends Error {
  constructor(
    readonly pluginId: string,
    readonly reason: string,
    readonly source?: string,
  ) {
    super(`plugin '${pluginId}'${source && source !== pluginId ? ` (from ${source})` : ''}: ${reason}`);
    this.name = 'PluginLoadError';
  }
}

/** A plugin checked for loading, with its source and its config section. */
export interface CheckedPlugin {
  plugin: AnyPlugin;
  source?: string;
  config: unknown;
}

/**
 * Checks every plugin before any registers (brand and API version, core range, duplicate ids,
 * config against its schema, required services) and returns them in an order where each plugin
 * comes after the plugins providing what it requires. Services in `replaced` (given to the runtime, e.g. by a test)
 * may also be provided by a plugin: the given one takes its place.
 */
export function checkPlugins(entries: PluginEntry[], boundByCore: Set<symbol>, coreVersion = CORE_VERSION, replaced: ReadonlySet<symbol> = new Set()): CheckedPlugin[] {
  const checked: CheckedPlugin[] = [];
  const seen = new Map<string, string | undefined>();
  for (const entry of entries) {
    const p = entry.plugin as Partial<AnyPlugin> | null | undefined;
    const label = (typeof p?.id === 'string' && p.id) || entry.source || '(unnamed)';
    if (!isPlugin(p)) {
      throw new PluginLoadError(label, 'is not an RFID3 plugin: export the value returned by definePlugin() from @rfid3/core as the default export', entry.source);
    }
    const api = (p as unknown as Record<symbol, unknown>)[PLUGIN_BRAND];
    if (api !== PLUGIN_API_VERSION) {
      throw new PluginLoadError(p.id, `was built for plugin API ${String(api)}; this core supports plugin API ${PLUGIN_API_VERSION}`, entry.source);
    }
    if (typeof p.coreRange !== 'string' || !validRange(p.coreRange)) {
      throw new PluginLoadError(p.id, `coreRange '${String(p.coreRange)}' is not a valid semver range`, entry.source);
    }
    if (!satisfies(coreVersion, p.coreRange, { includePrerelease: true })) {
      throw new PluginLoadError(
        p.id,
        `needs @rfid3/core ${p.coreRange}, but this host runs @rfid3/core ${coreVersion}; install a version of the plugin built for it`,
        entry.source,
      );
    }
    if (seen.has(p.id)) {
      const other = seen.get(p.id);
      throw new PluginLoadError(p.id, `duplicate plugin id: already loaded${other ? ` from ${other}` : ''}`, entry.source);
    }
    seen.set(p.id, entry.source);
    let config: unknown = entry.config ?? {};
    if (p.configSchema) {
      const parsed = (p.configSchema as z.ZodType).safeParse(config);
      if (!parsed.success) {
        const detail = fieldErrors(parsed.error, 'config')
          .map((e) => `${e.field}: ${e.message}`)
          .join('; ');
        throw new PluginLoadError(p.id, `invalid config: ${detail}`, entry.source);
      }
      config = parsed.data;
    }
    checked.push({ plugin: p, source: entry.source, config });
  }
  return orderByDependencies(checked, boundByCore, replaced);
}

function refsOf(plugin: AnyPlugin): ServiceRef<unknown>[] {
  return Object.values(plugin.requires ?? {}) as ServiceRef<unknown>[];
}

function orderByDependencies(plugins: CheckedPlugin[], boundByCore: Set<symbol>, replaced: ReadonlySet<symbol>): CheckedPlugin[] {
  const provider = new Map<symbol, CheckedPlugin>();
  for (const c of plugins) {
    for (const ref of c.plugin.provides ?? []) {
      const other = provider.get(ref.token);
      if (boundByCore.has(ref.token) && !replaced.has(ref.token)) throw new PluginLoadError(c.plugin.id, `provides '${ref.id}', which core already binds`, c.source);
      if (other) throw new PluginLoadError(c.plugin.id, `provides '${ref.id}', which plugin '${other.plugin.id}' also provides`, c.source);
      provider.set(ref.token, c);
    }
  }
  for (const c of plugins) {
    for (const ref of refsOf(c.plugin)) {
      if (!boundByCore.has(ref.token) && !provider.has(ref.token)) {
        throw new PluginLoadError(c.plugin.id, `requires service '${ref.id}', which neither core nor any loaded plugin provides`, c.source);
      }
    }
  }
  const ordered: CheckedPlugin[] = [];
  const state = new Map<CheckedPlugin, 'visiting' | 'done'>();
  const visit = (c: CheckedPlugin, path: string[]) => {
    if (state.get(c) === 'done') return;
    if (state.get(c) === 'visiting') {
      throw new PluginLoadError(c.plugin.id, `dependency cycle: ${[...path, c.plugin.id].join(' → ')}`, c.source);
    }
    state.set(c, 'visiting');
    for (const ref of refsOf(c.plugin)) {
      const dep = provider.get(ref.token);
      if (dep && dep !== c) visit(dep, [...path, c.plugin.id]);
    }
    state.set(c, 'done');
    ordered.push(c);
  };
  for (const c of plugins) visit(c, []);
  return ordered;
}
