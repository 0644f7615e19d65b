import { STATUS_CODES } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { AnyEndpoint, EndpointResponse, Logger, Principal, Runtime } from '@rfid3/core';
import { HttpProblem, dependencyProblem, isPlugin, primaryOnly } from '@rfid3/core';
import Koa from 'koa';
import type { Context, Next } from 'koa';
import { DEFAULT_BODY_LIMIT_BYTES, DEFAULT_INGEST_BODY_LIMIT_BYTES, FIRST_PARTY_PLUGINS } from './config.js';
import { ApiKeyStore } from './keys.js';
import type { CorsConfig } from './gateway/cors.js';
import { DEFAULT_CORS, cors } from './gateway/cors.js';
import type { RateLimitConfig } from './gateway/rate-limit.js';
import { DEFAULT_RATE_LIMITS, createRateLimiter } from './gateway/rate-limit.js';
import { securityHeaders } from './gateway/security-headers.js';
import { readYourWrites } from './gateway/read-your-writes.js';
import { HOST_API_PREFIX, ingestEndpoints } from './ingest/endpoints.js';
import { API_PREFIX, buildOpenApiDocument } from './openapi.js';
import { statusPageHtml } from './status-page.js';
import { dashboard } from './dashboard.js';
import { bullBoard } from './bull-board.js';
import { presentedKey, unauthorized } from './gateway/auth.js';

/** Options of the Koa app: key store, body limits, rate limits, CORS and proxy trust. */
export interface AppOptions {
  /** Where API keys are verified; by default the runtime's own database. */
  keys?: ApiKeyStore;
  /** Largest JSON body accepted, in bytes (default 1 MiB); larger ones get 413. */
  bodyLimitBytes?: number;
  /** Largest body of `POST /api/ingest/*` (default 16 MiB: 5,000 scans are about 2 MB). */
  ingestBodyLimitBytes?: number;
  logger?: Logger;
  /** Per-IP and per-key limits (default 600 and 3,000 requests a minute); `{ enabled: false }` turns them off. */
  rateLimit?: Partial<RateLimitConfig>;
  /** Where rate-limit counts are shared between hosts; memory when absent. */
  redisUrl?: string;
  cors?: Partial<CorsConfig>;
  /** Take the client address from X-Forwarded-For (only behind a proxy you run). */
  trustProxy?: boolean;
  /** With read replicas: how long after a write GETs still read the primary, in seconds (default 5). */
  readYourWritesSeconds?: number;
  /**
   * The folder of the built dashboard (default: the installed `@rfid3/dashboard`'s `assetsDir`). A folder without
   * an `index.html` leaves `/` to the host's status page.
   */
  dashboardDir?: string;
}

/** What each request carries through the middleware: its id, logger, matched route and caller. */
export interface HostState {
  requestId: string;
  logger: Logger;
  /** The route pattern that answered (`/api/predictive/jobs/:id`), for metrics; never the raw URL. */
  route?: string;
  principal?: Principal | null;
}

type HostContext = Context & { state: HostState };

/** A request's state; its logger (a child carrying the request id) is made when something logs through it. */
class RequestState implements HostState {
  route?: string;
  principal?: Principal | null;
  private child: Logger | undefined;

  constructor(
    private readonly root: Logger,
    readonly requestId: string,
  ) {}

  get logger(): Logger {
    return (this.child ??= this.root.child({ requestId: this.requestId }));
  }
}

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The Content-Type Koa makes of `ctx.type = 'application/json'`. */
const JSON_TYPE = 'application/json; charset=utf-8';

/** A Koa middleware of the host's (or a route's whole chain of them). */
type HostMiddleware = (ctx: HostContext, next: Next) => unknown;

/** Runs `steps` as one middleware, as Koa's compose does: each step's `next` is the following one, the last one's the caller's. */
function chainOf(steps: HostMiddleware[]): HostMiddleware {
  if (steps.length === 1) return steps[0]!;
  return (ctx, next) => {
    const at = (i: number): Promise<unknown> => {
      const step = i < steps.length ? steps[i]! : next;
      try {
        return Promise.resolve(step(ctx, () => at(i + 1)));
      } catch (err) {
        return Promise.reject(err);
      }
    };
    return at(0);
  };
}

/** A path pattern with nothing path-to-regexp reads as a parameter, wildcard, group or escape: it matches itself only. */
const PATTERN_SYNTAX = /[:*?+(){}[\]\\!]/;

