import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { assetsDir } from '@rfid3/dashboard';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboard, loadDashboardAssets } from '../src/dashboard.js';
import type { RunningApp } from './helpers.js';
import { serve, tempDir, testRuntime } from './helpers.js';

/** Node's fetch decompresses for us; these requests need the raw bytes and headers. */
async function raw(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
        resolve({ status: res.statusCode!, headers: h, body: Buffer.concat(chunks) });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const built = loadDashboardAssets() !== null;

describe.skipIf(!built)('the dashboard served by the host (built assets)', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await serve(await testRuntime());
  });
  afterAll(() => app.close());

  it('answers / with the built index.html under a strict CSP, revalidated on every load', async () => {
    const res = await raw(`${app.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const html = res.body.toString('utf8');
    expect(html).toContain('id="view"');
    // Built assets only: nothing from another origin.
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
  });

  it('serves the hashed script and stylesheet with their types, a year of caching, ETags and compression', async () => {
    const html = (await raw(`${app.url}/`)).body.toString('utf8');
    const script = /<script[^>]+src="(\/app\.[0-9a-f]+\.js)"/.exec(html)?.[1];
    const style = /<link rel="stylesheet" href="(\/app\.[0-9a-f]+\.css)"/.exec(html)?.[1];
    expect(script).toBeTruthy();
    expect(style).toBeTruthy();

    const js = await raw(`${app.url}${script}`, { 'accept-encoding': 'gzip, br' });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('content-encoding')).toBe('br');
    expect(js.headers.get('vary')).toMatch(/accept-encoding/i);
    const plain = (await raw(`${app.url}${script}`)).body;
    expect(brotliDecompressSync(js.body).equals(plain)).toBe(true);
    expect(js.body.length).toBeLessThan(plain.length);

    const css = await raw(`${app.url}${style}`, { 'accept-encoding': 'gzip' });
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(css.body).toString('utf8')).toContain('.band80');

    const etag = js.headers.get('etag')!;
    const again = await raw(`${app.url}${script}`, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('leaves the API, unknown files and other methods to the rest of the host', async () => {
    const status = await fetch(`${app.url}/api/predictive/health/system-status`);
    expect(status.status).toBe(200);
    const missing = await fetch(`${app.url}/app.0000000000.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const traversal = await fetch(`${app.url}/..%2f..%2fpackage.json`);
    expect(traversal.status).toBe(404);
    const post = await fetch(`${app.url}/`, { method: 'POST' });
    expect(post.status).toBeGreaterThanOrEqual(400);
    expect(post.status).toBeLessThan(500);
  });

  it('exports the absolute path of the assets from the package', () => {
    expect(assetsDir).toMatch(/dist[\\/]public$/);
    expect(loadDashboardAssets(assetsDir)?.has('/index.html')).toBe(true);
  });
});

describe('the dashboard middleware without built assets', () => {
  it('passes every request on, so the host falls back to its status page', async () => {
    const tmp = tempDir('rfid3-dash-');
    try {
      expect(loadDashboardAssets(tmp.dir)).toBeNull();
      const koa = new Koa();
      koa.use(dashboard({ dir: tmp.dir }));
      koa.use((ctx) => {
        ctx.body = 'fallback';
      });
      const server: Server = await new Promise((ok) => {
        const s = koa.listen(0, '127.0.0.1', () => ok(s));
      });
      try {
        const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
        expect(await res.text()).toBe('fallback');
      } finally {
        await new Promise<void>((ok) => server.close(() => ok()));
      }
    } finally {
      tmp.remove();
    }
  });

  it('serves a folder that has an index.html, nested files included, and ignores unknown types', () => {
    const tmp = tempDir('rfid3-dash-');
    try {
      writeFileSync(join(tmp.dir, 'index.html'), '<!doctype html><title>x</title>');
      mkdirSync(join(tmp.dir, 'img'));
      writeFileSync(join(tmp.dir, 'img', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
      writeFileSync(join(tmp.dir, 'notes.md'), '# not served');
      const assets = loadDashboardAssets(tmp.dir)!;
      expect([...assets.keys()].sort()).toEqual(['/', '/img/logo.svg', '/index.html']);
      expect(assets.get('/img/logo.svg')!.type).toBe('image/svg+xml');
      expect(assets.get('/img/logo.svg')!.cacheControl).toBe('no-cache');
    } finally {
      tmp.remove();
    }
  });
});
