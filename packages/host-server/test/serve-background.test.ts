import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { silentLogger } from '@rfid3/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer } from '../src/server.js';
import { tempDir } from './helpers.js';

/** A loopback vendor whose every data request fails, and a webhook receiver. */
async function loopback(handler: (path: string, body: string) => [number, unknown]): Promise<{ url: string; server: Server; seen: { path: string; body: string }[] }> {
  const seen: { path: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ path: req.url!, body });
      const [status, out] = handler(req.url!, body);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, seen };
}

describe('rfid3 serve runs the poller, the scheduler and webhooks', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir('rfid3-serve-bg-');
  });
  afterEach(() => tmp.remove());

  it('polls the configured vendor and reports its failure to the webhook; the scheduler metrics are on /metrics', async () => {
    const vendor = await loopback((path) => (path.endsWith('/login') ? [200, { result: true, access_token: 't' }] : [500, { result: { message: 'down' } }]));
    const hooks = await loopback(() => [200, {}]);
    writeFileSync(
      join(tmp.dir, 'rfid3.config.json'),
      JSON.stringify({
        host: '127.0.0.1',
        plugins: [],
        pluginsMode: 'replace',
        webhooks: { urls: [`${hooks.url}/hook`], secret: 'a-secret-of-sixteen+' },
        poller: { baseUrl: `${vendor.url}/api/v1/data`, username: 'u', password: 'p', intervalSeconds: 3600 },
      }),
    );
    // The poller retries with backoff (1, 2, 4, 8 s) before it gives up and the webhook goes out.
    const handle = await startServer({ cwd: tmp.dir, env: { PORT: '0', DATABASE_URL: 'sqlite::memory:' }, logger: silentLogger(), handleSignals: false });
    try {
      for (let i = 0; i < 400 && hooks.seen.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(vendor.seen.some((s) => s.path.includes('/api/v1/data/14223767938169344381') && s.path.includes('limit=200'))).toBe(true);
      expect(hooks.seen).toHaveLength(1);
      expect(JSON.parse(hooks.seen[0]!.body)).toMatchObject({ event: 'data-source.failed', data: { source: 'rfidpro' } });
      const metrics = await (await fetch(`${handle.url}/metrics`)).text();
      expect(metrics).toContain('rfid3_cache_hit_ratio');
      expect(metrics).toContain('rfid3_precompute_runs_total');
    } finally {
      await handle.close();
      vendor.server.close();
      hooks.server.close();
    }
  }, 60_000);
});