/**
 * Parsed query strings by their text (Koa's own parse of each, made once): a repeated query costs a map lookup
 * instead of a URLSearchParams per request. Bounded in entries and in the length of the strings kept.
 */
class QueryMemo {
  private readonly parsed = new Map<string, { query: Record<string, unknown>; hasArrays: boolean }>();

  constructor(
    private readonly maxEntries = 256,
    private readonly maxLength = 512,
  ) {}

  /** A fresh copy of the request's parsed query (its repeated parameters' arrays copied too), as `{ ...ctx.query }` gives. */
  of(ctx: HostContext): Record<string, unknown> {
    const text = ctx.querystring;
    let kept = this.parsed.get(text);
    if (!kept) {
      const query = ctx.query as Record<string, unknown>;
      kept = { query, hasArrays: Object.values(query).some(Array.isArray) };
      if (text.length <= this.maxLength) {
        if (this.parsed.size >= this.maxEntries) this.parsed.delete(this.parsed.keys().next().value as string);
        this.parsed.set(text, kept);
      }
    }
    const copy: Record<string, unknown> = { ...kept.query };
    if (kept.hasArrays) for (const [name, value] of Object.entries(copy)) if (Array.isArray(value)) copy[name] = [...value];
    return copy;
  }
}

/**
 * A problem thrown by a plugin built against another copy of `@rfid3/core` is not an instance of ours,
 * so it is recognised by shape.
 */
function isHttpProblem(err: unknown): err is HttpProblem {
  if (err instanceof HttpProblem) return true;
  const e = err as Partial<HttpProblem> | null;
  return typeof e === 'object' && e !== null && e.name === 'HttpProblem' && typeof e.status === 'number' && typeof e.toBody === 'function';
}

/** Errors from Koa and its middleware carry `status` and `expose` (http-errors); their client-safe ones keep their status. */
function asProblem(err: unknown): HttpProblem | null {
  if (isHttpProblem(err)) return err;
  // The database away while checking a key or outside an endpoint: 503 with Retry-After, as inside one.
  const unavailable = dependencyProblem(err);
  if (unavailable) return unavailable;
  const e = err as { status?: unknown; expose?: unknown; message?: unknown } | null;
  if (typeof e === 'object' && e !== null && typeof e.status === 'number' && e.status >= 400 && e.status < 500 && e.expose === true) {
    return new HttpProblem({ status: e.status, title: STATUS_CODES[e.status] ?? 'Error', detail: typeof e.message === 'string' ? e.message : undefined });
  }
  return null;
}

function writeProblem(ctx: HostContext, problem: HttpProblem): void {
  ctx.status = problem.status;
  for (const [name, value] of Object.entries(problem.headers)) ctx.set(name, value);
  ctx.body = JSON.stringify({ ...problem.toBody(ctx.path), requestId: ctx.state.requestId });
  ctx.type = 'application/problem+json';
}

function respondJson(ctx: HostContext, { status, body, headers, json }: EndpointResponse): void {
  if (headers) for (const [name, value] of Object.entries(headers)) ctx.set(name, value);
  // A handler that returns nothing has nothing to say: 204, whatever success status it declared.
  if (body === undefined || status === 204) {
    ctx.status = 204;
    return;
  }
  ctx.status = status;
  if (json) {
    // Already serialised (an answer kept beside a cache entry): its bytes as they are. The type is set first, as
    // the full header `ctx.type = 'application/json'` gives, so that Koa does not type the Buffer as binary first.
    ctx.set('Content-Type', JSON_TYPE);
    ctx.body = json;
  } else if (typeof body === 'object' && body !== null) {
    ctx.body = body;
  } else {
    ctx.body = JSON.stringify(body);
    ctx.type = 'application/json';
  }
}

/**
 * The HTTP host around a runtime: every runtime endpoint under `/api/predictive`, `/metrics`,
 * `/api/openapi.json` and the status page at `/`. Returns the Koa app; call `listen` or `callback` on it.
 */
