import { createRuntime, silentLogger } from '@rfid3/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHostConfig } from '../src/config.js';
import { READ_YOUR_WRITES_COOKIE } from '../src/gateway/read-your-writes.js';
import { ApiKeyStore } from '../src/keys.js';
import type { RunningApp } from './helpers.js';
import { serve, tempDir } from './helpers.js';
import type { ThrowawayMariadb } from './mariadb-pair.js';
import { mariadbBinaries, onOneConnection, throwawayMariadb } from './mariadb-pair.js';

// A primary and a replica of this file's own (binlog replication between two throwaway mariadbd on loopback
// ports), started and stopped by PID; never the shared server.
const available = mariadbBinaries() !== null;
if (!available && process.env.RFID3_REQUIRE_SERVICES === '1') throw new Error('RFID3_REQUIRE_SERVICES=1 but mariadbd / mariadb-install-db are not installed');

const CLASSES = '/api/predictive/rental-classes';
const DB = 'rfid3_replica_test';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, check: () => Promise<T | undefined | null | false>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
}

describe.skipIf(!available)('GET reads from a MariaDB read replica (MYSQL_READ_URL), writes and read-your-writes on the primary', { timeout: 90_000 }, () => {
  let primary: ThrowawayMariadb;
  let replica: ThrowawayMariadb;
  let hostA: RunningApp;
  let hostB: RunningApp;
  let key: string;

  beforeAll(async () => {
    // Both at once; one that started is kept for afterAll to stop even when the other failed.
    const started = await Promise.allSettled([throwawayMariadb({ serverId: 1, binlog: true }), throwawayMariadb({ serverId: 2, binlog: false })]);
    if (started[0].status === 'fulfilled') primary = started[0].value;
    if (started[1].status === 'fulfilled') replica = started[1].value;
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    const [[status]] = (await onOneConnection(primary.url('mysql'), ['show master status'])) as [{ File: string; Position: number }[]];
    await onOneConnection(replica.url('mysql'), [
      `change master to master_host='127.0.0.1', master_port=${primary.port}, master_user='root', master_password='', master_log_file='${status!.File}', master_log_pos=${status!.Position}, master_connect_retry=1`,
      'start slave',
    ]);
    await onOneConnection(primary.url('mysql'), [`create database ${DB}`]);
    // Two hosts on the same primary and replica (no Redis: host B never hears of host A's writes but by the cookie).
    const open = async () => {
      const runtime = await createRuntime({
        config: { databaseUrl: primary.url(DB), databaseReadUrls: [replica.url(DB)], logLevel: 'silent' },
        logger: silentLogger(),
      });
      return serve(runtime, { readYourWritesSeconds: 5 });
    };
    hostA = await open();
    hostB = await open();
    key = (await new ApiKeyStore({ database: hostA.runtime.database }).create('replica test', 'admin')).key;
    // Everything the hosts wrote on the primary has reached the replica: a table created after it all has.
    await onOneConnection(primary.url(DB), ['create table replica_caught_up (id int)']);
    await until(
      'the replica to catch up',
      async () =>
        (
          (await onOneConnection(replica.url(DB), [
            "select count(*) as n from information_schema.tables where table_schema = database() and table_name = 'replica_caught_up'",
          ])) as [{ n: number }[]]
        )[0][0]!.n === 1,
      30_000,
    );
    // One class that only the replica has, one that only the primary has (not written to the binary log).
    await onOneConnection(replica.url(DB), ["insert into id_item_master (tag_id, rental_class_num, common_name) values ('R-1', 'ONLY-ON-REPLICA', 'replica chair')"]);
    await onOneConnection(primary.url(DB), [
      'set sql_log_bin = 0',
      "insert into id_item_master (tag_id, rental_class_num, common_name) values ('P-1', 'ONLY-ON-PRIMARY', 'primary chair')",
    ]);
  }, 120_000);

  afterAll(async () => {
    await hostA?.close();
    await hostB?.close();
    await Promise.all([replica?.stop(), primary?.stop()]);
  });

  const classesOf = async (host: RunningApp, headers: Record<string, string> = {}) => {
    const res = await fetch(`${host.url}${CLASSES}`, { headers });
    const body = (await res.json()) as { classes?: { rentalClass: string }[] };
    return { status: res.status, classes: (body.classes ?? []).map((c) => c.rentalClass) };
  };

  it('serves a GET from the replica', async () => {
    const read = await classesOf(hostB);
    expect(read.status).toBe(200);
    expect(read.classes).toContain('ONLY-ON-REPLICA');
    expect(read.classes).not.toContain('ONLY-ON-PRIMARY');
    // The ledger, the registry and API keys stay on the primary: the key created there works at once.
    const models = await fetch(`${hostB.url}/api/predictive/models/status`, { headers: { authorization: `Bearer ${key}` } });
    expect(models.status).toBe(200);
  });

  it('serves a read right after a write from the primary: the writing client on any host, and every client of the host that wrote', async () => {
    const post = await fetch(`${hostA.url}/api/ingest/scans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ scans: [{ tag_id: 'NEW-1', scan_type: 'Touch Scan', scan_date: '2026-01-05 10:00:00' }] }),
    });
    expect(post.status).toBe(200);
    const cookie = post.headers.getSetCookie().find((c) => c.startsWith(`${READ_YOUR_WRITES_COOKIE}=`));
    expect(cookie).toBeDefined();
    const sent = { cookie: cookie!.split(';')[0]! };
    // The client that wrote, on the other host: the primary.
    const own = await classesOf(hostB, sent);
    expect(own.status).toBe(200);
    expect(own.classes).toContain('ONLY-ON-PRIMARY');
    expect(own.classes).not.toContain('ONLY-ON-REPLICA');
    // Any client of the host that wrote, within the window: the primary.
    expect((await classesOf(hostA)).classes).toContain('ONLY-ON-PRIMARY');
    // Another client of the other host: still the replica.
    expect((await classesOf(hostB)).classes).toContain('ONLY-ON-REPLICA');
    // Once the window (5 s) has passed, the writing client reads the replica again.
    await sleep(5_200);
    expect((await classesOf(hostA, sent)).classes).toContain('ONLY-ON-REPLICA');
  });

  it('sends GETs to the primary while the replica is not replicating, and back once it has caught up', async () => {
    const status = async () => {
      const res = await fetch(`${hostB.url}/api/predictive/health/system-status`);
      return ((await res.json()) as { database: { readReplicas?: { servesReads: boolean; lagSeconds: number | null; lagProblem?: string }[] } }).database.readReplicas![0]!;
    };
    expect(await status()).toMatchObject({ servesReads: true, lagSeconds: 0 });
    // Replication stopped: the replica gives no "seconds behind", so nobody can say how stale it is.
    await onOneConnection(replica.url('mysql'), ['stop slave sql_thread']);
    const stopped = await until('the host to stop reading the replica', async () => ((await status()).servesReads ? null : status()), 10_000);
    expect(stopped.lagSeconds).toBeNull();
    expect(stopped.lagProblem).toMatch(/replication is not running/);
    const read = await classesOf(hostB);
    expect(read.status).toBe(200);
    expect(read.classes).toContain('ONLY-ON-PRIMARY');
    expect(read.classes).not.toContain('ONLY-ON-REPLICA');
    await onOneConnection(replica.url('mysql'), ['start slave sql_thread']);
    await until('the host to read the replica again', async () => (await status()).servesReads, 10_000);
    expect((await classesOf(hostB)).classes).toContain('ONLY-ON-REPLICA');
  });

  it('keeps serving GETs from the primary while the replica is stopped', async () => {
    await replica.kill();
    for (let i = 0; i < 5; i++) {
      const read = await classesOf(hostB);
      expect(read.status).toBe(200);
      expect(read.classes).toContain('ONLY-ON-PRIMARY');
    }
    const health = await until(
      'system-status to report the replica away',
      async () => {
        const res = await fetch(`${hostB.url}/api/predictive/health/system-status`);
        const body = (await res.json()) as { status: string; database: { ok: boolean; readReplicas?: { ok: boolean }[] } };
        return body.database.readReplicas?.[0]?.ok === false ? { status: res.status, body } : null;
      },
      10_000,
    );
    expect(health.status).toBe(200);
    expect(health.body.database.ok).toBe(true);
  });
});

describe('MYSQL_READ_URL in the host config', () => {
  const load = (env: Record<string, string>) => {
    const tmp = tempDir('rfid3-replica-config-');
    try {
      return loadHostConfig({ cwd: tmp.dir, env });
    } finally {
      tmp.remove();
    }
  };
  it('takes one or more comma-separated replicas and the read-your-writes window', () => {
    const config = load({
      DATABASE_URL: 'mysql://root@db1:3306/rfid3',
      MYSQL_READ_URL: 'mysql://ro@db2:3306/rfid3, mysql://ro@db3:3306/rfid3',
      RFID3_READ_YOUR_WRITES_SECONDS: '2',
    });
    expect(config.databaseReadUrls).toEqual(['mysql://ro@db2:3306/rfid3', 'mysql://ro@db3:3306/rfid3']);
    expect(config.readYourWritesSeconds).toBe(2);
    expect(load({ DATABASE_URL: 'mysql://root@db1:3306/rfid3' })).toMatchObject({ databaseReadUrls: [], readYourWritesSeconds: 5, readMaxLagSeconds: 10 });
    expect(load({ DATABASE_URL: 'mysql://root@db1:3306/rfid3', RFID3_READ_MAX_LAG_SECONDS: '30' }).readMaxLagSeconds).toBe(30);
  });
  it('names the variable when a replica is not MariaDB or the primary is SQLite', () => {
    expect(() => load({ DATABASE_URL: 'mysql://root@db1/rfid3', MYSQL_READ_URL: 'postgres://x:pw@y/z' })).toThrow(
      /^MYSQL_READ_URL: a read replica must be a mysql:\/\/ URL, not 'postgres:\/\/x:\*\*\*@y\/z'/,
    );
    expect(() => load({ DATABASE_URL: 'sqlite::memory:', MYSQL_READ_URL: 'mysql://ro@db2/rfid3' })).toThrow(/^MYSQL_READ_URL: read replicas need a MariaDB primary/);
    expect(() => load({ DATABASE_URL: 'mysql://root@db1/rfid3', RFID3_READ_YOUR_WRITES_SECONDS: 'soon' })).toThrow(/RFID3_READ_YOUR_WRITES_SECONDS/);
    expect(() => load({ DATABASE_URL: 'mysql://root@db1/rfid3', RFID3_READ_MAX_LAG_SECONDS: 'a while' })).toThrow(/RFID3_READ_MAX_LAG_SECONDS/);
  });
});
