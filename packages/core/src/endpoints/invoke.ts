import { match } from 'path-to-regexp';
import type { AnyEndpoint, HttpMethod, RequestContext } from '../contracts/endpoint.js';
import { EndpointReply, inPluginNamespace, isJsonAnswer, roleSatisfies } from '../contracts/endpoint.js';
import type { FieldError } from '../contracts/problem.js';
import { HttpProblem } from '../contracts/problem.js';
import { isDependencyUnavailable, retryAfterSeconds } from '../storage/availability.js';
import { trackStaleness } from '../cache/staleness.js';
import { fieldErrors, validationProblem } from '../contracts/validation.js';

/** An endpoint's input before validation. */
export interface RawEndpointInput {
  params?: Record<string, unknown>;
  query?: Record<string, unknown>;
  body?: unknown;
}

/** An endpoint's answer: status, body and headers. */
export interface EndpointResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** The body's exact JSON as UTF-8, when the handler had it already (a `JsonAnswer`): the host sends it as it is. */
  json?: Buffer;
}

/**
 * An error that is the client's to retry rather than ours to fix, as the problem to answer: a database
 * that cannot be reached (down, stopped, out of connections) is 503 with `Retry-After`, never 500.
 */
export function dependencyProblem(err: unknown): HttpProblem | null {
  if (!isDependencyUnavailable(err)) return null;
  const e = err as { dependency?: unknown };
  const dependency = typeof e.dependency === 'string' ? e.dependency : 'database';
  return HttpProblem.serviceUnavailable(`the ${dependency} cannot be reached right now; cached answers are still served, try this again shortly`, retryAfterSeconds(err), {
    dependency,
  });
}

/** Who may call what without a key. */
export interface AccessPolicy {
  /** Let callers without a key use `read` endpoints. */
  openReads: boolean;
}