export function createApp(runtime: Runtime, options: AppOptions = {}): Koa<HostState> {
  const logger = options.logger ?? runtime.logger;
  // A key just created or revoked counts at once: keys are checked on the primary, never a replica.
  const keys = options.keys ?? new ApiKeyStore({ database: primaryOnly(runtime.database), clock: runtime.clock });
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const ingestBodyLimit = options.ingestBodyLimitBytes ?? DEFAULT_INGEST_BODY_LIMIT_BYTES;
  const app = new Koa<HostState>({ proxy: options.trustProxy ?? false });
  const rl = options.rateLimit ?? {};
  const limitsEnabled = rl.enabled ?? DEFAULT_RATE_LIMITS.enabled;
  const limiter = createRateLimiter(
    { enabled: limitsEnabled, perIp: rl.perIp ?? DEFAULT_RATE_LIMITS.perIp, perKey: rl.perKey ?? DEFAULT_RATE_LIMITS.perKey },
    // The runtime's L2 connection when it is the same Redis: one connection, and its health is the one status reports.
    {
      ...(options.redisUrl && options.redisUrl === runtime.config.redisUrl && runtime.redis ? { redis: runtime.redis } : { redisUrl: options.redisUrl }),
      keyPrefix: `${runtime.config.cache.keyPrefix}rl`,
    },
  );
  runtime.addStopHook(() => limiter.close());
  app.on('error', (err: unknown) => logger.error({ err }, 'unhandled error in the HTTP layer'));

  // Outermost: the request id, the log line and the latency histogram see the final status.
  app.use(async (ctx: HostContext, next: Next) => {
    const started = performance.now();
    const incoming = ctx.get('X-Request-Id');
    const requestId = SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state = new RequestState(logger, requestId);
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const route = ctx.state.route ?? 'unmatched';
      runtime.metrics.httpDuration.observe({ method: ctx.method, route, status: String(ctx.status) }, seconds);
      // The request id first, where the request's child logger puts it, without making one for this line.
      if (logger.isLevelEnabled('info'))
        logger.info({ requestId, method: ctx.method, path: ctx.path, route, status: ctx.status, ms: Math.round(seconds * 10_000) / 10 }, 'request');
    }
  });

  // Everything that goes wrong becomes application/problem+json; unknown errors say nothing about internals.
  app.use(async (ctx: HostContext, next: Next) => {
    try {
      await next();
      if (ctx.body == null && ctx.status === 404) throw await notFound(ctx, runtime);
      if (ctx.body == null && (ctx.status === 405 || ctx.status === 501)) {
        const allow = ctx.response.get('Allow');
        const allowed = allow ? `; allowed: ${allow}` : '';
        throw new HttpProblem({
          status: ctx.status,
          title: ctx.status === 405 ? 'Method Not Allowed' : 'Not Implemented',
          detail: ctx.status === 405 ? `${ctx.method} is not allowed on ${ctx.path}${allowed}` : `this server does not implement ${ctx.method}${allowed}`,
          headers: allow ? { Allow: allow } : {},
        });
      }
    } catch (err) {
      const problem = asProblem(err);
      if (problem) {
        // 501 answers an unknown method: the client's doing, not a fault to alert on.
        // 503 is a dependency away (logged by the layer that noticed it), not a fault of this request.
        if (problem.status === 503) ctx.state.logger.warn({ detail: problem.detail }, 'request refused: dependency unavailable');
        else if (problem.status >= 500 && problem.status !== 501) ctx.state.logger.error({ err }, 'request failed');
        else ctx.state.logger.debug({ status: problem.status, detail: problem.detail }, 'request refused');
        writeProblem(ctx, problem);
        return;
      }
      ctx.state.logger.error({ err }, 'request failed with an unexpected error');
      writeProblem(
        ctx,
        new HttpProblem({
          status: 500,
          title: 'Internal Server Error',
          detail: `an unexpected error occurred; quote request id ${ctx.state.requestId} when reporting it`,
        }),
      );
    }
  });

  app.use(securityHeaders());
  app.use(cors({ origins: options.cors?.origins ?? DEFAULT_CORS.origins, maxAgeSeconds: options.cors?.maxAgeSeconds ?? DEFAULT_CORS.maxAgeSeconds }));
  // Turned off, the limiter would only pass every request on: it is not mounted at all.
  if (limitsEnabled) app.use(limiter.middleware);
  const replicaReads = readYourWrites(runtime, options.readYourWritesSeconds ?? 5);
  if (replicaReads) app.use(replicaReads);

  const router = new Router<HostState>();
  const labelled =
    (pattern: string) =>
    async (ctx: HostContext, next: Next): Promise<void> => {
      ctx.state.route = pattern;
      await next();
    };

  router.get('/', labelled('/'), (ctx: HostContext) => {
    const nonce = randomBytes(16).toString('base64');
    ctx.set('Content-Security-Policy', `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'`);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = statusPageHtml(nonce);
  });

  router.get('/metrics', labelled('/metrics'), async (ctx: HostContext) => {
    ctx.body = await runtime.metrics.registry.metrics();
    ctx.type = runtime.metrics.registry.contentType;
  });

  const hostEndpoints = ingestEndpoints(runtime);
  // Endpoints are fixed once the runtime is built, so the document is generated once, on first request.
  let openApiJson: string | undefined;
  router.get('/api/openapi.json', labelled('/api/openapi.json'), (ctx: HostContext) => {
    openApiJson ??= JSON.stringify(buildOpenApiDocument(runtime, { hostEndpoints }));
    ctx.type = 'application/json';
    ctx.body = openApiJson;
  });

  const authenticate = authenticator(keys);
  const queries = new QueryMemo();
  // Each endpoint's chain as one middleware, registered with the router and, for a path without parameters, found
  // by its exact method and path before the router's walk over every route (see below).
  const endpointRoutes: { method: string; pattern: string; handle: HostMiddleware }[] = [];
  const route = (pattern: string, endpoint: AnyEndpoint, steps: HostMiddleware[]) => {
    const check = authenticate(endpoint);
    const head: HostMiddleware = (ctx, next) => {
      ctx.state.route = pattern;
      return check(ctx, next);
    };
    const handle = chainOf([head, ...steps, invoke(runtime, endpoint, queries)]);
    router.register(pattern, [endpoint.method], [handle]);
    endpointRoutes.push({ method: endpoint.method, pattern, handle });
  };
  const parseBody = jsonBodyParser(bodyLimit);
  for (const { endpoint } of runtime.endpoints.all()) {
    // The canonical path and the aliases it declares (the design's global paths) answer alike; each is its own metrics route.
    for (const path of [endpoint.path, ...(endpoint.aliases ?? [])]) route(`${API_PREFIX}${path}`, endpoint, endpoint.method === 'GET' ? [] : parseBody);
  }
  const parseIngestBody = jsonBodyParser(ingestBodyLimit);
  for (const endpoint of hostEndpoints) route(`${HOST_API_PREFIX}${endpoint.path}`, endpoint, parseIngestBody);

  // A request for exactly a parameterless endpoint path goes straight to that endpoint's chain: the router would
  // match the same one route (checked here, once, with the router's own matching) after testing every route's
  // pattern and composing the chain anew. Anything else (parameters, another case, a trailing slash, HEAD) is the
  // router's, as before.
  const exact = new Map<string, HostMiddleware>();
  for (const { method, pattern, handle } of endpointRoutes) {
    if (PATTERN_SYNTAX.test(pattern)) continue;
    const matched = router.match(pattern, method).pathAndMethod;
    if (matched.length === 1 && matched[0]!.path === pattern) exact.set(`${method} ${pattern}`, handle);
  }
  const routes = router.routes() as unknown as HostMiddleware;
  const dispatch = (ctx: HostContext, next: Next) => {
    const handle = exact.get(`${ctx.method} ${ctx.path}`);
    if (!handle) return routes(ctx, next);
    // What the router sets for a route without parameters.
    const routed = ctx as HostContext & { params?: Record<string, string>; request: { params?: Record<string, string> } };
    routed.params = routed.request.params = {};
    return handle(ctx, next);
  };

  const board = bullBoard(runtime, keys);
  if (board) app.use(board); // Bull Board at /admin/queues, admin keys only, in BullMQ mode
  app.use(dashboard({ dir: options.dashboardDir })); // the built dashboard at `/` when present; otherwise the status page below answers
  app.use(dispatch);
  app.use(router.allowedMethods());
  return app;
}

