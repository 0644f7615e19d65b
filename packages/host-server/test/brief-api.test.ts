import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST_PARTY_PLUGINS } from '../src/config.js';
import { toOpenApiPath } from '../src/openapi.js';
import { loadPlugins } from '../src/plugins.js';
import type { RunningApp } from './helpers.js';
import { serve, testRuntime } from './helpers.js';

/** BRIEF §6: every path of the API under /api/predictive, with the plugin that serves it (null: core). */
const BRIEF_API: [method: string, path: string, plugin: string | null][] = [
  ['GET', '/demand/forecast', '@rfid3/plugin-demand'],
  ['POST', '/demand/retrain', '@rfid3/plugin-demand'],
  ['GET', '/demand/accuracy', '@rfid3/plugin-demand'],
  ['GET', '/maintenance/schedule', '@rfid3/plugin-maintenance'],
  ['GET', '/maintenance/probability/:item_id', '@rfid3/plugin-maintenance'],
  ['POST', '/maintenance/feedback', '@rfid3/plugin-maintenance'],
  ['GET', '/quality/degradation/:item_id', '@rfid3/plugin-quality'],
  ['GET', '/quality/replacement-recommendations', '@rfid3/plugin-quality'],
  ['POST', '/quality/inspection-result', '@rfid3/plugin-quality'],
  ['GET', '/pricing/recommendations', '@rfid3/plugin-pricing'],
  ['GET', '/pricing/elasticity-analysis', '@rfid3/plugin-pricing'],
  ['POST', '/pricing/test-price', '@rfid3/plugin-pricing'],
  ['GET', '/inventory/restock-alerts', '@rfid3/plugin-restock'],
  ['GET', '/inventory/optimization-recommendations', '@rfid3/plugin-restock'],
  ['POST', '/inventory/approve-restock/:item_id', '@rfid3/plugin-restock'],
  ['GET', '/packs/performance-analysis', '@rfid3/plugin-pack'],
  ['GET', '/packs/recommendations', '@rfid3/plugin-pack'],
  ['POST', '/packs/create-pack', '@rfid3/plugin-pack'],
  ['DELETE', '/packs/dissolve-pack/:pack_id', '@rfid3/plugin-pack'],
  ['GET', '/models/status', null],
  ['GET', '/models/performance', null],
  ['POST', '/models/retrain/:service', null],
  ['GET', '/models/version-history', null],
  ['GET', '/health/system-status', null],
  ['GET', '/health/performance-metrics', null],
  ['GET', '/health/prediction-accuracy', null],
];

const concrete = (path: string) => `/api/predictive${path.replace(/:[a-z_]+/g, 'X1')}`;

describe('BRIEF §6 with no plugin loaded', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await serve(await testRuntime());
  });
  afterAll(() => app.close());

  it("answers each plugin's paths with a 404 problem naming the package that serves them; core's are served", async () => {
    for (const [method, path, plugin] of BRIEF_API) {
      const res = await fetch(`${app.url}${concrete(path)}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }),
      });
      if (plugin) {
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        const body = (await res.json()) as { plugin?: string; detail: string };
        expect(body.plugin, path).toBe(plugin);
        expect(body.detail).toContain(plugin);
      } else {
        expect(app.runtime.endpoints.find(method as 'GET', path.replace(/:[a-z_]+/g, 'X1')), `${method} ${path}`).not.toBeNull();
      }
    }
  });
});

describe('BRIEF §6 with every first-party plugin loaded', () => {
  let app: RunningApp;
  beforeAll(async () => {
    const plugins = await loadPlugins(
      FIRST_PARTY_PLUGINS.map((p) => ({ package: p })),
      { baseDir: process.cwd() },
    );
    app = await serve(await testRuntime([], { plugins }));
  });
  afterAll(() => app.close());

  it('lists each endpoint that is served in the OpenAPI document with its role, and its input schemas', async () => {
    const doc = (await (await fetch(`${app.url}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { 'x-required-role'?: string; parameters?: { in: string; name: string; schema?: unknown }[]; requestBody?: unknown }>>;
    };
    const missing: string[] = [];
    let served = 0;
    for (const [method, path] of BRIEF_API) {
      // The design's path is the endpoint's own or one of its declared aliases (restock's `inventory/…`, pack's `packs/…`).
      const found = app.runtime.endpoints.all().find((m) => m.endpoint.method === method && (m.endpoint.path === path || m.endpoint.aliases?.includes(path)));
      if (!found) {
        missing.push(`${method} ${path}`);
        continue;
      }
      served++;
      const op = doc.paths[`/api/predictive${toOpenApiPath(path)}`]?.[method.toLowerCase()];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op!['x-required-role']).toBe(found.endpoint.role);
      expect(found.endpoint.role).toBe(method === 'GET' ? 'read' : found.endpoint.role);
      for (const name of [...path.matchAll(/:([a-z_]+)/g)].map((m) => m[1]!)) {
        expect(
          op!.parameters?.some((p) => p.in === 'path' && p.name === name),
          `${path} documents {${name}}`,
        ).toBe(true);
      }
      if (found.endpoint.input?.query)
        expect(
          op!.parameters?.some((p) => p.in === 'query'),
          `${path} documents its query`,
        ).toBe(true);
      if (found.endpoint.input?.body) expect(op!.requestBody, `${path} documents its body`).toBeDefined();
    }
    // With every first-party plugin loaded, every endpoint of BRIEF §6 is served.
    expect(missing).toEqual([]);
    expect(served).toBe(BRIEF_API.length);
  });
});
