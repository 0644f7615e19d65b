import { randomBytes } from 'node:crypto';
import { definePlugin, silentLogger } from '@rfid3/core';
import { removeRedisKeys } from '@rfid3/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BULL_BOARD_PATH } from '../src/bull-board.js';
import { ApiKeyStore } from '../src/keys.js';
import type { RunningApp } from './helpers.js';
import { serve, testRuntime } from './helpers.js';

const redisUrl = process.env.REDIS_URL;
if (!redisUrl && process.env.RFID3_REQUIRE_SERVICES === '1') throw new Error('RFID3_REQUIRE_SERVICES=1 but REDIS_URL is not set');

const boardPlugin = definePlugin({
  id: 'boardfix',
  version: '0.0.0',
  coreRange: '>=0.1.0 <1.0.0',
  register({ job }) {
    job('tally', () => ({ counted: 1 }));
  },
});

describe('Bull Board when jobs run in-process', () => {
  it('is not mounted: there are no queues to show', async () => {
    const app = await serve(await testRuntime([boardPlugin]));
    try {
      const res = await fetch(`${app.url}${BULL_BOARD_PATH}`);
      expect(res.status).toBe(404);
    } finally {
      await app.close();
    }
  });
});

describe.skipIf(!redisUrl)('Bull Board in BullMQ mode (real Redis; skipped without REDIS_URL)', () => {
  const prefix = `rfid3-t-board-${randomBytes(4).toString('hex')}`;
  let app: RunningApp;
  const key: Record<'read' | 'operate' | 'admin', string> = { read: '', operate: '', admin: '' };

  beforeAll(async () => {
    const runtime = await testRuntime([boardPlugin], {
      config: { databaseUrl: 'sqlite::memory:', redisUrl, jobs: { runner: 'bullmq', prefix }, cluster: { sync: false }, logLevel: 'silent' },
      logger: silentLogger(),
    });
    app = await serve(runtime);
    const keys = new ApiKeyStore({ database: runtime.database });
    for (const role of ['read', 'operate', 'admin'] as const) key[role] = (await keys.create(`board ${role}`, role)).key;
  });
  afterAll(async () => {
    await app?.close();
    if (redisUrl) await removeRedisKeys(redisUrl, prefix);
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${app.url}${path}`, { headers });
  const basic = (k: string) => ({ authorization: `Basic ${Buffer.from(`admin:${k}`).toString('base64')}` });

  it('asks for a key (401, a Basic challenge a browser answers) and refuses keys below admin (403)', async () => {
    const none = await get(BULL_BOARD_PATH);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect(none.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await get(`${BULL_BOARD_PATH}/api/queues`)).status).toBe(401);
    expect((await get(BULL_BOARD_PATH, { authorization: 'Bearer rfid3_00000000_notarealkeynotarealkeynotarealkey00' })).status).toBe(401);
    for (const role of ['read', 'operate'] as const) {
      const res = await get(BULL_BOARD_PATH, { authorization: `Bearer ${key[role]}` });
      expect(res.status, role).toBe(403);
      expect(((await res.json()) as { detail: string }).detail).toContain(`role '${role}'`);
      expect((await get(`${BULL_BOARD_PATH}/api/queues`, basic(key[role]))).status, role).toBe(403);
    }
  });

  it("serves the board to an admin key, over the plugins' queues", async () => {
    const page = await get(BULL_BOARD_PATH, { authorization: `Bearer ${key.admin}` });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('id="__UI_CONFIG__"');
    expect(html).toContain('RFID3 jobs');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    // The page's own script loads with the credentials the browser resends.
    const script = /src="(static\/js\/main\.[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await get(`${BULL_BOARD_PATH}/${script}`, basic(key.admin));
    expect(js.status).toBe(200);
    // Its API lists the queue of the plugin's job, with the job enqueued through the host's runner.
    app.runtime.jobs.enqueue('boardfix.tally', { n: 1 });
    const queues = await get(`${BULL_BOARD_PATH}/api/queues`, basic(key.admin));
    expect(queues.status).toBe(200);
    const body = (await queues.json()) as { queues: { name: string }[] };
    expect(body.queues.map((q) => q.name)).toContain('boardfix');
  });
});
