import { isDeepStrictEqual } from 'node:util';
import type { AnyEndpoint, HttpMethod } from '@rfid3/core';
import { startTestHost, type TestHost } from '@rfid3/core/testing';
import { demandPlugin } from '@rfid3/plugin-demand';
import { maintenancePlugin } from '@rfid3/plugin-maintenance';
import { packPlugin } from '@rfid3/plugin-pack';
import { pricingPlugin } from '@rfid3/plugin-pricing';
import { qualityPlugin } from '@rfid3/plugin-quality';
import { restockPlugin } from '@rfid3/plugin-restock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ZodType } from 'zod';
import { ingestEndpoints } from '../src/ingest/endpoints.js';
import { API_PREFIX, buildOpenApiDocument, toOpenApiPath } from '../src/openapi.js';

const ALL_PLUGINS = [demandPlugin, maintenancePlugin, qualityPlugin, pricingPlugin, restockPlugin, packPlugin];

type Operation = { responses: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }>; description?: string; 'x-alias-of'?: string };

/** The answer as a client reads it (JSON), and whether the schema takes it whole: valid, and no field the schema leaves out. */
function checkAgainst(schema: ZodType, body: unknown): { ok: boolean; issues?: unknown; json: unknown; parsed?: unknown } {
  const json: unknown = JSON.parse(JSON.stringify(body));
  const r = schema.safeParse(json);
  return r.success ? { ok: true, json, parsed: r.data } : { ok: false, issues: r.error.issues.slice(0, 5), json };
}

/** Where the answer has keys the parsed value lost (the schema does not declare them), as dotted paths. */
function undeclaredKeys(json: unknown, parsed: unknown, at = ''): string[] {
  if (Array.isArray(json) && Array.isArray(parsed)) return json.flatMap((v, i) => undeclaredKeys(v, parsed[i], `${at}.${i}`)).slice(0, 5);
  if (json && typeof json === 'object' && parsed && typeof parsed === 'object') {
    const p = parsed as Record<string, unknown>;
    return Object.entries(json as Record<string, unknown>)
      .flatMap(([k, v]) => (k in p ? undeclaredKeys(v, p[k], `${at}.${k}`) : [`${at}.${k}`]))
      .slice(0, 5);
  }
  return [];
}

