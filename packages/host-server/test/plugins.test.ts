import { CORE_VERSION, createRuntime, silentLogger } from '@rfid3/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlugins } from '../src/plugins.js';
import { serve, tempDir, writePluginPackage } from './helpers.js';

const WEATHER_PLUGIN = `
import { definePlugin, defineEndpoint, HttpProblem } from '@rfid3/core';

export default definePlugin({
  id: 'acme-weather',
  version: '1.2.3',
  coreRange: '>=0.1.0 <1.0.0',
  description: 'Third-party weather plugin',
  aliasPrefixes: ['/weather'],
  register(env) {
    env.endpoint(
      defineEndpoint({
        method: 'GET',
        path: '/acme-weather/today',
        aliases: ['/weather/today'],
        summary: 'Weather today',
        role: 'read',
        handler: (_input, ctx) => ({ sky: env.config.sky ?? 'clear', plugin: env.pluginId, requestId: ctx.requestId }),
      }),
      defineEndpoint({
        method: 'GET',
        path: '/acme-weather/nowhere',
        aliases: ['/weather/nowhere'],
        summary: 'Always 404',
        role: 'read',
        handler() {
          throw new HttpProblem({ status: 404, title: 'Not Found', detail: 'no weather station there' });
        },
      }),
    );
  },
});
`;

const FUTURE_PLUGIN = `
import { definePlugin } from '@rfid3/core';
export const plugin = definePlugin({ id: 'acme-future', version: '9.0.0', coreRange: '>=9.0.0', register() {} });
`;

describe('loading plugins by package name', () => {
  const tmp = tempDir();
  beforeAll(() => {
    writePluginPackage(tmp.dir, 'acme-rfid3-weather', WEATHER_PLUGIN);
    writePluginPackage(tmp.dir, 'acme-rfid3-future', FUTURE_PLUGIN);
    writePluginPackage(tmp.dir, 'acme-rfid3-empty', 'export const version = 1;\n');
  });
  afterAll(() => tmp.remove());

  it('loads a third-party package from the base folder and serves its endpoint over HTTP', async () => {
    const entries = await loadPlugins([{ package: 'acme-rfid3-weather', config: { sky: 'overcast' } }], { baseDir: tmp.dir, mode: 'replace' });
    expect(entries.map((e) => e.source)).toEqual(['acme-rfid3-weather']);
    const runtime = await createRuntime({ config: { databaseUrl: 'sqlite::memory:' }, logger: silentLogger(), plugins: entries });
    expect(runtime.plugins.map((p) => [p.id, p.version, p.source])).toEqual([['acme-weather', '1.2.3', 'acme-rfid3-weather']]);
    const app = await serve(runtime);
    try {
      const res = await fetch(`${app.url}/api/predictive/weather/today`, { headers: { 'x-request-id': 'weather-1' } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ sky: 'overcast', plugin: 'acme-weather', requestId: 'weather-1' });
      // The plugin's HttpProblem comes from its own import of core and must still keep its status.
      const missing = await fetch(`${app.url}/api/predictive/weather/nowhere`);
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { detail: string }).detail).toBe('no weather station there');
    } finally {
      await app.close();
    }
  });

  it('refuses a plugin whose core range this core does not satisfy, naming the plugin and both versions', async () => {
    const entries = await loadPlugins([{ package: 'acme-rfid3-future' }], { baseDir: tmp.dir, mode: 'replace' });
    const attempt = createRuntime({ config: { databaseUrl: 'sqlite::memory:' }, logger: silentLogger(), plugins: entries });
    await expect(attempt).rejects.toThrow(/acme-future/);
    const message = await attempt.catch((err: Error) => err.message);
    expect(message).toContain('>=9.0.0');
    expect(message).toContain(CORE_VERSION);
    expect(message).toContain('acme-rfid3-future');
  });

  it('fails clearly on a package that does not exist, naming it and the folder searched', async () => {
    const attempt = loadPlugins([{ package: 'acme-rfid3-does-not-exist' }], { baseDir: tmp.dir, mode: 'replace' });
    await expect(attempt).rejects.toThrow(/acme-rfid3-does-not-exist/);
    await expect(attempt).rejects.toThrow(tmp.dir);
  });

  it('fails clearly on a package that exports no plugin', async () => {
    const attempt = loadPlugins([{ package: 'acme-rfid3-empty' }], { baseDir: tmp.dir, mode: 'replace' });
    await expect(attempt).rejects.toThrow(/'acme-rfid3-empty'.*does not export an RFID3 plugin.*version/);
  });

  it('finds first-party plugins beside the host when the base folder lacks them', async () => {
    const entries = await loadPlugins([{ package: '@rfid3/plugin-restock' }], { baseDir: tmp.dir, mode: 'replace' });
    expect(entries).toHaveLength(1);
    expect(entries[0]!.source).toBe('@rfid3/plugin-restock');
    expect((entries[0]!.plugin as { id: string }).id).toBe('restock');
  });

  it('by default a plugins list adds to the installed first-party plugins, and gives a listed first-party one its config', async () => {
    const specs = [
      { package: 'acme-rfid3-weather', config: { sky: 'overcast' } },
      { package: '@rfid3/plugin-pack', config: { windowDays: 90 } },
    ];
    const added = await loadPlugins(specs, { baseDir: tmp.dir });
    expect(added.map((e) => e.source)).toEqual([
      '@rfid3/plugin-demand',
      '@rfid3/plugin-maintenance',
      '@rfid3/plugin-quality',
      '@rfid3/plugin-pricing',
      '@rfid3/plugin-restock',
      'acme-rfid3-weather',
      '@rfid3/plugin-pack',
    ]);
    expect(added.find((e) => e.source === '@rfid3/plugin-pack')!.config).toEqual({ windowDays: 90 });
    expect(added.filter((e) => e.source === '@rfid3/plugin-pack')).toHaveLength(1);
    const replaced = await loadPlugins(specs, { baseDir: tmp.dir, mode: 'replace' });
    expect(replaced.map((e) => e.source)).toEqual(['acme-rfid3-weather', '@rfid3/plugin-pack']);
    expect(await loadPlugins([], { baseDir: tmp.dir, mode: 'replace' })).toEqual([]);
  });

  it('with no plugins configured, loads all six first-party plugins into one runtime', async () => {
    const entries = await loadPlugins(null, { baseDir: tmp.dir });
    const runtime = await createRuntime({ config: { databaseUrl: 'sqlite::memory:' }, logger: silentLogger(), plugins: entries });
    try {
      expect(runtime.plugins.map((p) => p.id).sort()).toEqual(['demand', 'maintenance', 'pack', 'pricing', 'quality', 'restock']);
      for (const p of runtime.plugins) expect(p.coreRange, p.id).toBe('>=0.1.0 <1.0.0');
      expect(runtime.endpoints.find('GET', '/demand/forecast')?.mounted.pluginId).toBe('demand');
    } finally {
      await runtime.close();
    }
  });
});
