import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { AnyEndpoint, Runtime } from '@rfid3/core';
import { CORE_VERSION } from '@rfid3/core';
import { z } from 'zod';
import type { ZodType } from 'zod';
import pkg from '../package.json' with { type: 'json' };
import { ingestEndpoints } from './ingest/endpoints.js';

/** The OpenAPI 3.1 document the host serves. */
export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;
type OperationDoc = Record<string, unknown> & { parameters?: Record<string, unknown>[] };

/** Where the runtime's endpoints are mounted. */
export const API_PREFIX = '/api/predictive';
/** Where the host's own endpoints (ingestion) are mounted. */
const HOST_PREFIX = '/api';

const SECURED: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKeyHeader: [] }];

/** `/maintenance/probability/:item_id` → `/maintenance/probability/{item_id}` (path-to-regexp v8 → OpenAPI). */
export function toOpenApiPath(path: string): string {
  // Optional groups `{…}` cannot be said in OpenAPI; the document shows the full form.
  return path.replace(/[{}]/g, '').replace(/[:*]([A-Za-z_$][\w$]*)/g, '{$1}');
}

function pathParamNames(openApiPath: string): string[] {
  return [...openApiPath.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
}

function operationId(endpoint: AnyEndpoint, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((seg) => (seg.startsWith(':') || seg.startsWith('*') ? `by-${seg.slice(1)}` : seg))
    .join('-')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return endpoint.method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

const problemRef = (name: string) => ({ $ref: `#/components/responses/${name}` });

/** The body schema as served: an object answer may carry `stale`/`staleSeconds` when part of it came from a cache the host could not refresh. */
function servedOutput(output: ZodType): ZodType {
  return output instanceof z.ZodObject
    ? output.extend({
        stale: z.boolean().optional().describe('set when part of the answer came from a cache the host could not refresh'),
        staleSeconds: z.number().optional().describe('how old that cached part is'),
      })
    : output;
}

function routeFor(endpoint: AnyEndpoint, pluginId: string, openReads: boolean, withSchemas: boolean, prefix = API_PREFIX, alias?: string): RouteConfig {
  const path = `${prefix}${toOpenApiPath(alias ?? endpoint.path)}`;
  const open = endpoint.role === 'read' && openReads && endpoint.method === 'GET';
  const input = withSchemas ? endpoint.input : undefined;
  const success = String(endpoint.successStatus ?? 200);
  const responses: RouteConfig['responses'] = {
    [success]:
      success === '204'
        ? { description: 'Done; no content' }
        : {
            description: 'Success',
            content: { 'application/json': { schema: withSchemas && endpoint.output ? servedOutput(endpoint.output) : { type: 'object' } } },
          },
    '400': problemRef('BadRequest'),
    '401': problemRef('Unauthorized'),
    ...(endpoint.role !== 'read' ? { '403': problemRef('Forbidden') } : {}),
    '404': problemRef('NotFound'),
    '413': problemRef('TooLarge'),
    '429': problemRef('TooManyRequests'),
    '500': problemRef('InternalError'),
  };
  const route: RouteConfig = {
    method: endpoint.method.toLowerCase() as RouteConfig['method'],
    path,
    operationId: `${operationId(endpoint, alias ?? endpoint.path)}${alias ? 'Alias' : ''}`,
    summary: endpoint.summary,
    ...(endpoint.description || alias
      ? {
          description: [alias ? `Alias of \`${prefix}${toOpenApiPath(endpoint.path)}\` (the design's path), answering exactly as it does.` : '', endpoint.description ?? '']
            .filter(Boolean)
            .join('\n\n'),
        }
      : {}),
    ...(alias ? { 'x-alias-of': `${prefix}${toOpenApiPath(endpoint.path)}` } : {}),
    tags: [pluginId],
    'x-required-role': endpoint.role,
    security: open ? [] : SECURED,
    responses,
  };
  const request: NonNullable<RouteConfig['request']> = {};
  if (input?.params) request.params = input.params as NonNullable<RouteConfig['request']>['params'];
  if (input?.query) request.query = input.query as NonNullable<RouteConfig['request']>['query'];
  if (input?.body) {
    const body = input.body as ZodType;
    request.body = { required: !body.safeParse(undefined).success, content: { 'application/json': { schema: body } } };
  }
  if (Object.keys(request).length) route.request = request;
  return route;
}

function generate(routes: RouteConfig[]): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  for (const r of routes) registry.registerPath(r);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({ openapi: '3.1.0', info: { title: '', version: '' } });
}

const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    requestId: { type: 'string' },
    plugin: { type: 'string', description: 'on a 404 under a path a first-party plugin serves: its package, which is not loaded' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string', examples: ['query.weeks'] }, message: { type: 'string' } },
      },
    },
  },
};

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/**
 * The OpenAPI 3.1 document of every endpoint the runtime serves, generated from the endpoints' zod
 * schemas. Each endpoint is rendered on its own, so one schema that cannot be expressed costs that
 * endpoint its schema, not the whole document.
 */