describe('every endpoint declares its response schema, and the OpenAPI document carries it', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startTestHost({ plugins: ALL_PLUGINS, simulate: { items: 300, days: 420, packComponents: true } });
  });
  afterAll(() => host.close());

  it('has an output schema on every endpoint of core, the host and each first-party plugin, rendered in the document', () => {
    const { runtime } = host;
    const hostEndpoints = ingestEndpoints(runtime);
    const doc = buildOpenApiDocument(runtime, { hostEndpoints }) as unknown as { paths: Record<string, Record<string, Operation>> };
    const mounted: { endpoint: AnyEndpoint; prefix: string }[] = [
      ...runtime.endpoints.all().map(({ endpoint }) => ({ endpoint, prefix: API_PREFIX })),
      ...hostEndpoints.map((endpoint) => ({ endpoint, prefix: '/api' })),
    ];
    expect(mounted.length).toBeGreaterThanOrEqual(40);
    const missing: string[] = [];
    for (const { endpoint, prefix } of mounted) {
      const name = `${endpoint.method} ${endpoint.path}`;
      if (!endpoint.output) missing.push(`${name}: no output schema`);
      for (const path of [endpoint.path, ...(endpoint.aliases ?? [])]) {
        const op = doc.paths[`${prefix}${toOpenApiPath(path)}`]?.[endpoint.method.toLowerCase()];
        if (!op) {
          missing.push(`${name}: ${path} not in the document`);
          continue;
        }
        const status = String(endpoint.successStatus ?? 200);
        const schema = op.responses[status]?.content?.['application/json']?.schema;
        if (status !== '204' && (!schema || (schema.type === 'object' && !schema.properties && !schema.$ref))) missing.push(`${name}: ${path} has no rendered response schema`);
        if (op.description?.includes('could not be rendered')) missing.push(`${name}: ${op.description}`);
        // An alias is marked, and names its canonical path.
        if (path !== endpoint.path) expect(op['x-alias-of'], path).toBe(`${prefix}${toOpenApiPath(endpoint.path)}`);
        else expect(op['x-alias-of'], path).toBeUndefined();
      }
    }
    expect(missing).toEqual([]);
  });

  it("lives under each plugin's id, with the design's paths kept as declared aliases", () => {
    for (const { pluginId, endpoint } of host.runtime.endpoints.all()) {
      if (pluginId === 'core') continue;
      expect(endpoint.path === `/${pluginId}` || endpoint.path.startsWith(`/${pluginId}/`), endpoint.path).toBe(true);
    }
    for (const [method, design] of [
      ['GET', '/inventory/restock-alerts'],
      ['POST', '/inventory/approve-restock/X1'],
      ['GET', '/packs/recommendations'],
      ['DELETE', '/packs/dissolve-pack/X1'],
    ] as const) {
      const found = host.runtime.endpoints.find(method as HttpMethod, design);
      expect(found, design).not.toBeNull();
      expect(found!.mounted.endpoint.aliases).toContain(design.replace('X1', found!.mounted.endpoint.method === 'DELETE' ? ':pack_id' : ':item_id'));
    }
  });

  it('answers real requests with bodies their declared schemas take whole (valid, no undeclared field)', async () => {
    const item = (await host.runtime.database.db.selectFrom('id_item_master').select('tag_id').where('status', '!=', 'Sold').limit(1).executeTakeFirstOrThrow()).tag_id;
    await host.runJob('restock.propose');
    await host.runJob('pack.propose');
    const calls: [HttpMethod, string][] = [
      ['GET', '/health/system-status'],
      ['GET', '/health/performance-metrics'],
      ['GET', '/health/prediction-accuracy'],
      ['GET', '/rental-classes'],
      ['GET', '/models/status'],
      ['GET', '/models/version-history'],
      ['GET', '/models/performance'],
      ['GET', '/jobs'],
      ['GET', '/decisions'],
      ['GET', '/kpis'],
      ['GET', '/demand/forecast?weeks=1&category=Tables'],
      ['GET', '/demand/accuracy'],
      ['GET', '/restock/restock-alerts'],
      ['GET', '/inventory/optimization-recommendations'],
      ['GET', '/pack/performance-analysis'],
      ['GET', '/packs/recommendations'],
      ['GET', '/pricing/elasticity-analysis'],
      ['GET', '/pricing/recommendations?limit=20'],
      ['GET', '/maintenance/schedule?days=14'],
      ['GET', `/maintenance/probability/${item}`],
      ['GET', `/quality/degradation/${item}`],
      ['GET', '/quality/replacement-recommendations?limit=20'],
    ];
    const failures: unknown[] = [];
    for (const [method, path] of calls) {
      const res = await host.call(method, path, { principal: host.principals.admin });
      expect(res.status, path).toBeLessThan(300);
      const found = host.runtime.endpoints.find(method, new URL(path, 'http://x').pathname)!;
      const checked = checkAgainst(found.mounted.endpoint.output!, res.body);
      if (!checked.ok) failures.push({ path, issues: checked.issues });
      else if (!isDeepStrictEqual(checked.parsed, checked.json)) failures.push({ path, undeclared: undeclaredKeys(checked.json, checked.parsed) });
    }
    // A POST too: a queued job's 202 and the decision transitions.
    const retrain = await host.call('POST', '/demand/retrain', { principal: host.principals.admin });
    const retrainCheck = checkAgainst(host.runtime.endpoints.find('POST', '/demand/retrain')!.mounted.endpoint.output!, retrain.body);
    if (!retrainCheck.ok) failures.push({ path: '/demand/retrain', issues: retrainCheck.issues });
    expect(failures).toEqual([]);
  }, 900_000);

  it('tells a wrong schema apart: the check refuses an answer missing a field or with one undeclared', async () => {
    const schema = host.runtime.endpoints.find('GET', '/rental-classes')!.mounted.endpoint.output!;
    const res = await host.call('GET', '/rental-classes');
    const good = checkAgainst(schema, res.body);
    expect(good.ok).toBe(true);
    const classes = (res.body as { classes: Record<string, unknown>[] }).classes;
    expect(checkAgainst(schema, { classes: classes.map(({ units: _u, ...c }) => c) }).ok).toBe(false);
    const extra = checkAgainst(schema, { classes: classes.map((c) => ({ ...c, surprise: 1 })) });
    expect(extra.ok).toBe(true);
    expect(isDeepStrictEqual(extra.parsed, extra.json)).toBe(false);
  });
});
