import { AsyncLocalStorage } from 'node:async_hooks';
import type { MysqlPool, MysqlPoolConnection } from 'kysely';
import type { Availability } from './availability.js';
import { isDependencyUnavailable } from './availability.js';

/**
 * Where reads may go. Outside `withReplicaReads` (jobs, schedules, ingest, the CLI, POST handlers) every
 * statement goes to the primary; inside it (the host's GET requests) a plain SELECT may go to a read replica.
 */
const scope = new AsyncLocalStorage<{ replica: boolean }>();

/** Runs `fn` where plain SELECTs may be answered by a read replica (the host wraps GET requests in this). */
export function withReplicaReads<T>(fn: () => T): T {
  return scope.run({ replica: true }, fn);
}

/** Runs `fn` where every statement goes to the primary, even inside `withReplicaReads`. */
export function withPrimaryReads<T>(fn: () => T): T {
  return scope.run({ replica: false }, fn);
}

/** Whether the current async context lets a SELECT go to a read replica. */
export function replicaReadsAllowed(): boolean {
  return scope.getStore()?.replica === true;
}

const READ = /^\s*(?:\/\*[\s\S]*?\*\/\s*)*\(?\s*(select|with)\b/i;
// Reads that lock, read session state or have side effects belong to the primary's session.
const SESSION_OR_LOCK = /\b(for\s+update|for\s+share|lock\s+in\s+share\s+mode|get_lock|release_lock|release_all_locks|is_used_lock|is_free_lock|last_insert_id|found_rows|row_count|nextval|lastval|setval|into\s+(?:outfile|dumpfile|@))\b/i;
const WRITE_IN_CTE = /\b(insert|update|delete|replace)\b/i;

/** True for a statement a read replica may answer: a SELECT (or a CTE that only selects) that takes no lock. */
export function isReplicaSafeRead(sql: string): boolean {
  const m = READ.exec(sql);
  if (!m) return false;
  if (SESSION_OR_LOCK.test(sql)) return false;
  return m[1]!.toLowerCase() === 'select' || !WRITE_IN_CTE.test(sql);
}

export interface ReplicaPool {
  pool: MysqlPool;
  availability: Availability;
}

type Callback = (error: unknown, result: unknown) => void;

/**
 * A pool that sends reads to the replicas. Outside a replica scope it hands out the primary's connections
 * unchanged. Inside one it holds a replica connection (round-robin over the replicas that answer) and sends
 * it every replica-safe SELECT; the first other statement (a write, `begin`, a lock) pins the connection to
 * the primary for the rest of its use. A replica that cannot be reached — refused at connect, or lost or
 * timed out during a query — is skipped and the read is asked of the primary, so the host keeps serving while
 * a replica is away (its own probe brings it back within a second or two of answering again).
 */
export function routedPool(primary: MysqlPool, replicas: ReplicaPool[]): MysqlPool {
  let turn = 0;
  const acquire = (pool: MysqlPool) =>
    new Promise<MysqlPoolConnection>((resolve, reject) => pool.getConnection((err, conn) => (err ? reject(err) : resolve(conn))));
  const replicaConnection = async (): Promise<MysqlPoolConnection | null> => {
    const start = turn++;
    for (let i = 0; i < replicas.length; i++) {
      const r = replicas[(start + i) % replicas.length]!;
      if (!r.availability.available) continue;
      try {
        return await acquire(r.pool);
      } catch {
        // Refused or unreachable: guardedPool has asked its probe; try the next replica, then the primary.
      }
    }
    return null;
  };
  return {
    getConnection(callback) {
      if (!replicaReadsAllowed()) {
        primary.getConnection(callback);
        return;
      }
      void replicaConnection().then((replica) => {
        if (!replica) primary.getConnection(callback);
        else callback(null, routedConnection(replica, () => acquire(primary)));
      });
    },
    end(callback) {
      const pools = [primary, ...replicas.map((r) => r.pool)];
      let left = pools.length;
      let first: unknown = null;
      for (const p of pools) {
        p.end((err: unknown) => {
          first ??= err ?? null;
          if (--left === 0) callback(first);
        });
      }
    },
  };
}

function routedConnection(replicaConn: MysqlPoolConnection, acquirePrimary: () => Promise<MysqlPoolConnection>): MysqlPoolConnection {
  let replica: MysqlPoolConnection | null = replicaConn;
  let primary: Promise<MysqlPoolConnection> | null = null;
  const onPrimary = () => {
    if (replica) {
      replica.release();
      replica = null;
    }
    return (primary ??= acquirePrimary());
  };
  const connection = {
    query(sql: string, parameters: unknown[], callback?: Callback) {
      if (!callback) {
        // A streamed query needs its connection now: a read streams from the replica held; nothing else is streamed.
        if (replica && isReplicaSafeRead(sql)) return (replica.query as (s: string, p: unknown[]) => unknown)(sql, parameters);
        throw new Error('a streamed statement inside a replica-read scope must be a plain SELECT');
      }
      const viaPrimary = () =>
        onPrimary().then(
          (conn) => conn.query(sql, parameters, callback),
          (err: unknown) => callback(err, undefined),
        );
      if (!replica || !isReplicaSafeRead(sql)) {
        void viaPrimary();
        return;
      }
      replica.query(sql, parameters, (err, result) => {
        // The replica went away mid-read: ask the primary (a read can be asked twice).
        if (err && isDependencyUnavailable(err)) void viaPrimary();
        else callback(err, result);
      });
    },
    release() {
      replica?.release();
      replica = null;
      const held = primary;
      primary = null;
      void held?.then((conn) => conn.release(), () => {});
    },
  };
  return connection as unknown as MysqlPoolConnection;
}
