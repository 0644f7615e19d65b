import { createHash } from 'node:crypto';
import { FakeClock, sqlDateTime } from '@rfid3/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyStore } from '../src/keys.js';
import type { RunningApp } from './helpers.js';
import { problemOf, serve, testRuntime } from './helpers.js';

const RETRAIN = '/api/predictive/models/retrain/nope';

describe('API keys and roles', () => {
  let app: RunningApp;
  let keys: ApiKeyStore;
  const clock = new FakeClock('2026-06-01T12:00:00Z');

  beforeAll(async () => {
    const runtime = await testRuntime([], { clock });
    keys = new ApiKeyStore({ database: runtime.database, clock });
    app = await serve(runtime);
  });
  afterAll(() => app.close());

  const retrain = (headers: Record<string, string> = {}) => fetch(`${app.url}${RETRAIN}`, { method: 'POST', headers });

  it('refuses a POST without a key with 401 and a WWW-Authenticate challenge', async () => {
    const res = await retrain();
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await problemOf(res)).detail).toContain("role 'operate'");
  });

  it('refuses a read key with 403 naming the role needed', async () => {
    const { key } = await keys.create('viewer', 'read');
    const res = await retrain({ authorization: `Bearer ${key}` });
    expect(res.status).toBe(403);
    const problem = await problemOf(res);
    expect(problem.detail).toContain("needs role 'operate'");
    expect(problem.detail).toContain("'viewer' has 'read'");
  });

  it('keeps roles apart by least privilege: an ingest key cannot run jobs, an operate key cannot ingest', async () => {
    const ingest = await keys.create('scanner', 'ingest');
    const res = await retrain({ authorization: `Bearer ${ingest.key}` });
    expect(res.status).toBe(403);
    expect((await problemOf(res)).detail).toContain("'scanner' has 'ingest'");
    const operate = await keys.create('planner', 'operate');
    const scans = await fetch(`${app.url}/api/ingest/scans`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operate.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scans: [] }),
    });
    expect(scans.status).toBe(403);
    expect((await problemOf(scans)).detail).toContain("needs role 'ingest'");
  });

  it('lets an operate key through to the endpoint, which answers 404 for an unknown plugin', async () => {
    const { key } = await keys.create('ops', 'operate');
    const res = await retrain({ authorization: `Bearer ${key}` });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await problemOf(res)).detail).toContain("no plugin 'nope' is loaded");
    const viaHeader = await retrain({ 'x-api-key': key });
    expect(viaHeader.status).toBe(404);
  });

  it('stores only a SHA-256 hash and the prefix, never the key', async () => {
    const created = await keys.create('audit', 'admin');
    expect(created.key).toMatch(/^rfid3_[0-9a-f]{8}_[A-Za-z0-9_-]{32,}$/);
    expect(created.key.startsWith(`rfid3_${created.prefix}_`)).toBe(true);
    const rows = await app.runtime.database.db.selectFrom('rfid3_api_keys').selectAll().execute();
    const secret = created.key.split('_').slice(2).join('_');
    expect(JSON.stringify(rows)).not.toContain(secret);
    const row = rows.find((r) => Number(r.id) === created.id)!;
    expect(row.key_hash).toBe(createHash('sha256').update(created.key).digest('hex'));
    expect(row.key_prefix).toBe(created.prefix);
    expect(JSON.stringify(await keys.list())).not.toContain(secret);
  });

  it('verifies a key to its principal and records when it was last used', async () => {
    const created = await keys.create('robot', 'operate');
    expect(await keys.verify(created.key)).toEqual({ keyId: String(created.id), name: 'robot', role: 'operate', approveLimitUsd: null });
    const capped = await keys.create('buyer', 'approve', { approveLimitUsd: 2500 });
    expect(await keys.verify(capped.key)).toEqual({ keyId: String(capped.id), name: 'buyer', role: 'approve', approveLimitUsd: 2500 });
    expect((await keys.list()).find((k) => k.id === capped.id)?.approveLimitUsd).toBe(2500);
    expect((await keys.list()).find((k) => k.id === created.id)?.lastUsedAt).toBe(sqlDateTime(clock.now()));
    expect(await keys.verify(`${created.key.slice(0, -1)}${created.key.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
    expect(await keys.verify('not-a-key')).toBeNull();
  });

  it('fails a revoked key, over HTTP too', async () => {
    const created = await keys.create('leaver', 'admin');
    expect((await retrain({ authorization: `Bearer ${created.key}` })).status).toBe(404);
    const revoked = await keys.revoke(created.id);
    expect(revoked?.revokedAt).not.toBeNull();
    expect(await keys.verify(created.key)).toBeNull();
    const res = await retrain({ authorization: `Bearer ${created.key}` });
    expect(res.status).toBe(401);
    expect((await problemOf(res)).detail).toContain('revoked');
    expect(await keys.revoke(999_999)).toBeNull();
  });

  it('rejects a presented key that is wrong even on an open read, and a malformed Authorization header', async () => {
    expect((await fetch(`${app.url}/api/predictive/health/system-status`)).status).toBe(200);
    const wrong = await fetch(`${app.url}/api/predictive/health/system-status`, { headers: { 'x-api-key': 'rfid3_00000000_nope' } });
    expect(wrong.status).toBe(401);
    const basic = await fetch(`${app.url}/api/predictive/health/system-status`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(basic.status).toBe(401);
  });
});

describe('closed reads', () => {
  it('asks for a key on GET read endpoints when openReads is off, and accepts a read key', async () => {
    const runtime = await testRuntime([], { access: { openReads: false } });
    const app = await serve(runtime);
    try {
      const anonymous = await fetch(`${app.url}/api/predictive/models/status`);
      expect(anonymous.status).toBe(401);
      const { key } = await new ApiKeyStore({ database: runtime.database }).create('dash', 'read');
      const withKey = await fetch(`${app.url}/api/predictive/models/status`, { headers: { authorization: `Bearer ${key}` } });
      expect(withKey.status).toBe(200);
      const doc = (await (await fetch(`${app.url}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, { security: unknown[] }>> };
      expect(doc.paths['/api/predictive/models/status']!.get!.security.length).toBeGreaterThan(0);
    } finally {
      await app.close();
    }
  });
});
