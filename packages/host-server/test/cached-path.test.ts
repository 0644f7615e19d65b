import { ServerResponse, IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { JsonAnswer, defineEndpoint, definePlugin } from '@rfid3/core';
import helmet from 'helmet';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AppOptions } from '../src/app.js';
import { helmetSteps } from '../src/gateway/security-headers.js';
import { ApiKeyStore } from '../src/keys.js';
import type { RunningApp } from './helpers.js';
import { capturingLogger, serve, testRuntime } from './helpers.js';

// What a request for an answer kept as JSON bytes (the cached forecast's kind) goes through in the host, and what
// the host's shortcuts on that path (an exact-path dispatch before the router, helmet's headers recorded once, the
// parsed query kept by its text) must leave as it was.

const ANSWER = { generatedAt: '2026-01-01 00:00:00', cached: true, series: [{ key: 'tents', points: [1, 2, 3] }] };
const ANSWER_BYTES = Buffer.from(JSON.stringify(ANSWER));

const fastPlugin = definePlugin({
  id: 'fast',
  version: '1.0.0',
  coreRange: '>=0.1.0',
  register(env) {
    env.endpoint(
      defineEndpoint({
        method: 'GET',
        path: '/fast/answer',
        summary: 'An answer kept as JSON bytes',
        role: 'read',
        handler: () => new JsonAnswer(ANSWER, ANSWER_BYTES),
      }),
      // No query schema: the handler gets the query as parsed, and changes it.
      defineEndpoint({
        method: 'GET',
        path: '/fast/tags',
        summary: 'Echoes its query after adding to it',
        role: 'read',
        handler: ({ query }) => {
          const q = query as Record<string, unknown>;
          if (Array.isArray(q.tag)) q.tag.push('added');
          q.extra = 'added';
          return { query: q };
        },
      }),
      // Registered before `/fast/stats`, and matching it too: the router answers `/fast/stats` with this one.
      defineEndpoint({
        method: 'GET',
        path: '/fast/:thing',
        summary: 'Any thing',
        role: 'read',
        handler: ({ params }) => ({ thing: (params as { thing: string }).thing }),
      }),
      defineEndpoint({
        method: 'GET',
        path: '/fast/stats',
        summary: 'Never reached: `/fast/:thing` comes first',
        role: 'read',
        handler: () => ({ stats: true }),
      }),
      defineEndpoint({
        method: 'POST',
        path: '/fast/write',
        summary: 'A write',
        role: 'operate',
        input: { body: z.object({ n: z.number() }) },
        handler: ({ body }) => ({ n: body.n }),
      }),
    );
  },
});

const running: RunningApp[] = [];
afterEach(async () => {
  for (const a of running.splice(0)) await a.close();
});

async function start(options: AppOptions = {}) {
  const runtime = await testRuntime([fastPlugin]);
  const app = await serve(runtime, { rateLimit: { enabled: false }, ...options });
  running.push(app);
  return app;
}

const HELMET_HEADERS = {
  'content-security-policy': "default-src 'none';frame-ancestors 'none';base-uri 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=15552000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

describe('an answer kept as JSON bytes', () => {
  it('is sent as those bytes, typed JSON, with a request id, helmet headers and nothing else added', async () => {
    const app = await start();
    const res = await fetch(`${app.url}/api/predictive/fast/answer`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(ANSWER_BYTES)).toBe(true);
    const headers = Object.fromEntries(res.headers);
    expect(headers['content-type']).toBe('application/json; charset=utf-8');
    expect(headers['content-length']).toBe(String(ANSWER_BYTES.length));
    expect(headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(headers.vary).toBe('Origin');
    expect(headers).toMatchObject(HELMET_HEADERS);
    // Rate limits off: no limiter ran, so no limiter header.
    expect(headers['ratelimit-remaining']).toBeUndefined();
    expect(Object.keys(headers).sort()).toEqual(
      [...Object.keys(HELMET_HEADERS), 'connection', 'content-length', 'content-type', 'date', 'keep-alive', 'vary', 'x-request-id'].sort(),
    );
  });

  it('keeps a sane incoming request id and replaces one that is not', async () => {
    const app = await start();
    const url = `${app.url}/api/predictive/fast/answer`;
    expect((await fetch(url, { headers: { 'x-request-id': 'client-abc.123' } })).headers.get('x-request-id')).toBe('client-abc.123');
    expect((await fetch(url, { headers: { 'x-request-id': 'bad id with spaces' } })).headers.get('x-request-id')).not.toBe('bad id with spaces');
  });

  it('is counted on /metrics and logged, one line per request, at the default level', async () => {
    const { logger, lines } = capturingLogger();
    const app = await start({ logger });
    for (let i = 0; i < 3; i++) await (await fetch(`${app.url}/api/predictive/fast/answer`, { headers: { 'x-request-id': `r${i}` } })).arrayBuffer();
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/rfid3_http_request_duration_seconds_count\{method="GET",route="\/api\/predictive\/fast\/answer",status="200"\} 3/);
    const logged = lines.filter((l) => l.msg === 'request' && l.route === '/api/predictive/fast/answer');
    expect(logged.map((l) => l.requestId)).toEqual(['r0', 'r1', 'r2']);
    expect(logged[0]).toMatchObject({ level: 30, method: 'GET', path: '/api/predictive/fast/answer', status: 200 });
    expect(typeof logged[0]!.ms).toBe('number');
  });
});

describe('security headers', () => {
  it('are what helmet itself sets on a response, in its order', () => {
    const res = new ServerResponse(new IncomingMessage(new Socket()));
    res.setHeader('X-Powered-By', 'something');
    let called = false;
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"] } },
      crossOriginResourcePolicy: { policy: 'same-origin' },
      strictTransportSecurity: { maxAge: 15552000, includeSubDomains: true },
      referrerPolicy: { policy: 'no-referrer' },
    })(res.req, res, () => {
      called = true;
    });
    expect(called).toBe(true);
    const steps = helmetSteps();
    expect(steps.filter(([, v]) => v !== null).map(([name]) => name.toLowerCase())).toEqual(res.getHeaderNames());
    for (const [name, value] of steps) expect(res.getHeader(name) ?? null).toBe(value === null ? null : value);
    expect(steps).toContainEqual(['X-Powered-By', null]);
  });
});

