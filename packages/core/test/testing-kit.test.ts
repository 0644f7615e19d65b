import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { createPool } from 'mysql2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { addDays, defineEndpoint, definePlugin, denseDailySeries, isoDay } from '../src/index.js';
import { externalServices, hasSharedData, startTestHost, type TestHost } from '../src/testing/index.js';

describe('startTestHost({ simulate: true })', () => {
  let host: TestHost;
  let served = 0;
  const plugin = definePlugin({
    id: 'probe',
    version: '1.0.0',
    coreRange: '*',
    register(env) {
      env.endpoint(
        defineEndpoint({
          method: 'POST',
          path: '/probe/run',
          summary: 'operate',
          role: 'operate',
          input: { body: z.object({ n: z.number().int() }) },
          handler: ({ body }, ctx) => {
            served++;
            return { n: body.n, by: ctx.principal?.role };
          },
        }),
        defineEndpoint({ method: 'DELETE', path: '/probe/all', summary: 'admin', role: 'admin', handler: () => ({ ok: true }) }),
      );
    },
  });

  beforeAll(async () => {
    host = await startTestHost({ simulate: true, plugins: [plugin] });
  }, 60_000);
  afterAll(async () => {
    await host?.close();
  });

  it('gives a runtime on simulated data: 400 items over 400 days', async () => {
    const sim = host.simulation!;
    expect(sim.counts.items).toBeGreaterThanOrEqual(380);
    expect(sim.counts.items).toBeLessThanOrEqual(420);
    expect(sim.truth.seed).toBe(7);
    const counts = await host.runtime.inventory.itemCounts();
    expect(counts.items).toBe(sim.counts.items);
    const range = await host.runtime.inventory.scanRange();
    expect(range.scans).toBe(sim.counts.scans);
    expect(range.scans).toBeGreaterThan(1000);
    const classes = await host.runtime.inventory.rentalClasses();
    expect(classes.length).toBeGreaterThan(10);
    expect(await host.runtime.inventory.stores()).toEqual(['3607', '6800', '728', '8101']);
  });

  it('reads the simulated scans through InventoryData as RFID3 would: units out per day and category', async () => {
    const inv = host.runtime.inventory;
    const { truth } = host.simulation!;
    const raw = await sql<{
      day: string;
      units: number;
    }>`select date(scan_date) as day, count(distinct tag_id) as units from id_transactions where scan_type in ('Rental', 'Delivery') group by 1`.execute(host.runtime.database.db);
    const total = await inv.dailyUnitsOut({ level: 'total' });
    expect(total.map((r) => [r.day, r.units])).toEqual(raw.rows.map((r) => [r.day, Number(r.units)]));
    expect(total.every((r) => r.key === 'all' && r.store === null)).toBe(true);
    const byCategory = await inv.dailyUnitsOut({ level: 'category' });
    expect(byCategory.reduce((s, r) => s + r.units, 0)).toBe(total.reduce((s, r) => s + r.units, 0));
    expect(new Set(byCategory.map((r) => r.key))).toEqual(new Set(await inv.categories()));
    const dense = denseDailySeries(total, truth.start, truth.end);
    expect(dense).toHaveLength(1);
    expect(dense[0]!.values).toHaveLength(400);
    expect(dense[0]!.values.reduce((a, b) => a + b, 0)).toBe(total.reduce((s, r) => s + r.units, 0));
    const tents = await inv.dailyUnitsOut({ level: 'category', category: 'tent tops', from: truth.end, to: truth.end });
    expect(tents.every((r) => r.key === 'Tent Tops' && r.day === truth.end)).toBe(true);
  });

  it('sets the fake clock to the day after the simulation ends', async () => {
    const today = isoDay(host.clock.now());
    expect(host.clock.now().toISOString()).toBe('2026-06-01T12:00:00.000Z');
    expect(host.simulation!.truth.end).toBe(addDays(today, -1));
    expect(host.simulation!.truth.start).toBe(addDays(today, -400));
    const range = await host.runtime.inventory.scanRange();
    expect(range.last!.slice(0, 10)).toBe(host.simulation!.truth.end);
    // Health sees the data as fresh, measured on the fake clock.
    const { body } = (await host.call('GET', '/health/system-status')) as { body: { status: string; data: { scans: number; lastScanAgeHours: number } } };
    expect(body.status).toBe('ok');
    expect(body.data.scans).toBe(host.simulation!.counts.scans);
    expect(body.data.lastScanAgeHours).toBeGreaterThan(12);
    expect(body.data.lastScanAgeHours).toBeLessThan(36);
    host.clock.advance({ days: 2 });
    const later = (await host.call('GET', '/health/system-status')) as { body: { data: { lastScanAgeHours: number } } };
    expect(later.body.data.lastScanAgeHours).toBeCloseTo(body.data.lastScanAgeHours + 48, 5);
    host.clock.set('2026-06-01T12:00:00Z');
  });

  it('provides principals that pass the role checks', async () => {
    const before = served;
    expect(await host.call('POST', '/probe/run', { body: { n: 1 }, principal: host.principals.operate })).toEqual({ status: 200, body: { n: 1, by: 'operate' } });
    expect((await host.call('POST', '/probe/run', { body: { n: 2 }, principal: host.principals.admin })).status).toBe(200);
    await expect(host.call('POST', '/probe/run', { body: { n: 3 }, principal: host.principals.read })).rejects.toMatchObject({ status: 403 });
    await expect(host.call('POST', '/probe/run', { body: { n: 3 } })).rejects.toMatchObject({ status: 401 });
    await expect(host.call('DELETE', '/probe/all', { principal: host.principals.operate })).rejects.toMatchObject({ status: 403 });
    expect((await host.call('DELETE', '/probe/all', { principal: host.principals.admin })).body).toEqual({ ok: true });
    expect(served - before).toBe(2);
    expect(host.principals.read.role).toBe('read');
  });

  it('starts with no simulation when not asked, in a few hundred milliseconds', async () => {
    const started = performance.now();
    const empty = await startTestHost({ now: '2030-01-15T08:00:00Z' });
    try {
      expect(performance.now() - started).toBeLessThan(5000);
      expect(empty.simulation).toBeUndefined();
      expect((await empty.runtime.inventory.scanRange()).scans).toBe(0);
      expect(isoDay(empty.clock.now())).toBe('2030-01-15');
      expect(empty.runtime.database.dialect).toBe('sqlite');
      expect(empty.runtime.cache.stats().l2.enabled).toBe(false);
    } finally {
      await empty.close();
    }
  });
});

