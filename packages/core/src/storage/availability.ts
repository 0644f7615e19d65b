/**
 * A dependency (the database) that cannot be reached right now: the request may succeed later, so it is a
 * 503 with `Retry-After`, never a 500. Thrown by the storage layer in place of the driver's own error.
 */
export class DependencyUnavailableError extends Error {
  override readonly name = 'DependencyUnavailableError';
  readonly dependency: string;
  /** The driver's code (`ECONNREFUSED`, `PROTOCOL_CONNECTION_LOST`, …), when it gave one. */
  readonly code?: string;
  readonly retryAfterSeconds: number;

  constructor(dependency: string, detail: string, options: { cause?: unknown; code?: string; retryAfterSeconds?: number } = {}) {
    super(`${dependency} is unavailable: ${detail}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.dependency = dependency;
    this.code = options.code;
    this.retryAfterSeconds = options.retryAfterSeconds ?? 5;
  }
}

// mysql2's network and server-gone conditions: the server is away, not the query wrong.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  'ER_NORMAL_SHUTDOWN',
  'ER_LOCK_WAIT_TIMEOUT_CONNECTION',
]);
// 1040 too many connections, 1053 shutdown in progress, 1077 normal shutdown, 1203 user connection limit,
// 1927 connection killed, 2002/2003 cannot connect, 2006 gone away, 2013 lost during query.
const UNAVAILABLE_ERRNOS = new Set([1040, 1053, 1077, 1203, 1927, 2002, 2003, 2006, 2013]);

/**
 * True for an error that means the database cannot be reached (or, on SQLite, stayed locked past the busy
 * timeout), as opposed to a query it refused. Follows `cause` chains; recognises our typed error by shape,
 * so one thrown by another copy of core counts too.
 */
export function isDependencyUnavailable(err: unknown): boolean {
  for (let e = err as Record<string, unknown> | null | undefined, depth = 0; e && typeof e === 'object' && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.name === 'DependencyUnavailableError') return true;
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code && (UNAVAILABLE_CODES.has(code) || code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_'))) return true;
    if (typeof e.errno === 'number' && UNAVAILABLE_ERRNOS.has(e.errno)) return true;
    // mysql2 marks errors that end the connection as fatal; a refused query is never fatal.
    if (e.fatal === true) return true;
    if (typeof e.message === 'string' && /connection is in closed state|Connection lost: The server closed the connection/.test(e.message)) return true;
  }
  return false;
}

/** The retry hint of an unavailable dependency, in whole seconds. */
export function retryAfterSeconds(err: unknown): number {
  const e = err as { retryAfterSeconds?: unknown } | null;
  return e && typeof e.retryAfterSeconds === 'number' && e.retryAfterSeconds > 0 ? Math.ceil(e.retryAfterSeconds) : 5;
}

/** Wraps a driver error in the typed error (an error already typed is returned as it is). */
export function asUnavailable(dependency: string, err: unknown, retryAfter?: number): DependencyUnavailableError {
  if (err instanceof DependencyUnavailableError) return err;
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' && e.message ? e.message : String(err);
  return new DependencyUnavailableError(dependency, message, { cause: err, code, retryAfterSeconds: retryAfter });
}

/** Whether a dependency is available now and, while it is not, since when and why. */
export interface AvailabilitySnapshot {
  available: boolean;
  /** When the current outage began (ISO), null while available. */
  downSince: string | null;
  /** Whole seconds of the current outage. */
  downSeconds: number | null;
  lastError: string | null;
}

/**
 * Whether a dependency answered lately: every query's outcome and a periodic probe move it. While it is down
 * the storage layer refuses new work at once (a circuit breaker) instead of letting requests wait on a server
 * that may be stopped; the probe closes the breaker within a second of the server answering again.
 */
export class Availability {
  private downSinceMs: number | null = null;
  private lastErrorText: string | null = null;
  /** How long the last outage lasted, once it is over. */
  lastOutageMs: number | null = null;
  private readonly listeners: ((available: boolean) => void)[] = [];
  private checker: (() => Promise<boolean>) | null = null;

  constructor(readonly dependency: string) {}

  /** Sets how to ask the dependency now (the probe), for `check()`. */
  setChecker(check: () => Promise<boolean>): void {
    this.checker = check;
  }

  /**
   * Asks the dependency now (joining a probe under way) and gives whether it is available afterwards, so that
   * a caller that just saw a query fail reports the same state as every other reader of `available`.
   */
  async check(): Promise<boolean> {
    if (this.checker) await this.checker();
    return this.available;
  }

  get available(): boolean {
    return this.downSinceMs === null;
  }

  /** Called on every success. */
  up(): void {
    if (this.downSinceMs === null) return;
    this.lastOutageMs = Date.now() - this.downSinceMs;
    this.downSinceMs = null;
    for (const l of this.listeners) l(true);
  }

  /** Called when the dependency could not be reached. */
  down(err: unknown): void {
    this.lastErrorText = err instanceof Error ? err.message : String(err);
    if (this.downSinceMs !== null) return;
    this.downSinceMs = Date.now();
    for (const l of this.listeners) l(false);
  }

  /** Calls `listener` whenever the dependency goes down or comes back. */
  onChange(listener: (available: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** The state now, for health reports. */
  snapshot(): AvailabilitySnapshot {
    const since = this.downSinceMs;
    return {
      available: since === null,
      downSince: since === null ? null : new Date(since).toISOString(),
      downSeconds: since === null ? null : Math.round((Date.now() - since) / 1000),
      lastError: since === null ? null : this.lastErrorText,
    };
  }
}
