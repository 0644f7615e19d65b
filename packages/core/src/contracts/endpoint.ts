import type { z } from 'zod';
import type { Logger } from '../observability/logger.js';

/**
 * Roles by least privilege. `read` reads; `ingest` also posts data (scans, POS, feedback, inspections);
 * `operate` proposes, rejects and runs jobs; `approve` also approves and executes decisions (up to the
 * key's amount ceiling); `admin` may do everything (keys, config, plugins). `ingest` and `operate` are
 * separate: the key a scanner posts with cannot change a decision.
 */
export const ROLES = ['read', 'ingest', 'operate', 'approve', 'admin'] as const;
/** An API key's role (one of `ROLES`). */
export type Role = (typeof ROLES)[number];

/** What each role may do, as the roles an endpoint may require. */
export const ROLE_GRANTS: Readonly<Record<Role, readonly Role[]>> = Object.freeze({
  read: ['read'],
  ingest: ['read', 'ingest'],
  operate: ['read', 'operate'],
  approve: ['read', 'operate', 'approve'],
  admin: ROLES,
});

/** True when a principal holding `held` may call what requires `needed`. */
export function roleSatisfies(held: Role, needed: Role): boolean {
  return ROLE_GRANTS[held]?.includes(needed) ?? false;
}

/** An HTTP method an endpoint may declare. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The caller of a request: the API key's id, name and role. */
export interface Principal {
  keyId: string;
  name: string;
  role: Role;
  /** Largest amount (dollars) this key may approve or execute; null or absent: no ceiling of its own. */
  approveLimitUsd?: number | null;
}

/** What a handler gets besides its input: the request id, the caller and a logger. */
export interface RequestContext {
  requestId: string;
  /** The caller's API key, or null when the request carries none (allowed only for open reads). */
  principal: Principal | null;
  logger: Logger;
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;

/** The zod schemas that validate an endpoint's path parameters, query and body. */
export interface EndpointInputSchemas<P, Q, B> {
  /** Path parameters (strings from the URL). */
  params?: P;
  /** Query string values arrive as strings: use `z.coerce` for numbers and booleans. */
  query?: Q;
  body?: B;
}

/** An endpoint's validated input: its path parameters, query and body as parsed by its schemas. */
export interface EndpointInput<P, Q, B> {
  params: Parsed<P>;
  query: Parsed<Q>;
  body: Parsed<B>;
}

/**
 * An API endpoint declared as data (Fastify style): the host maps it to HTTP, the OpenAPI document is
 * generated from its schemas, and a test can call `handler` through `invokeEndpoint` with no HTTP at all.
 */
export interface Endpoint<
  P extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
> {
  method: HttpMethod;
  /**
   * Path under `/api/predictive`, path-to-regexp v8 syntax: `/maintenance/probability/:item_id`. A plugin's
   * endpoints live under its id: `/<plugin-id>` or `/<plugin-id>/…` (the runtime refuses others).
   */
  path: string;
  /**
   * Other paths (under `/api/predictive`, same syntax and parameters) that answer exactly as `path` does: the
   * design's global paths kept working, e.g. `/inventory/restock-alerts` for `/restock/restock-alerts`. The
   * OpenAPI document lists them beside the canonical path, marked `x-alias-of`.
   */
  aliases?: string[];
  summary: string;
  description?: string;
  /** Least role that may call it. `read` endpoints may be opened to anonymous callers by config. */
  role: Role;
  input?: EndpointInputSchemas<P, Q, B>;
  /**
   * The success body's schema: the OpenAPI document (and the clients' types generated from it) carry it.
   * Every first-party endpoint declares one, and a test checks real answers against it. Endpoints answering
   * 204 have no body; a `stale`/`staleSeconds` pair may be added to an object body by the host.
   */
  output?: z.ZodType;
  /** Status on success (default 200). */
  successStatus?: 200 | 201 | 202 | 204;
  /** Answers a validated request; the value is sent as JSON, and an `HttpProblem` thrown becomes a problem+json answer. */
  handler(input: EndpointInput<P, Q, B>, ctx: RequestContext): unknown | Promise<unknown>;
}

/** An endpoint with any input schemas, as the host holds them. */
export type AnyEndpoint = Endpoint<any, any, any>;

/**
 * What a handler returns when its answer needs a status or headers of its own (a health check that says
 * 503 while the database is away, with its report as the body).
 */
export class EndpointReply {
  constructor(
    readonly body: unknown,
    readonly status: number,
    readonly headers: Record<string, string> = {},
  ) {}
}

/**
 * An answer that is already serialised: `value` is the body (what in-process callers get), `json` its exact
 * JSON text as UTF-8 bytes, which the host sends as it is instead of serialising `value` again. For answers
 * served many times from a cache (see `SerializedAnswers`); treat `value` as read-only, it may be shared.
 */
export class JsonAnswer {
  constructor(
    readonly value: unknown,
    readonly json: Buffer,
  ) {}
}

/** A `JsonAnswer`, also one made by another copy of `@rfid3/core` (a plugin built against its own), recognised by shape. */
export function isJsonAnswer(x: unknown): x is JsonAnswer {
  if (x instanceof JsonAnswer) return true;
  const a = x as Partial<JsonAnswer> | null;
  return typeof a === 'object' && a !== null && a.constructor?.name === 'JsonAnswer' && Buffer.isBuffer(a.json) && 'value' in a;
}

/** Identity function that infers the handler's input types from the schemas. */
export function defineEndpoint<P extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined>(
  endpoint: Endpoint<P, Q, B>,
): Endpoint<P, Q, B> {
  for (const path of [endpoint.path, ...(endpoint.aliases ?? [])]) {
    if (!path.startsWith('/')) throw new TypeError(`endpoint path '${path}' must start with '/'`);
  }
  return endpoint;
}

/** True when `path` lies in the namespace of plugin `pluginId`: `/<pluginId>` or `/<pluginId>/…`. */
export function inPluginNamespace(path: string, pluginId: string): boolean {
  return path === `/${pluginId}` || path.startsWith(`/${pluginId}/`);
}