export function buildOpenApiDocument(
  runtime: Runtime,
  options: { openReads?: boolean /** The host's own endpoints, mounted under `/api`. */; hostEndpoints?: AnyEndpoint[] } = {},
): OpenApiDocument {
  const openReads = options.openReads ?? runtime.access.openReads;
  const paths: Record<string, Record<string, OperationDoc>> = {};
  const schemas: Record<string, unknown> = {};
  const all = [
    ...runtime.endpoints.all().map((m) => ({ ...m, prefix: API_PREFIX })),
    ...(options.hostEndpoints ?? []).map((endpoint) => ({ endpoint, pluginId: 'host', prefix: HOST_PREFIX })),
  ];
  const mounts = all.flatMap((m) => [{ ...m, alias: undefined as string | undefined }, ...(m.endpoint.aliases ?? []).map((alias) => ({ ...m, alias }))]);
  for (const { endpoint, pluginId, prefix, alias } of mounts) {
    let doc: OpenApiDocument;
    try {
      doc = generate([routeFor(endpoint, pluginId, openReads, true, prefix, alias)]);
    } catch (err) {
      const route = routeFor(endpoint, pluginId, openReads, false, prefix, alias);
      route.description = `${endpoint.description ? `${endpoint.description}\n\n` : ''}(Input and output schemas could not be rendered: ${err instanceof Error ? err.message : String(err)})`;
      doc = generate([route]);
    }
    Object.assign(schemas, doc.components?.schemas ?? {});
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      const ops = (paths[path] ??= {});
      for (const [method, op] of Object.entries(item as Record<string, OperationDoc>)) {
        // Every `{name}` in the path needs a parameter, even when the endpoint declared no params schema.
        const declared = new Set((op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name));
        const missing = pathParamNames(path).filter((n) => !declared.has(n));
        if (missing.length) {
          op.parameters = [...(op.parameters ?? []), ...missing.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }))];
        }
        ops[method] = op;
      }
    }
  }
  paths['/metrics'] = {
    get: {
      operationId: 'getMetrics',
      summary: 'Prometheus metrics of this process (request latency by route, cache, predictions, jobs)',
      tags: ['host'],
      security: [],
      responses: {
        '200': { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } },
      },
    },
  };
  const plugins = runtime.plugins.map((p) => `${p.id} ${p.version}`).join(', ') || 'none';
  return {
    openapi: '3.1.0',
    info: {
      title: 'RFID3 Predictive API',
      version: pkg.version,
      description: `Served by @rfid3/host-server ${pkg.version} on @rfid3/core ${CORE_VERSION}. Plugins: ${plugins}. Send an API key as \`Authorization: Bearer <key>\` or \`X-API-Key: <key>\`; \`x-required-role\` names the least role (read < operate < admin) each operation needs.`,
    },
    security: SECURED,
    paths,
    components: {
      schemas: { ...schemas, Problem: problemSchema },
      responses: {
        BadRequest: problemResponse('Invalid input; `errors` names each bad field'),
        Unauthorized: problemResponse('No API key, or the key is unknown or revoked'),
        Forbidden: problemResponse("The key's role is below the one required"),
        NotFound: problemResponse('Nothing found'),
        TooLarge: problemResponse('The request body is larger than the limit'),
        TooManyRequests: problemResponse('Rate limit reached; `Retry-After` says how many seconds to wait'),
        InternalError: problemResponse('Unexpected error; quote the request id when reporting it'),
      },
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key from `rfid3 keys create`' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key from `rfid3 keys create`' },
      },
    },
  } as OpenApiDocument;
}

/** The document `GET /api/openapi.json` serves: the runtime's endpoints and the host's own (ingestion). */
export function hostOpenApiDocument(runtime: Runtime, options: { openReads?: boolean } = {}): OpenApiDocument {
  return buildOpenApiDocument(runtime, { ...options, hostEndpoints: ingestEndpoints(runtime) });
}
