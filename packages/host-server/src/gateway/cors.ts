import type { Next, ParameterizedContext } from 'koa';

export interface CorsConfig {
  /** Origins allowed to call the API from a browser: exact origins, or `*` for any (never with credentials). */
  origins: string[];
  maxAgeSeconds: number;
}

export const DEFAULT_CORS: CorsConfig = { origins: [], maxAgeSeconds: 600 };

const ALLOWED_HEADERS = 'Authorization, X-API-Key, Content-Type, X-Request-Id';
const EXPOSED_HEADERS = 'X-Request-Id, Retry-After, RateLimit-Remaining, RateLimit-Policy';

/**
 * CORS from config (written here: a dozen lines, and the host needs nothing else of a CORS library).
 * Without configured origins no CORS header is sent, so browsers keep to the same origin.
 */
export function cors(config: CorsConfig) {
  const any = config.origins.includes('*');
  const allowed = new Set(config.origins.map((o) => o.replace(/\/$/, '').toLowerCase()));
  // Not async: most requests only pass through, and an async wrapper would add a promise to each.
  return (ctx: ParameterizedContext, next: Next): Promise<void> | undefined => {
    ctx.vary('Origin');
    const origin = ctx.get('Origin');
    const ok = origin !== '' && (any || allowed.has(origin.toLowerCase()));
    if (ok) {
      ctx.set('Access-Control-Allow-Origin', any ? '*' : origin);
      ctx.set('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    }
    if (ctx.method === 'OPTIONS' && ctx.get('Access-Control-Request-Method')) {
      // A preflight: answered here, whatever the route, so it never reaches authentication.
      if (ok) {
        ctx.set('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE');
        ctx.set('Access-Control-Allow-Headers', ALLOWED_HEADERS);
        ctx.set('Access-Control-Max-Age', String(config.maxAgeSeconds));
      }
      ctx.status = 204;
      return undefined;
    }
    return next();
  };
}
