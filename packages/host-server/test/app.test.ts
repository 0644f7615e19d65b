import { API_PREFIX, toOpenApiPath } from '../src/openapi.js';
import { ApiKeyStore } from '../src/keys.js';
import { JsonAnswer, SerializedAnswers, defineEndpoint, definePlugin, markStale } from '@rfid3/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOM_SECRET, acmePlugin } from './acme-plugin.js';
import type { RunningApp } from './helpers.js';
import { capturingLogger, problemOf, serve, testRuntime } from './helpers.js';

const PROBLEM = /^application\/problem\+json/;

async function requestCount(url: string, route: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('rfid3_http_request_duration_seconds_count{') && line.includes(`route="${route}"`)) total += Number(line.split(' ').pop());
  }
  return total;
}

describe('HTTP host', () => {
  let app: RunningApp;
  let operateKey: string;

  beforeAll(async () => {
    const runtime = await testRuntime([acmePlugin]);
    operateKey = (await new ApiKeyStore({ database: runtime.database }).create('tests', 'operate')).key;
    app = await serve(runtime);
  });
  afterAll(() => app.close());

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${app.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${operateKey}`, ...headers } });

  it('answers health/system-status with JSON and a request id', async () => {
    const res = await fetch(`${app.url}/api/predictive/health/system-status`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const body = (await res.json()) as { status: string; database: { dialect: string }; plugins: { id: string }[] };
    expect(body.status).toBe('ok');
    expect(body.database.dialect).toBe('sqlite');
    expect(body.plugins.map((p) => p.id)).toEqual(['acme']);
  });

  it('echoes a sane incoming X-Request-Id and replaces one that is not', async () => {
    const echoed = await fetch(`${app.url}/api/predictive/models/status`, { headers: { 'x-request-id': 'lb-7f3a.42' } });
    expect(echoed.headers.get('x-request-id')).toBe('lb-7f3a.42');
    const replaced = await fetch(`${app.url}/api/predictive/models/status`, { headers: { 'x-request-id': 'x'.repeat(300) } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('counts requests on /metrics by route pattern, not raw URL', async () => {
    const route = `${API_PREFIX}/acme/items/:item_id`;
    const before = await requestCount(app.url, route);
    await fetch(`${app.url}/api/predictive/acme/items/abc-1`);
    await fetch(`${app.url}/api/predictive/acme/items/abc-2`);
    const res = await fetch(`${app.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('rfid3_http_request_duration_seconds');
    expect(text).not.toContain('abc-1');
    expect(await requestCount(app.url, route)).toBe(before + 2);
  });

  it('serves an OpenAPI document listing every endpoint with its role and security', async () => {
    const res = await fetch(`${app.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    const doc = JSON.parse(await res.text()) as {
      openapi: string;
      paths: Record<string, Record<string, { 'x-required-role'?: string; security?: unknown[]; parameters?: { name: string; in: string }[] }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toMatch(/^3\./);
    const endpoints = app.runtime.endpoints.all();
    expect(endpoints.length).toBeGreaterThan(8);
    for (const { endpoint } of endpoints) {
      const op = doc.paths[`${API_PREFIX}${toOpenApiPath(endpoint.path)}`]?.[endpoint.method.toLowerCase()];
      expect(op, `${endpoint.method} ${endpoint.path}`).toBeDefined();
      expect(op!['x-required-role']).toBe(endpoint.role);
      if (endpoint.method === 'GET' && endpoint.role === 'read') expect(op!.security).toEqual([]);
      else expect(op!.security!.length).toBeGreaterThan(0);
    }
    const item = doc.paths[`${API_PREFIX}/acme/items/{item_id}`]!.get!;
    expect(item.parameters).toContainEqual(expect.objectContaining({ name: 'item_id', in: 'path' }));
    const job = doc.paths[`${API_PREFIX}/jobs/{id}`]!.get!;
    expect(job.parameters).toContainEqual(expect.objectContaining({ name: 'id', in: 'path' }));
    expect(doc.paths['/metrics']?.get).toBeDefined();
    expect(Object.keys(doc.components.securitySchemes)).toEqual(expect.arrayContaining(['bearerAuth', 'apiKeyHeader']));
  });

  it('rejects a bad query with a 400 problem naming the field', async () => {
    const res = await fetch(`${app.url}/api/predictive/models/performance?limit=0`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(PROBLEM);
    const problem = await problemOf(res);
    expect(problem.errors?.[0]?.field).toBe('query.limit');
    expect(problem.requestId).toBe(res.headers.get('x-request-id'));
  });

  it('rejects a bad path parameter and a bad body field by name', async () => {
    const params = await problemOf(await fetch(`${app.url}/api/predictive/acme/items/ab`));
    expect(params.errors?.[0]?.field).toBe('params.item_id');
    const body = await post('/api/predictive/acme/echo', JSON.stringify({ n: 'three' }));
    expect(body.status).toBe(400);
    expect((await problemOf(body)).errors?.[0]?.field).toBe('body.n');
  });

  it('passes a valid body and the caller to the endpoint', async () => {
    const res = await post('/api/predictive/acme/echo', JSON.stringify({ n: 3 }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ n: 3, by: 'tests' });
  });

  it('rejects malformed JSON with a 400 problem naming body', async () => {
    const res = await post('/api/predictive/acme/echo', '{"n": 3,');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(PROBLEM);
    const problem = await problemOf(res);
    expect(problem.errors?.[0]?.field).toBe('body');
  });

  it('rejects a body that is not JSON with 415', async () => {
    const res = await post('/api/predictive/acme/echo', 'n=3', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toMatch(PROBLEM);
  });

  it('rejects a body over the 1 MiB default limit with a 413 problem', async () => {
    const big = JSON.stringify({ n: 1, note: 'x'.repeat(1024 * 1024) });
    const res = await post('/api/predictive/acme/echo', big);
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(PROBLEM);
    expect((await problemOf(res)).detail).toContain('1048576');
  });

  it('answers an unknown path with a 404 problem', async () => {
    const res = await fetch(`${app.url}/api/predictive/no/such/thing`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(PROBLEM);
    expect((await problemOf(res)).detail).toContain('/api/predictive/no/such/thing');
    expect((await fetch(`${app.url}/favicon.ico`)).status).toBe(404);
  });

  it("names the plugin to install when a first-party plugin's path is not loaded", async () => {
    const res = await fetch(`${app.url}/api/predictive/inventory/restock-alerts`);
    expect(res.status).toBe(404);
    const problem = await problemOf(res);
    expect(problem.plugin).toBe('@rfid3/plugin-restock');
    expect(problem.detail).toContain('@rfid3/plugin-restock');
    // The plugin's own namespace (its id) names it too.
    expect((await problemOf(await fetch(`${app.url}/api/predictive/restock/restock-alerts`))).plugin).toBe('@rfid3/plugin-restock');
    const demand = await problemOf(await fetch(`${app.url}/api/predictive/demand/forecast?weeks=4`));
    expect(demand.plugin).toBe('@rfid3/plugin-demand');
  });

  it('answers a known path with the wrong method with 405 and Allow', async () => {
    const res = await fetch(`${app.url}/api/predictive/health/system-status`, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toContain('GET');
    expect(res.headers.get('content-type')).toMatch(PROBLEM);
    expect((await problemOf(res)).status).toBe(405);
  });

  it('turns a plain Error into a 500 problem that reveals nothing', async () => {
    const res = await fetch(`${app.url}/api/predictive/acme/boom`);
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(PROBLEM);
    const text = await res.text();
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('secret.db');
    expect(text).not.toMatch(/\bat .+:\d+:\d+/);
    expect(text).not.toContain('stack');
    const problem = JSON.parse(text) as { status: number; detail: string; requestId: string };
    expect(problem.status).toBe(500);
    expect(problem.detail).toContain(problem.requestId);
    expect(BOOM_SECRET).toContain('hunter2');
  });
});

describe('request logging', () => {
  it('logs each request and an unexpected error with the request id, keeping the details out of the answer', async () => {
    const { logger, lines } = capturingLogger();
    const app = await serve(await testRuntime([acmePlugin]), { logger });
    try {
      const res = await fetch(`${app.url}/api/predictive/acme/boom`, { headers: { 'x-request-id': 'trace-500' } });
      expect(res.status).toBe(500);
      const failure = lines.find((l) => l.level === 50);
      expect(failure?.requestId).toBe('trace-500');
      expect(failure?.err?.message).toBe(BOOM_SECRET);
      const access = lines.find((l) => l.msg === 'request');
      expect(access).toMatchObject({ requestId: 'trace-500', status: 500, route: '/api/predictive/acme/boom', method: 'GET' });
    } finally {
      await app.close();
    }
  });
});

describe('answers kept serialised', () => {
  // One cached entry and its kept answer, as the demand forecast keeps them; `?stale=1` serves it as a cache
  // the database could not refresh.
  const entry = {};
  const answers = new SerializedAnswers();
  let served = 0;
  const keptPlugin = definePlugin({
    id: 'kept',
    version: '1.0.0',
    coreRange: '>=0.1.0 <1.0.0',
    register(env) {
      env.endpoint(
        defineEndpoint({
          method: 'GET',
          path: '/kept/answer',
          summary: 'A kept answer',
          role: 'read',
          handler: (input) => {
            served++;
            if ((input.query as { stale?: string }).stale) markStale(42);
            const at: [string, string] = ['generatedAt', `2026-06-01 12:00:0${served % 10}`];
            return answers.get(entry, 'q', at) ?? answers.set(entry, 'q', at, { text: 'ü "quoted"', values: [1.5, null, 3] });
          },
        }),
        // Bytes that are not what JSON.stringify would make of the value: only the bytes themselves can be sent.
        defineEndpoint({ method: 'GET', path: '/kept/raw', summary: 'Raw bytes', role: 'read', handler: () => new JsonAnswer({ value: 1 }, Buffer.from('{ "value": 1 }')) }),
      );
    },
  });

  it('sends the kept bytes as they are, as application/json, and flags them stale like any answer', async () => {
    const app = await serve(await testRuntime([keptPlugin]));
    try {
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${app.url}/api/predictive/kept/answer`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
        const text = await res.text();
        expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
        expect(text).toBe(JSON.stringify({ generatedAt: `2026-06-01 12:00:0${served % 10}`, text: 'ü "quoted"', values: [1.5, null, 3] }));
      }
      expect(await (await fetch(`${app.url}/api/predictive/kept/raw`)).text()).toBe('{ "value": 1 }');
      const stale = await fetch(`${app.url}/api/predictive/kept/answer?stale=1`);
      expect(await stale.json()).toMatchObject({ text: 'ü "quoted"', stale: true, staleSeconds: 42 });
    } finally {
      await app.close();
    }
  });
});
