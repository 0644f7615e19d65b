import { externalServices } from '@rfid3/core/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AppOptions } from '../src/app.js';
import { ApiKeyStore } from '../src/keys.js';
import type { RunningApp } from './helpers.js';
import { capturingLogger, serve, testRuntime } from './helpers.js';

const services = await externalServices();
afterAll(() => services.cleanup());

const running: RunningApp[] = [];
afterEach(async () => {
  for (const a of running.splice(0)) await a.close();
});

async function start(options: AppOptions = {}) {
  // As `rfid3 serve` does: the runtime has the same Redis, and the limiter shares its (already open) connection.
  const runtime = await testRuntime([], options.redisUrl ? { config: { databaseUrl: 'sqlite::memory:', redisUrl: options.redisUrl } } : {});
  const key = (await new ApiKeyStore({ database: runtime.database }).create('gw', 'admin')).key;
  const app = await serve(runtime, options);
  running.push(app);
  return { app, key };
}

const STATUS = '/api/predictive/health/system-status';

describe('rate limits', () => {
  it('answers 429 problem+json with Retry-After once the per-IP window is used up', async () => {
    const { app } = await start({ rateLimit: { perIp: { points: 5, durationSeconds: 30 } } });
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 7; i++) {
      last = await fetch(`${app.url}${STATUS}`);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(last!.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const retryAfter = Number(last!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(last!.headers.get('x-request-id')).toBeTruthy();
    expect(((await last!.json()) as { detail: string }).detail).toMatch(/5 requests per 30 s per client address/);
  });

  it('limits each API key on its own', async () => {
    const { app, key } = await start({ rateLimit: { perIp: { points: 100, durationSeconds: 60 }, perKey: { points: 3, durationSeconds: 60 } } });
    const withKey = async () => (await fetch(`${app.url}${STATUS}`, { headers: { authorization: `Bearer ${key}` } })).status;
    expect([await withKey(), await withKey(), await withKey(), await withKey()]).toEqual([200, 200, 200, 429]);
    // The same client without the key is still under its per-IP limit.
    expect((await fetch(`${app.url}${STATUS}`)).status).toBe(200);
  });

  it.skipIf(!services.redisUrl)('shares counts between hosts through Redis', async () => {
    const prefix = { points: 4, durationSeconds: 60 };
    // A fresh client address for this run (given by X-Forwarded-For, trusted here), so earlier runs' counts in Redis do not matter.
    const ip = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    const aa = await start({ redisUrl: services.redisUrl!, rateLimit: { perIp: prefix }, trustProxy: true });
    const bb = await start({ redisUrl: services.redisUrl!, rateLimit: { perIp: prefix }, trustProxy: true });
    const hit = (url: string) => fetch(`${url}${STATUS}`, { headers: { 'x-forwarded-for': ip } }).then((r) => r.status);
    const seq = [await hit(aa.app.url), await hit(bb.app.url), await hit(aa.app.url), await hit(bb.app.url), await hit(aa.app.url), await hit(bb.app.url)];
    expect(seq).toEqual([200, 200, 200, 200, 429, 429]);
  });
});

describe('CORS, security headers, request ids', () => {
  it('allows only the configured origins and answers their preflight without a key', async () => {
    const { app } = await start({ cors: { origins: ['https://dash.example.com'] } });
    const ok = await fetch(`${app.url}${STATUS}`, { headers: { origin: 'https://dash.example.com' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://dash.example.com');
    expect(ok.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
    const other = await fetch(`${app.url}${STATUS}`, { headers: { origin: 'https://evil.example.net' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${app.url}/api/ingest/scans`, {
      method: 'OPTIONS',
      headers: { origin: 'https://dash.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Authorization');
  });

  it('sends security headers on answers and on errors', async () => {
    const { app } = await start();
    for (const path of [STATUS, '/api/predictive/nope', '/api/openapi.json']) {
      const res = await fetch(`${app.url}${path}`);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('x-frame-options'), path).toBe('SAMEORIGIN');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(res.headers.get('content-security-policy'), path).toContain("default-src 'none'");
      expect(res.headers.get('x-powered-by'), path).toBeNull();
    }
  });

  it('refuses a body sent to an endpoint that takes none', async () => {
    const { app, key } = await start();
    const res = await fetch(`${app.url}/api/predictive/models/retrain/demand`, {
      method: 'POST',
      body: JSON.stringify({ drop: 'tables' }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    });
    // models/retrain/{service} is core's and declares no body: refused before it runs (else 404: no plugin 'demand').
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { field: string }[] }).errors[0]!.field).toBe('body');
    const empty = await fetch(`${app.url}/api/predictive/models/retrain/demand`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    });
    expect(empty.status).toBe(404);
  });

  it('logs every request line with its request id', async () => {
    const { logger, lines } = capturingLogger();
    const runtime = await testRuntime([], { logger });
    const app = await serve(runtime, { logger });
    running.push(app);
    const res = await fetch(`${app.url}/api/predictive/nope`);
    const id = res.headers.get('x-request-id');
    const mine = lines.filter((l) => l.requestId === id);
    expect(mine.map((l) => l.msg)).toContain('request');
  });
});
