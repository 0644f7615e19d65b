import type { Runtime } from '@rfid3/core';
import { withReplicaReads } from '@rfid3/core';
import type { Context, Middleware, Next } from 'koa';

/** Set on the answer to a write; while it lasts, that client's GETs read the primary (on any host). */
export const READ_YOUR_WRITES_COOKIE = 'rfid3_wrote';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Chooses where a request's reads go when the database has read replicas (`MYSQL_READ_URL`): a GET reads a
 * replica, unless it must see a write the replica may not have yet —
 * - the client wrote within `windowSeconds` (the `rfid3_wrote` cookie, set on every write's answer, so a
 *   browser that posts through one host and reads through another still reads the primary);
 * - this host handled a write request, or saw data change (its own ingest or poller, or another host's
 *   `data-changed`), within `windowSeconds`, or is handling one now.
 * Writes and their own reads always use the primary (statements outside `withReplicaReads` do). Without
 * replicas this does nothing.
 */
export function readYourWrites(runtime: Runtime, windowSeconds: number): Middleware | null {
  // Without replicas there is nothing to choose: no middleware at all, rather than one that passes every request on.
  if (!runtime.database.readReplicas?.length) return null;
  const windowMs = windowSeconds * 1000;
  let lastWriteMs = Number.NEGATIVE_INFINITY;
  let writing = 0;
  const unsubscribe = runtime.events.on('data-changed', () => {
    lastWriteMs = Date.now();
  });
  runtime.addStopHook(unsubscribe);
  const clientWroteLately = (ctx: Context): boolean => {
    const at = Number(ctx.cookies.get(READ_YOUR_WRITES_COOKIE));
    return Number.isFinite(at) && Date.now() - at < windowMs;
  };
  return async (ctx: Context, next: Next) => {
    if (!WRITE_METHODS.has(ctx.method)) {
      if (writing > 0 || Date.now() - lastWriteMs < windowMs || clientWroteLately(ctx)) return next();
      return withReplicaReads(next);
    }
    writing++;
    let refused = false;
    try {
      await next();
      refused = ctx.status >= 400 && ctx.status < 500;
    } finally {
      writing--;
      // A refused request (4xx) wrote nothing; anything else, a failure included, may have.
      if (!refused) {
        lastWriteMs = Date.now();
        if (windowMs > 0) {
          ctx.cookies.set(READ_YOUR_WRITES_COOKIE, String(lastWriteMs), { maxAge: windowMs, httpOnly: true, sameSite: 'lax', overwrite: true });
        }
      }
    }
  };
}
