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
const SESSION_OR_LOCK =
  /\b(for\s+update|for\s+share|lock\s+in\s+share\s+mode|get_lock|release_lock|release_all_locks|is_used_lock|is_free_lock|last_insert_id|found_rows|row_count|nextval|lastval|setval|into\s+(?:outfile|dumpfile|@))\b/i;
const WRITE_IN_CTE = /\b(insert|update|delete|replace)\b/i;

/** True for a statement a read replica may answer: a SELECT (or a CTE that only selects) that takes no lock. */
export function isReplicaSafeRead(sql: string): boolean {
  const m = READ.exec(sql);
  if (!m) return false;
  if (SESSION_OR_LOCK.test(sql)) return false;
  return m[1]!.toLowerCase() === 'select' || !WRITE_IN_CTE.test(sql);
}

/**
 * How far a read replica is behind its primary, from its own replication status (`Seconds_Behind_Master`),
 * asked every couple of seconds. Fail closed: until the first answer, while replication is stopped (the status
 * gives no figure) or while the replica is further behind than `maxSeconds`, its reads go to the primary.
 */
export class ReplicaLag {
  /** Seconds behind at the last check; null before the first one, or while replication is stopped or broken. */
  seconds: number | null = null;
  /** When replication was last checked (ISO), and what went wrong if the check could not tell. */
  checkedAt: string | null = null;
  problem: string | null = 'not checked yet';
  private readonly listeners: ((acceptable: boolean) => void)[] = [];

  constructor(readonly maxSeconds: number) {}

  /** Whether reads may go to this replica: it is known to be at most `maxSeconds` behind. */
  get acceptable(): boolean {
    return this.seconds !== null && this.seconds <= this.maxSeconds;
  }

  /** Calls `listener` each time the replica starts or stops being fit for reads. */
  onChange(listener: (acceptable: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** Records one check: the seconds behind, or null with the reason it could not tell. */
  record(seconds: number | null, problem: string | null): void {
    const before = this.acceptable;
    this.seconds = seconds;
    this.problem =
      seconds === null ? (problem ?? 'replication is not running') : seconds > this.maxSeconds ? `${seconds} s behind the primary (more than ${this.maxSeconds} s)` : null;
    this.checkedAt = new Date().toISOString();
    if (this.acceptable !== before) for (const l of this.listeners) l(this.acceptable);
  }
}

/**
 * Seconds behind from the rows of `SHOW REPLICA STATUS` / `SHOW SLAVE STATUS`: null when replication is stopped
 * (the server gives no figure), 0 for a server that replicates from nothing (a primary or a cluster node named as
 * a read URL); with several sources (MariaDB multi-source), the furthest behind.
 */
export function replicationLag(rows: Record<string, unknown>[]): number | null {
  if (rows.length === 0) return 0;
  let worst = 0;
  for (const row of rows) {
    const v = row.Seconds_Behind_Master ?? row.Seconds_Behind_Source;
    if (v === null || v === undefined || v === '') return null;
    const n = Number(v);
    if (!Number.isFinite(n)) return null;
    worst = Math.max(worst, n);
  }
  return worst;
}

/** Asks the replica for its replication status every `intervalMs` and records it in `lag`; `stop()` ends it. */
export function startLagProbe(pool: MysqlPool, availability: Availability, lag: ReplicaLag, intervalMs = 2_000): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const query = (conn: MysqlPoolConnection, sql: string) =>
    new Promise<Record<string, unknown>[]>((resolve, reject) => conn.query(sql, [], (err, result) => (err ? reject(err) : resolve(Array.isArray(result) ? result : []))));
  const check = async () => {
    if (!availability.available) {
      lag.record(null, 'the replica cannot be reached');
      return;
    }
    const conn = await new Promise<MysqlPoolConnection>((resolve, reject) => pool.getConnection((err, c) => (err ? reject(err) : resolve(c))));
    try {
      // MariaDB ≥ 10.5 and MySQL ≥ 8.0.22 know REPLICA; older servers (and MySQL 8.4 the other way round) only one word.
      const rows = await query(conn, 'SHOW REPLICA STATUS').catch(() => query(conn, 'SHOW SLAVE STATUS'));
      lag.record(replicationLag(rows), null);
    } finally {
      conn.release();
    }
  };
  const tick = () => {
    void check()
      .catch((err: unknown) => lag.record(null, `replication status unavailable: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs).unref();
      });
  };
  tick();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

export interface ReplicaPool {
  pool: MysqlPool;
  availability: Availability;
  /** Replication lag; a replica further behind than its bound (or of unknown lag) gets no reads. */
  lag?: ReplicaLag;
}

type Callback = (error: unknown, result: unknown) => void;

/**
 * A pool that sends reads to the replicas. Outside a replica scope it hands out the primary's connections
 * unchanged. Inside one it holds a replica connection (round-robin over the replicas that answer) and sends
 * it every replica-safe SELECT; the first other statement (a write, `begin`, a lock) pins the connection to
 * the primary for the rest of its use. A replica that cannot be reached — refused at connect, or lost or
 * timed out during a query — is skipped and the read is asked of the primary, so the host keeps serving while
 * a replica is away (its own probe brings it back within a second or two of answering again). A replica too far
 * behind its primary (`ReplicaLag`) is skipped the same way until it has caught up.
 */
export function routedPool(primary: MysqlPool, replicas: ReplicaPool[]): MysqlPool {
  let turn = 0;
  const acquire = (pool: MysqlPool) => new Promise<MysqlPoolConnection>((resolve, reject) => pool.getConnection((err, conn) => (err ? reject(err) : resolve(conn))));
  const replicaConnection = async (): Promise<MysqlPoolConnection | null> => {
    const start = turn++;
    for (let i = 0; i < replicas.length; i++) {
      const r = replicas[(start + i) % replicas.length]!;
      if (!r.availability.available || (r.lag && !r.lag.acceptable)) continue;
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
        else
          callback(
            null,
            routedConnection(replica, () => acquire(primary)),
          );
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
      void held?.then(
        (conn) => conn.release(),
        () => {},
      );
    },
  };
  return connection as unknown as MysqlPoolConnection;
}