/** Checks the caller's role, validates every part of the input, and runs the handler. HTTP is optional. */
export async function invokeEndpoint(endpoint: AnyEndpoint, raw: RawEndpointInput, ctx: RequestContext, access: AccessPolicy): Promise<EndpointResponse> {
  if (!ctx.principal) {
    // Open reads are GETs only: anything that changes state needs a key whatever its declared role.
    if (!(endpoint.role === 'read' && endpoint.method === 'GET' && access.openReads)) {
      throw new HttpProblem({
        status: 401,
        title: 'Unauthorized',
        detail: `${endpoint.method} ${endpoint.path} needs an API key with role '${endpoint.role}' (send it as 'Authorization: Bearer <key>' or 'X-API-Key')`,
        headers: { 'WWW-Authenticate': 'Bearer realm="rfid3"' },
      });
    }
  } else if (!roleSatisfies(ctx.principal.role, endpoint.role)) {
    throw new HttpProblem({
      status: 403,
      title: 'Forbidden',
      detail: `${endpoint.method} ${endpoint.path} needs role '${endpoint.role}'; key '${ctx.principal.name}' has '${ctx.principal.role}'`,
    });
  }
  const errors: FieldError[] = [];
  // Without a schema a part is passed as it came (path parameters are strings from the URL).
  const parsed: Record<'params' | 'query' | 'body', unknown> = { params: raw.params ?? {}, query: raw.query ?? {}, body: raw.body ?? {} };
  for (const part of ['params', 'query', 'body'] as const) {
    const schema = endpoint.input?.[part];
    if (!schema) continue;
    const value = raw[part] ?? (part === 'body' ? undefined : {});
    const result = schema.safeParse(value);
    if (result.success) parsed[part] = result.data;
    else errors.push(...fieldErrors(result.error, part));
  }
  if (errors.length) throw HttpProblem.badRequest(errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
  let answer: { value: unknown; staleSeconds: number | null };
  try {
    answer = await trackStaleness(() => endpoint.handler(parsed, ctx));
  } catch (err) {
    // A library call inside the handler refused its input (`predict` with a bad query): the client's 400.
    throw dependencyProblem(err) ?? validationProblem(err) ?? err;
  }
  const { value, staleSeconds } = answer;
  const reply = value instanceof EndpointReply ? value : null;
  let body = reply ? reply.body : value;
  let json: Buffer | undefined;
  if (isJsonAnswer(body)) {
    json = body.json;
    body = body.value;
  }
  // Something in the answer came from a cache the host could not refresh: say so, and how old it is.
  if (staleSeconds !== null && typeof body === 'object' && body !== null && !Array.isArray(body)) {
    body = { ...body, stale: true, staleSeconds };
    json = undefined;
  }
  const response: EndpointResponse = reply ? { status: reply.status, body, headers: reply.headers } : { status: endpoint.successStatus ?? 200, body };
  if (json) response.json = json;
  return response;
}

/** An endpoint with the plugin that added it. */
export interface MountedEndpoint {
  pluginId: string;
  endpoint: AnyEndpoint;
  /** The plugin's declared alias prefixes: where, outside its id, its endpoints may declare aliases. */
  aliasPrefixes?: string[];
}

/** Who owns the paths outside every plugin's namespace (`/models/*`, `/health/*`, `/decisions/*` …). */
export const CORE_OWNER = 'core';

/**
 * Finds the endpoint for a method and path (relative to `/api/predictive`) and its path parameters. A
 * plugin's endpoints must lie under its id; their declared aliases answer too, and no two endpoints may
 * claim the same method and path, canonical or alias.
 */
export class EndpointTable {
  private readonly entries: { mounted: MountedEndpoint; path: string; alias: boolean; match: ReturnType<typeof match> }[] = [];
  private readonly mounted: MountedEndpoint[] = [];

  /** Adds an endpoint; throws when another plugin declared the same method and path. */
  add(mounted: MountedEndpoint): void {
    const { endpoint, pluginId } = mounted;
    if (pluginId !== CORE_OWNER && !inPluginNamespace(endpoint.path, pluginId)) {
      throw new Error(
        `endpoint ${endpoint.method} ${endpoint.path} of plugin '${pluginId}' must lie under its id: '/${pluginId}/…' (declare the old path in 'aliases' to keep it answering)`,
      );
    }
    const paths = [endpoint.path, ...(endpoint.aliases ?? [])];
    if (pluginId !== CORE_OWNER) {
      const allowed = [pluginId, ...(mounted.aliasPrefixes ?? []).map((p) => p.replace(/^\/|\/$/g, ''))];
      const stray = (endpoint.aliases ?? []).find((a) => !allowed.some((prefix) => inPluginNamespace(a, prefix)));
      if (stray) {
        throw new Error(`alias ${endpoint.method} ${stray} of plugin '${pluginId}' lies outside '/${pluginId}' and the prefixes it declares in 'aliasPrefixes'`);
      }
    }
    for (const path of paths) {
      const clash = this.entries.find((e) => e.mounted.endpoint.method === endpoint.method && e.path === path);
      if (clash || paths.indexOf(path) !== paths.lastIndexOf(path)) {
        throw new Error(`endpoint ${endpoint.method} ${path} is declared by both '${(clash?.mounted ?? mounted).pluginId}' and '${pluginId}'`);
      }
    }
    this.mounted.push(mounted);
    for (const path of paths) this.entries.push({ mounted, path, alias: path !== endpoint.path, match: match(path, { decode: decodeURIComponent }) });
  }

  /** Every mounted endpoint, in the order added. */
  all(): MountedEndpoint[] {
    return [...this.mounted];
  }

  /** The endpoint that answers a method and path, with its path parameters, or null. */
  find(method: HttpMethod, path: string): { mounted: MountedEndpoint; params: Record<string, string> } | null {
    for (const e of this.entries) {
      if (e.mounted.endpoint.method !== method) continue;
      const m = e.match(path);
      if (m) return { mounted: e.mounted, params: m.params as Record<string, string> };
    }
    return null;
  }

  /** Methods allowed on a path, for 405 answers. */
  methodsFor(path: string): HttpMethod[] {
    return this.entries.filter((e) => e.match(path)).map((e) => e.mounted.endpoint.method);
  }
}