/** Prefix (`inventory`) → package, from the `aliasPrefixes` first-party plugins declare; read once, from the ones installed. */
let declaredAliasPrefixes: Promise<Map<string, string>> | undefined;
function aliasPrefixOwners(): Promise<Map<string, string>> {
  declaredAliasPrefixes ??= (async () => {
    const owners = new Map<string, string>();
    for (const pkg of FIRST_PARTY_PLUGINS) {
      const mod = (await import(pkg).catch(() => null)) as Record<string, unknown> | null;
      const plugin = mod ? Object.values(mod).find(isPlugin) : undefined;
      for (const prefix of plugin?.aliasPrefixes ?? []) owners.set(prefix.replace(/^\/|\/$/g, ''), pkg);
    }
    return owners;
  })();
  return declaredAliasPrefixes;
}

/**
 * 404, naming the plugin to install when the path lies in the namespace of a first-party plugin that is not
 * loaded: a plugin's endpoints live under its id, and first-party package names follow it
 * (`@rfid3/plugin-<id>`); the design's paths outside it, under the prefixes the installed plugin declares.
 */
async function notFound(ctx: HostContext, runtime: Runtime): Promise<HttpProblem> {
  const prefix = new RegExp(`^${API_PREFIX}/([^/]+)(?:/|$)`).exec(ctx.path)?.[1];
  const byId = prefix ? `@rfid3/plugin-${prefix}` : undefined;
  const pkg = byId && (FIRST_PARTY_PLUGINS as readonly string[]).includes(byId) ? byId : prefix ? (await aliasPrefixOwners()).get(prefix) : undefined;
  if (pkg && !runtime.plugins.some((p) => `@rfid3/plugin-${p.id}` === pkg)) {
    return new HttpProblem({
      status: 404,
      title: 'Not Found',
      detail: `${API_PREFIX}/${prefix}/… is served by the plugin ${pkg}, which is not loaded: install it beside the host and list it in the config's "plugins"`,
      extensions: { plugin: pkg },
    });
  }
  return HttpProblem.notFound(`no endpoint ${ctx.method} ${ctx.path}`);
}