describe('hasSharedData()', () => {
  const here = fileURLToPath(import.meta.url);
  const absent = `${here}.absent.csv`;

  it('is true when every file is there, false (a skip) when one is missing', () => {
    expect(hasSharedData(here, {})).toBe(true);
    expect(hasSharedData([here, absent], {})).toBe(false);
  });

  it('with RFID3_REQUIRE_SERVICES=1, a missing file is an error that names it, so the suite fails instead of skipping', () => {
    expect(() => hasSharedData([here, absent], { RFID3_REQUIRE_SERVICES: '1' })).toThrow(/RFID3_REQUIRE_SERVICES=1 but the data file .*absent\.csv is missing/);
    expect(hasSharedData(here, { RFID3_REQUIRE_SERVICES: '1' })).toBe(true);
  });
});

describe('externalServices()', () => {
  it('without URLs: nulls, and a cleanup that does nothing', async () => {
    const s = await externalServices({});
    expect(s).toMatchObject({ mysqlUrl: null, redisUrl: null });
    await expect(s.cleanup()).resolves.toBeUndefined();
    const redisOnly = await externalServices({ REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(redisOnly).toMatchObject({ mysqlUrl: null, redisUrl: 'redis://127.0.0.1:6379' });
  });

  it('with RFID3_REQUIRE_SERVICES=1, a missing URL is an error that names it', async () => {
    await expect(externalServices({ RFID3_REQUIRE_SERVICES: '1' })).rejects.toThrow(/MYSQL_URL is not set/);
    await expect(externalServices({ RFID3_REQUIRE_SERVICES: '1', MYSQL_URL: 'mysql://root@127.0.0.1:1/x' })).rejects.toThrow(/REDIS_URL is not set/);
    await expect(externalServices({ RFID3_REQUIRE_SERVICES: '0' })).resolves.toMatchObject({ mysqlUrl: null });
  });

  it('with an unreachable MariaDB: an error naming the server, password hidden', async () => {
    await expect(externalServices({ MYSQL_URL: 'mysql://root:hunter2@127.0.0.1:1/test' })).rejects.toThrow(
      /cannot create a scratch database on mysql:\/\/root:\*\*\*@127\.0\.0\.1:1\/test/,
    );
  });

  const mysql = process.env.MYSQL_URL;
  (mysql ? it : it.skip)('with MYSQL_URL: a fresh scratch database per call, dropped by cleanup()', async () => {
    const env = { MYSQL_URL: mysql!, REDIS_URL: process.env.REDIS_URL };
    const a = await externalServices(env);
    const b = await externalServices(env);
    const admin = createPool({ uri: mysql!, connectionLimit: 1 }).promise();
    try {
      const nameOf = (url: string) => new URL(url).pathname.slice(1);
      const [na, nb] = [nameOf(a.mysqlUrl!), nameOf(b.mysqlUrl!)];
      expect(na).toMatch(/^rfid3_t_[0-9a-f]{12}$/);
      expect(na).not.toBe(nb);
      expect(a.redisUrl).toBe(process.env.REDIS_URL ?? null);
      const dbs = async () => ((await admin.query('SHOW DATABASES'))[0] as { Database: string }[]).map((r) => r.Database);
      expect(await dbs()).toEqual(expect.arrayContaining([na, nb]));
      // It is usable and empty.
      const pool = createPool({ uri: a.mysqlUrl!, connectionLimit: 1 }).promise();
      const [tables] = await pool.query('SHOW TABLES');
      expect(tables).toEqual([]);
      await pool.query('CREATE TABLE t (x int)');
      await pool.end();
      await a.cleanup();
      await b.cleanup();
      const after = await dbs();
      expect(after).not.toContain(na);
      expect(after).not.toContain(nb);
    } finally {
      await admin.end();
    }
  });
});
