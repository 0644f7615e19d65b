import type { Runtime } from '@rfid3/core';
import { BullmqJobRunner, HttpProblem, roleSatisfies } from '@rfid3/core';
import type { Context, Middleware, Next } from 'koa';
import { presentedKey, unauthorized } from './gateway/auth.js';
import type { ApiKeyStore } from './keys.js';

/** Where Bull Board is mounted (BullMQ mode only). */
export const BULL_BOARD_PATH = '/admin/queues';

const CHALLENGE = 'Basic realm="rfid3 Bull Board (an admin API key as the password)", charset="UTF-8"';

// The board's page loads its own scripts and styles from this host, and styles some elements inline.
const BOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/**
 * Bull Board (`@bull-board/koa`) over the BullMQ queues of every loaded plugin, at `/admin/queues`, for an
 * admin API key only: sent as `Authorization: Bearer`, `X-API-Key`, or HTTP Basic with the key as the password
 * (a browser asks for it once and resends it with the board's own requests). No key: 401; a key of a lower
 * role: 403. Null when jobs run in-process (there are no queues to show). The board's packages (about 40 MB
 * and a second to load) are loaded on its first request, not when the host starts.
 */
export function bullBoard(runtime: Runtime, keys: ApiKeyStore): Middleware | null {
  const jobs = runtime.jobs;
  if (!(jobs instanceof BullmqJobRunner)) return null;
  let loaded: Promise<Middleware> | null = null;
  const load = async (): Promise<Middleware> => {
    const [{ createBullBoard }, { BullMQAdapter }, { KoaAdapter }] = await Promise.all([
      import('@bull-board/api'),
      import('@bull-board/api/bullMQAdapter'),
      import('@bull-board/koa'),
    ]);
    const adapter = new KoaAdapter();
    adapter.setBasePath(BULL_BOARD_PATH);
    createBullBoard({
      queues: jobs.bullQueues().map((q) => new BullMQAdapter(q)),
      serverAdapter: adapter,
      options: { uiConfig: { boardTitle: 'RFID3 jobs' } },
    });
    return adapter.registerPlugin() as unknown as Middleware;
  };
  return async (ctx: Context, next: Next) => {
    if (ctx.path !== BULL_BOARD_PATH && !ctx.path.startsWith(`${BULL_BOARD_PATH}/`)) return next();
    (ctx.state as { route?: string }).route = BULL_BOARD_PATH;
    const key = presentedKey(ctx, { basic: true });
    if (key === undefined) throw unauthorized(`${BULL_BOARD_PATH} needs an API key with role 'admin'`, CHALLENGE);
    const principal = await keys.verify(key);
    if (!principal) throw unauthorized('the API key is not valid or has been revoked', CHALLENGE);
    if (!roleSatisfies(principal.role, 'admin')) {
      throw new HttpProblem({ status: 403, title: 'Forbidden', detail: `${BULL_BOARD_PATH} needs role 'admin'; this key has role '${principal.role}'` });
    }
    loaded ??= load().catch((err: unknown) => {
      loaded = null;
      throw err;
    });
    const board = await loaded;
    await board(ctx, async () => {
      // The board answered nothing: the host's 404.
    });
    if (ctx.body != null) ctx.set('Content-Security-Policy', BOARD_CSP);
  };
}
