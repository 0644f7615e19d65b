import type { paths } from './api-types.js';

/** The host's API as the dashboard sees it: JSON in, problem+json errors turned into `ApiError`s. */
export const API_PREFIX = '/api/predictive';

type Under<P> = P extends `${typeof API_PREFIX}/${infer R}` ? R : never;
/**
 * Every path the API answers GET on, relative to `/api/predictive`, as the OpenAPI document writes it
 * (`quality/degradation/{item_id}`): the types come from `api-types.d.ts`, generated from that document.
 */
export type GetPath = { [P in keyof paths]: paths[P] extends { get: { responses: unknown } } ? Under<P> : never }[keyof paths];
/** The success body of `GET <path>`, as the endpoint declares it. */
export type Answer<R extends GetPath> = paths[`${typeof API_PREFIX}/${R}`] extends { get: { responses: { 200: { content: { 'application/json': infer B } } } } } ? B : never;
const KEY_STORAGE = 'rfid3.operateKey';

export interface Problem {
  status: number;
  title: string;
  detail?: string;
  /** Set by the host when the path belongs to a first-party plugin that is not loaded. */
  plugin?: string;
  errors?: { field: string; message: string }[];
  requestId?: string;
}

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

export const api = {
  get: <T>(path: string, query: Query = {}) => request<T>('GET', path, query, undefined, false),
  /** A GET typed by its path: the answer's type is the endpoint's declared response schema. */
  read: <R extends GetPath>(path: R, query: Query = {}) => request<Answer<R>>('GET', path, query, undefined, false),
  /** Changes need a key (approving: role approve); a 401 means it is missing, wrong or revoked. */
  post: <T>(path: string, body?: unknown, query: Query = {}) => request<T>('POST', path, query, body ?? {}, true),
};
