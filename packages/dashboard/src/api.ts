import type { aliases, components, paths } from './api-types.js';

/** The host's API as the dashboard sees it: JSON in, problem+json errors turned into `ApiError`s. */
export const API_PREFIX = '/api/predictive';

type Under<P> = P extends `${typeof API_PREFIX}/${infer R}` ? R : never;
type Method = 'get' | 'post';
/** The document's paths but the design's aliases (`inventory/…`, `packs/…`): the dashboard calls the canonical ones. */
type Canonical = Exclude<keyof paths, keyof aliases>;
/** The canonical paths, relative to `/api/predictive`, that answer `M`, as the OpenAPI document writes them (`quality/degradation/{item_id}`). */
type PathsOf<M extends Method> = { [P in Canonical]: paths[P] extends { [K in M]: { responses: unknown } } ? Under<P> : never }[Canonical];
/**
 * Every canonical path the API answers GET on, relative to `/api/predictive`, as the OpenAPI document writes it
 * (`quality/degradation/{item_id}`): the types come from `api-types.d.ts`, generated from that document.
 */
export type GetPath = PathsOf<'get'>;
/** Every canonical path the API answers POST on, relative to `/api/predictive` (`decisions/{id}/approve`). */
export type PostPath = PathsOf<'post'>;
type Operation<R extends string, M extends Method> = paths[`${typeof API_PREFIX}/${R}` & keyof paths][M];
/** The JSON body of the first 2xx response an operation declares (`undefined` for a 204 without one). */
type Success<O> = O extends { responses: infer S }
  ? S extends { 200: { content: { 'application/json': infer B } } }
    ? B
    : S extends { 201: { content: { 'application/json': infer B } } }
      ? B
      : S extends { 202: { content: { 'application/json': infer B } } }
        ? B
        : undefined
  : never;
/** The success body of `GET <path>`, as the endpoint declares it. */
export type Answer<R extends GetPath> = Success<Operation<R, 'get'>>;
/** The success body of `POST <path>`, as the endpoint declares it. */
export type PostAnswer<R extends PostPath> = Success<Operation<R, 'post'>>;
/** The JSON request body `POST <path>` takes (`Record<string, never>` when it declares none: an empty object is sent). */
export type PostBody<R extends PostPath> = Operation<R, 'post'> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : Record<string, never>;
/**
 * The query an operation declares, by name: a value is its declared type or the text a URL carries (the host
 * coerces it), so a view can pass what its own hash query holds.
 */
type QueryOf<O> = O extends { parameters: { query?: infer Q } } ? ([Q] extends [undefined] ? Record<string, never> : { [K in keyof Q]?: Q[K] | string }) : never;
/** The `{name}` parameters of a path, each a string or number, when it has any. */
type PathParams<O> = O extends { parameters: { path: infer P } } ? { [K in keyof P]: string | number } : never;
/** The `{…}` parameters of a POST path, as a one-element list, or none. */
type PostParams<R extends PostPath> = [PathParams<Operation<R, 'post'>>] extends [never] ? [] : [params: PathParams<Operation<R, 'post'>>];
/** What a call passes after the path: the path's parameters first when it has any, then the query. */
type Args<O> = [PathParams<O>] extends [never] ? [query?: QueryOf<O>] : [params: PathParams<O>, query?: QueryOf<O>];

/** What `api.read(path, …)` takes after the path: the path's `{…}` parameters when it has any, then its query. */
export type ReadArgs<R extends GetPath> = Args<Operation<R, 'get'>>;

/** `quality/degradation/{item_id}` with `{ item_id: 'T 1' }` → `quality/degradation/T%201`. */
export function fillPath(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === '') throw new Error(`${template}: no value for {${name}}`);
    return encodeURIComponent(String(value));
  });
}

