import { describe, expect, it } from 'vitest';
import { createDatabase, isReplicaSafeRead, primaryOnly, ReplicaLag, replicaReadsAllowed, replicationLag, withPrimaryReads, withReplicaReads } from '../src/index.js';

describe('which statements a read replica may answer', () => {
  it('takes plain SELECTs and CTEs that only select', () => {
    expect(isReplicaSafeRead('select `tag_id` from `id_item_master` where `date_updated` > ?')).toBe(true);
    expect(isReplicaSafeRead('  /* kysely */ SELECT 1')).toBe(true);
    expect(isReplicaSafeRead('(select 1) union (select 2)')).toBe(true);
    expect(isReplicaSafeRead('with t as (select 1 as x) select x from t')).toBe(true);
  });
  it('leaves writes, transactions, locks and session state to the primary', () => {
    for (const stmt of [
      'insert into t values (1)',
      'update t set a = 1',
      'delete from t',
      'begin',
      'commit',
      'set sql_log_bin = 0',
      'select * from t where id = 1 for update',
      'select * from t lock in share mode',
      "select get_lock('x', 1)",
      'select last_insert_id()',
      'select found_rows()',
      'select a into @v from t',
      'with t as (select 1) delete from u',
    ]) {
      expect(isReplicaSafeRead(stmt), stmt).toBe(false);
    }
  });
});

describe('replication lag', () => {
  it('reads seconds behind from SHOW REPLICA/SLAVE STATUS rows: null while replication is stopped, the worst of several sources, 0 for a server replicating nothing', () => {
    expect(replicationLag([{ Seconds_Behind_Master: 3 }])).toBe(3);
    expect(replicationLag([{ Seconds_Behind_Source: '7' }])).toBe(7);
    expect(replicationLag([{ Seconds_Behind_Master: null }])).toBeNull();
    expect(replicationLag([{ Seconds_Behind_Master: 1 }, { Seconds_Behind_Master: 40 }])).toBe(40);
    expect(replicationLag([{ Seconds_Behind_Master: 1 }, { Seconds_Behind_Master: null }])).toBeNull();
    expect(replicationLag([])).toBe(0);
  });
  it('fails closed: no reads before the first check, while not replicating or further behind than the bound; tells each change once', () => {
    const lag = new ReplicaLag(10);
    const changes: boolean[] = [];
    lag.onChange((ok) => changes.push(ok));
    expect(lag.acceptable).toBe(false);
    lag.record(2, null);
    expect(lag.acceptable).toBe(true);
    lag.record(10, null);
    expect(lag.acceptable).toBe(true);
    lag.record(11, null);
    expect(lag.acceptable).toBe(false);
    expect(lag.problem).toMatch(/11 s behind/);
    lag.record(null, null);
    expect(lag.problem).toMatch(/not running/);
    lag.record(0, null);
    expect(changes).toEqual([true, false, true]);
  });
});

describe('the replica-read scope', () => {
  it('is off by default, on inside withReplicaReads across awaits, and off again inside withPrimaryReads', async () => {
    expect(replicaReadsAllowed()).toBe(false);
    await withReplicaReads(async () => {
      await new Promise((r) => setTimeout(r, 1));
      expect(replicaReadsAllowed()).toBe(true);
      await withPrimaryReads(async () => expect(replicaReadsAllowed()).toBe(false));
      expect(replicaReadsAllowed()).toBe(true);
    });
    expect(replicaReadsAllowed()).toBe(false);
  });
});

describe('read replica configuration', () => {
  it('refuses replicas beside a SQLite primary, and a handle without replicas is its own primary', async () => {
    expect(() => createDatabase('sqlite::memory:', { readUrls: ['mysql://root@127.0.0.1:1/x'] })).toThrow(/read replicas need a MariaDB/);
    const handle = createDatabase('sqlite::memory:', { readUrls: [' '] });
    expect(primaryOnly(handle)).toBe(handle);
    expect(handle.readReplicas).toBeUndefined();
    await handle.close();
  });
  it('gives a MariaDB primary with replicas a primary-only twin that shares its close', async () => {
    // Nothing listens on port 1: no query is made, only the handles are built.
    const handle = createDatabase('mysql://root@127.0.0.1:1/x', { readUrls: ['mysql://u:secret@127.0.0.1:1/x'] });
    try {
      expect(handle.readReplicas?.map((r) => r.displayUrl)).toEqual(['mysql://u:***@127.0.0.1:1/x']);
      const primary = primaryOnly(handle);
      expect(primary.db).toBe(handle.primaryDb);
      expect(primary.db).not.toBe(handle.db);
      expect(primary.readReplicas).toBeUndefined();
      expect(primary.availability).toBe(handle.availability);
    } finally {
      await handle.close();
    }
  });
});
