import type { Middleware } from 'koa';
import helmet from 'koa-helmet';

/**
 * Security headers on every answer (helmet through koa-helmet). The default Content-Security-Policy
 * allows nothing, which is right for JSON; the dashboard and the status page set their own, stricter
 * for their pages, after this runs.
 */
export function securityHeaders(): Middleware {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    strictTransportSecurity: { maxAge: 15552000, includeSubDomains: true },
    referrerPolicy: { policy: 'no-referrer' },
  }) as unknown as Middleware;
}
