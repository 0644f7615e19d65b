import type { MysqlPool, MysqlPoolConnection } from 'kysely';
import type { Connection, ConnectionOptions, PoolConnection, PoolOptions } from 'mysql2';
import { importPeer } from '../optional-peers.js';
import type { Availability } from './availability.js';
import { asUnavailable, DependencyUnavailableError, isDependencyUnavailable } from './availability.js';

/** mysql2, loaded on first use (an optional peer dependency of core: only `mysql://` URLs need it). */
const loadMysql2 = () => importPeer('mysql2', 'a mysql:// (MariaDB/MySQL) database URL', () => import('mysql2'));

/** What `guardedPool` needs of a mysql2 pool. */
export interface DriverPool {
  /** Gives a connection, or an error and none. */
  getConnection(callback: (err: NodeJS.ErrnoException | null, connection?: PoolConnection) => void): void;
  end(callback?: (err: NodeJS.ErrnoException | null) => void): void;
}

/** A mysql2 pool made when the first connection is asked for, so that mysql2 is loaded only then. */
export function lazyMysqlPool(settings: PoolOptions): DriverPool {
  let pool: ReturnType<typeof import('mysql2').createPool> | undefined;
  let opening: Promise<NonNullable<typeof pool>> | undefined;
  const open = () => (opening ??= loadMysql2().then((mysql2) => (pool = mysql2.createPool(settings))));
  return {
    getConnection(callback) {
      if (pool) return pool.getConnection(callback);
      open().then(
        (p) => p.getConnection(callback),
        (err: NodeJS.ErrnoException) => callback(err),
      );
    },
    end(callback) {
      // A pool never opened has nothing to end (and ending it must not load the driver).
      if (!opening) return callback?.(null);
      opening.then(
        (p) => p.end(callback),
        () => callback?.(null),
      );
    },
  };
}

/**
 * A dedicated connection that asks `select 1` on a timer (every `intervalMs` while the database answers,
 * every second while it does not) and moves `availability`. It notices an outage while every request is
 * served from the cache, and a server that is stopped rather than gone (its socket open, nothing answering).
 */
export class MysqlProbe {
  private conn: Connection | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<boolean> | null = null;
  private stopped = false;
  private readonly timeoutMs: number;

  constructor(
    private readonly settings: ConnectionOptions,
    private readonly availability: Availability,
    private readonly options: { intervalMs: number; timeoutMs?: number },
  ) {
    this.timeoutMs = options.timeoutMs ?? 2_000;
    availability.setChecker(() => this.now());
  }

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.conn?.destroy();
    this.conn = null;
  }

  /** Probes now (joining a probe already under way); true when the database answered. */
  now(): Promise<boolean> {
    this.running ??= this.once().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = this.availability.available ? this.options.intervalMs : Math.min(1_000, this.options.intervalMs);
    this.timer = setTimeout(() => {
      void this.now().finally(() => this.schedule());
    }, delay);
    this.timer.unref();
  }

  private async once(): Promise<boolean> {
    if (this.stopped) return this.availability.available;
    let mysql2: Awaited<ReturnType<typeof loadMysql2>>;
    try {
      mysql2 = await loadMysql2();
    } catch {
      // No driver is not an outage: every query says which package to install, and probing stops.
      this.stop();
      return this.availability.available;
    }
    if (this.stopped) return this.availability.available;
    return new Promise((resolve) => {
      let conn = this.conn;
      if (!conn) {
        conn = mysql2.createConnection({ ...this.settings, connectTimeout: this.timeoutMs });
        // Failures reach the query's callback; the event must still be listened to or it would throw.
        conn.on('error', () => {});
        this.conn = conn;
      }
      let settled = false;
      const finish = (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          conn!.destroy();
          if (this.conn === conn) this.conn = null;
          this.availability.down(err);
          resolve(false);
        } else {
          this.availability.up();
          resolve(true);
        }
      };
      const timer = setTimeout(() => finish(new Error(`the database did not answer 'select 1' within ${this.timeoutMs} ms`)), this.timeoutMs);
      conn.query({ sql: 'select 1', timeout: this.timeoutMs }, (err) => finish(err));
    });
  }
}

/**
 * The mysql2 pool as Kysely sees it, with three guards: while the database is known to be down a
 * connection is refused at once (no request waits on a dead or stopped server); every query has a timeout
 * (a connection whose query timed out is destroyed, not returned to the pool); and driver errors that mean
 * "cannot reach the server" become `DependencyUnavailableError`, so the API answers 503, never 500.
 */
export function guardedPool(pool: DriverPool, options: { availability: Availability; probe: MysqlProbe; queryTimeoutMs: number }): MysqlPool {
  const { availability, probe, queryTimeoutMs } = options;
  const unavailable = (err: unknown) => {
    // One lost connection or one query that timed out is not an outage: the probe, asked now, decides.
    void probe.now();
    return asUnavailable('database', err);
  };
  const guarded = new WeakMap<PoolConnection, MysqlPoolConnection>();
  // What goes beside an error: Kysely's callback type asks for a connection, and its driver reads none when there is an error.
  const refused: MysqlPoolConnection = {
    query: () => {
      throw new Error('no connection: the pool answered with an error');
    },
    release: () => {},
  };
  const guard = (conn: PoolConnection): MysqlPoolConnection => {
    let g = guarded.get(conn);
    if (g) return g;
    let broken = false;
    g = {
      query(sql: string, parameters: readonly unknown[], callback?: (error: unknown, result: unknown) => void) {
        if (!callback) return conn.query(sql, parameters as unknown[]);
        conn.query({ sql, values: parameters as unknown[], timeout: queryTimeoutMs }, (err, result) => {
          if (err && isDependencyUnavailable(err)) {
            broken = true;
            callback(unavailable(err), undefined);
            return;
          }
          if (!err) availability.up();
          callback(err, result);
        });
      },
      release() {
        // A connection that timed out may still have the query in flight: it must not serve anyone else.
        if (broken) conn.destroy();
        else conn.release();
      },
    } as MysqlPoolConnection;
    guarded.set(conn, g);
    return g;
  };
  return {
    getConnection(callback) {
      if (!availability.available) {
        const s = availability.snapshot();
        callback(new DependencyUnavailableError('database', `not answering since ${s.downSince} (${s.lastError ?? 'no answer'})`, { retryAfterSeconds: 2 }), refused);
        return;
      }
      pool.getConnection((err, conn) => {
        if (err || !conn) callback(err && isDependencyUnavailable(err) ? unavailable(err) : (err ?? new Error('the pool gave no connection')), refused);
        else callback(null, guard(conn));
      });
    },
    end(callback) {
      pool.end(callback);
    },
  };
}