/**
 * Reads `Authorization: Bearer <key>` or `X-API-Key`; a key that is presented must be valid, even for an open read.
 * Not async: a request without a key goes on at once (a malformed header or a write without a key throws, which
 * Koa's compose and `chainOf` turn into a rejection); one with a key waits for its verification.
 */
function authenticator(keys: ApiKeyStore) {
  return (endpoint: AnyEndpoint) =>
    (ctx: HostContext, next: Next): Promise<unknown> => {
      const key = presentedKey(ctx);
      if (key === undefined) {
        // Open reads are GETs only: anything that changes state needs a key whatever its declared role.
        if (endpoint.method !== 'GET') {
          throw unauthorized(`${endpoint.method} ${endpoint.path} needs an API key with role '${endpoint.role}' (send it as 'Authorization: Bearer <key>' or 'X-API-Key')`);
        }
        ctx.state.principal = null;
        return next();
      }
      return keys.verify(key).then((principal) => {
        if (!principal) throw unauthorized('the API key is not valid or has been revoked');
        ctx.state.principal = principal;
        return next();
      });
    };
}

function jsonBodyParser(limitBytes: number) {
  const parse = bodyParser({
    enableTypes: ['json'],
    jsonLimit: limitBytes,
    parsedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
    onError(err) {
      const e = err as Error & { status?: number; type?: string };
      if (e.status === 413 || e.type === 'entity.too.large') {
        throw new HttpProblem({ status: 413, title: 'Content Too Large', detail: `the request body is larger than the limit of ${limitBytes} bytes` });
      }
      if (e.status === 400) {
        const reason = e.message || 'malformed JSON';
        throw HttpProblem.badRequest(`body: ${reason}`, [{ field: 'body', message: `malformed JSON: ${reason}` }]);
      }
      throw err;
    },
  });
  const requireJson = async (ctx: HostContext, next: Next): Promise<void> => {
    const hasBody = Number(ctx.get('Content-Length') || 0) > 0 || ctx.get('Transfer-Encoding') !== '';
    if (hasBody && !ctx.is('json')) {
      throw new HttpProblem({ status: 415, title: 'Unsupported Media Type', detail: "send the request body as 'Content-Type: application/json'" });
    }
    await next();
  };
  return [requireJson, parse as (ctx: HostContext, next: Next) => Promise<unknown>];
}

function invoke(runtime: Runtime, endpoint: AnyEndpoint, queries: QueryMemo) {
  return async (ctx: HostContext): Promise<void> => {
    const params = (ctx as HostContext & { params?: Record<string, string> }).params ?? {};
    const body: unknown = ctx.request.body;
    // An endpoint that declares no body takes none: anything but nothing or `{}` is a mistake worth saying.
    if (!endpoint.input?.body && body !== undefined && !(typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0)) {
      throw HttpProblem.badRequest(`${endpoint.method} ${endpoint.path} takes no request body`, [{ field: 'body', message: 'expected no body (or {})' }]);
    }
    respondJson(ctx, await runtime.invoke(endpoint, { params, query: queries.of(ctx), body: ctx.request.body }, ctx.state.principal ?? null, ctx.state.requestId));
  };
}