describe('routing', () => {
  it('answers an exact endpoint path and its other spellings the router accepts alike', async () => {
    const app = await start();
    const exact = await fetch(`${app.url}/api/predictive/fast/answer`);
    const slash = await fetch(`${app.url}/api/predictive/fast/answer/`);
    const upper = await fetch(`${app.url}/API/predictive/fast/ANSWER`);
    const bodies = await Promise.all([exact, slash, upper].map(async (r) => Buffer.from(await r.arrayBuffer())));
    expect([exact.status, slash.status, upper.status]).toEqual([200, 200, 200]);
    for (const body of bodies) expect(body.equals(ANSWER_BYTES)).toBe(true);
    const head = await fetch(`${app.url}/api/predictive/fast/answer`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });

  it('leaves a path that an earlier pattern also matches to the router, which answers it with that one', async () => {
    const app = await start();
    const res = await fetch(`${app.url}/api/predictive/fast/stats`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ thing: 'stats' });
    expect(await (await fetch(`${app.url}/api/predictive/fast/other`)).json()).toEqual({ thing: 'other' });
  });

  it('answers a method the path does not take with 405 and Allow, and a write without a key with 401', async () => {
    const app = await start();
    const wrong = await fetch(`${app.url}/api/predictive/fast/answer`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toMatch(/GET/);
    const write = await fetch(`${app.url}/api/predictive/fast/write`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' });
    expect(write.status).toBe(401);
    expect(write.headers.get('www-authenticate')).toBe('Bearer realm="rfid3"');
  });

  it('checks a presented key on the exact-path dispatch too: a bad or malformed one is 401, a good one answers', async () => {
    const runtime = await testRuntime([fastPlugin]);
    const { key } = await new ApiKeyStore({ database: runtime.database }).create('fast', 'operate');
    const app = await serve(runtime, { rateLimit: { enabled: false } });
    running.push(app);
    const url = `${app.url}/api/predictive/fast/answer`;
    expect((await fetch(url, { headers: { authorization: 'Bearer not-a-key' } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Token abc' } })).status).toBe(401);
    expect((await fetch(url, { headers: { 'x-api-key': key } })).status).toBe(200);
    const write = await fetch(`${app.url}/api/predictive/fast/write`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: '{"n":7}',
    });
    expect(write.status).toBe(200);
    expect(await write.json()).toEqual({ n: 7 });
  });
});

describe('the query', () => {
  it('is a fresh copy for each request, repeated parameters as arrays, whatever the handler does to it', async () => {
    const app = await start();
    const url = `${app.url}/api/predictive/fast/tags?tag=a&tag=b&one=x`;
    for (let i = 0; i < 3; i++) {
      expect(await (await fetch(url)).json()).toEqual({ query: { tag: ['a', 'b', 'added'], one: 'x', extra: 'added' } });
    }
    expect(await (await fetch(`${app.url}/api/predictive/fast/tags?tag=a`)).json()).toEqual({ query: { tag: 'a', extra: 'added' } });
    expect(await (await fetch(`${app.url}/api/predictive/fast/tags`)).json()).toEqual({ query: { extra: 'added' } });
  });
});