/** Splits a call's arguments after the path: `(params, query)` when the path has `{…}` parameters, else `(query)`. */
function splitArgs(template: string, args: unknown[]): { path: string; query: Query } {
  if (!template.includes('{')) return { path: template, query: (args[0] ?? {}) as Query };
  return { path: fillPath(template, args[0] as Record<string, string | number>), query: (args[1] ?? {}) as Query };
}

const KEY_STORAGE = 'rfid3.operateKey';

/**
 * A problem as the dashboard shows it: the document's `Problem` (problem+json) without its `type` and `instance`;
 * `status` 0 when the server could not be reached. `plugin` is set by the host when the path belongs to a
 * first-party plugin that is not loaded.
 */
export type Problem = Pick<components['schemas']['Problem'], 'status' | 'title' | 'detail' | 'plugin' | 'requestId' | 'errors'>;

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.name = 'ApiError';
  }
}

export type Query = Record<string, string | number | undefined>;

/** Every successful answer is offered to these (the class-name catalog learns names from whatever passes by). */
const answerListeners: ((path: string, body: unknown) => void)[] = [];
export const onAnswer = (listener: (path: string, body: unknown) => void): void => void answerListeners.push(listener);

export function apiUrl(path: string, query: Query = {}): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return `${API_PREFIX}/${path.replace(/^\//, '')}${s ? `?${s}` : ''}`;
}

/** The operate key lives in sessionStorage: entered once, gone when the browser session ends. */
export const operateKey = {
  get(): string | null {
    try {
      return sessionStorage.getItem(KEY_STORAGE);
    } catch {
      return null;
    }
  },
  set(key: string): void {
    sessionStorage.setItem(KEY_STORAGE, key.trim());
  },
  clear(): void {
    sessionStorage.removeItem(KEY_STORAGE);
  },
};

async function request<T>(method: string, path: string, query: Query, body: unknown, withKey: boolean): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const key = withKey ? operateKey.get() : null;
  if (key) headers.authorization = `Bearer ${key}`;
  let res: Response;
  try {
    res = await fetch(apiUrl(path, query), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError({ status: 0, title: 'Cannot reach the server', detail: err instanceof Error ? err.message : String(err) });
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const p = (parsed ?? {}) as Partial<Problem>;
    throw new ApiError({
      status: res.status,
      title: typeof p.title === 'string' ? p.title : `HTTP ${res.status}`,
      detail: typeof p.detail === 'string' ? p.detail : undefined,
      plugin: typeof p.plugin === 'string' ? p.plugin : undefined,
      errors: Array.isArray(p.errors) ? p.errors : undefined,
      requestId: typeof p.requestId === 'string' ? p.requestId : undefined,
    });
  }
  for (const listener of answerListeners) listener(path, parsed);
  return parsed as T;
}

/**
 * The API, typed by the host's OpenAPI document: the path is one it declares (the canonical one, not an alias), its
 * `{…}` parameters and query are the declared ones, and the answer is the endpoint's response schema.
 */
export const api = {
  /** `GET <path>`: `api.read('maintenance/schedule', { days: 30 })`, `api.read('quality/degradation/{item_id}', { item_id }, { rentals: 5 })`. */
  read: <R extends GetPath>(path: R, ...args: ReadArgs<R>): Promise<Answer<R>> => {
    const call = splitArgs(path, args);
    return request<Answer<R>>('GET', call.path, call.query, undefined, false);
  },
  /**
   * `POST <path>` with its declared body: `api.write('decisions/{id}/reject', { id }, { reason })`. Changes need a key
   * (approving: role approve); a 401 means it is missing, wrong or revoked.
   */
  write: <R extends PostPath>(path: R, ...args: [...params: PostParams<R>, body: PostBody<R>]): Promise<PostAnswer<R>> => {
    const body = args[args.length - 1];
    const call = splitArgs(path, args.slice(0, -1));
    return request<PostAnswer<R>>('POST', call.path, call.query, body ?? {}, true);
  },
};
