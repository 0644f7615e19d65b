import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import type { Middleware, Next, ParameterizedContext } from 'koa';

/**
 * The host's helmet configuration. The default Content-Security-Policy allows nothing, which is right for JSON;
 * the dashboard and the status page set their own, stricter for their pages, after this runs.
 */
const HELMET_OPTIONS: Parameters<typeof helmet>[0] = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"] } },
  crossOriginResourcePolicy: { policy: 'same-origin' },
  strictTransportSecurity: { maxAge: 15552000, includeSubDomains: true },
  referrerPolicy: { policy: 'no-referrer' },
};

/** One header operation of helmet's, in the order it made them: set a header, or remove one. */
export type HeaderStep = readonly [name: string, value: string] | readonly [name: string, value: null];

/**
 * What helmet does to every response with the host's options, recorded once by running it against a response
 * that only notes its calls. With these options (no per-request directive such as a CSP nonce function) helmet's
 * headers do not depend on the request, so replaying them is the same as running helmet again.
 */
export function helmetSteps(options: Parameters<typeof helmet>[0] = HELMET_OPTIONS): HeaderStep[] {
  const steps: HeaderStep[] = [];
  const recorder = {
    setHeader(name: string, value: unknown) {
      steps.push([name, String(value)]);
      return recorder;
    },
    removeHeader(name: string) {
      steps.push([name, null]);
    },
  };
  let done = false;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
    done = true;
  });
  // helmet calls back synchronously; anything else would mean its headers are made per request after all.
  if (!done) throw new Error('helmet did not finish synchronously: its headers cannot be recorded once');
  return steps;
}

/**
 * Security headers on every answer: helmet's (see `helmetSteps`), recorded at start and set on each response
 * in helmet's order, without running helmet's dozen middleware per request.
 */
export function securityHeaders(): Middleware {
  const steps = helmetSteps();
  return (ctx: ParameterizedContext, next: Next) => {
    const res = ctx.res;
    for (const [name, value] of steps) {
      if (value === null) res.removeHeader(name);
      else res.setHeader(name, value);
    }
    return next();
  };
}
