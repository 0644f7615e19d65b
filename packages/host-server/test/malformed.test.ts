import { request as httpRequest } from 'node:http';
import type { AnyEndpoint } from '@rfid3/core';
import { startTestHost } from '@rfid3/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST_PARTY_PLUGINS } from '../src/config.js';
import { ingestEndpoints } from '../src/ingest/endpoints.js';
import { ApiKeyStore } from '../src/keys.js';
import { loadPlugins } from '../src/plugins.js';
import type { RunningApp } from './helpers.js';
import { serve } from './helpers.js';

/** A seeded generator, so that a failure names a request that can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!, int: (n: number) => Math.floor(next() * n) };
}

const INJECTIONS = [
  "' OR '1'='1",
  '1; DROP TABLE id_transactions; --',
  '" OR ""="',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '${jndi:ldap://127.0.0.1/a}',
  '{{7*7}}',
  '%00',
  '\u0000',
  'ﾟДﾟ)ﾉ',
  '\ud800',
  '1 UNION SELECT key_hash FROM rfid3_api_keys',
  "'; SELECT SLEEP(5); --",
  '__proto__',
  'constructor',
  '-1e309',
  'NaN',
  'Infinity',
];
const WRONG_VALUES: unknown[] = [null, true, -1, 1e309 === Infinity ? 1e308 : 0, 'abc', [], {}, [1, 2, 3], { $gt: '' }, { __proto__: { admin: true } }, '9'.repeat(400), -0.5, ''];
const BAD_JSON = ['{', '{"scans": [', '{"a":1,}', "{'a': 1}", 'undefined', '\u0000\u0001', '{"a": "\\x"}', '[1, 2', '{"__proto__": ', 'nul', '\ufeff{"a"', '{"a":1}{"b":2}'];

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  label: string;
}
interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** encodeURIComponent, except that a lone surrogate (which it refuses) is sent as its raw UTF-8 bytes. */
function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80';
  }
}

/** Raw HTTP (not fetch), so that malformed paths and headers reach the server as written. */
function send(base: URL, req: Sent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const r = httpRequest(
      {
        host: base.hostname,
        port: base.port,
        method: req.method,
        path: req.path,
        headers: { ...req.headers, ...(req.body !== undefined ? { 'content-length': String(Buffer.byteLength(req.body)) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    r.on('error', (err: NodeJS.ErrnoException) => {
      // A body far over the limit may be cut off by the server after it answered 413.
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET') resolve({ status: -1, headers: {}, body: err.code });
      else reject(err);
    });
    if (req.body !== undefined) r.end(req.body);
    else r.end();
  });
}

describe('2,000 malformed requests', () => {
  let app: RunningApp;
  let adminKey: string;
  let endpoints: { prefix: string; endpoint: AnyEndpoint }[];

  beforeAll(async () => {
    const plugins = await loadPlugins(
      FIRST_PARTY_PLUGINS.map((p) => ({ package: p })),
      { baseDir: process.cwd() },
    );
    const host = await startTestHost({ plugins, simulate: { items: 150, days: 120 } });
    adminKey = (await new ApiKeyStore({ database: host.runtime.database }).create('fuzz', 'admin')).key;
    app = await serve(host.runtime, { rateLimit: { enabled: false } });
    endpoints = [
      ...host.runtime.endpoints.all().map((m) => ({ prefix: '/api/predictive', endpoint: m.endpoint })),
      ...ingestEndpoints(host.runtime).map((endpoint) => ({ prefix: '/api', endpoint })),
    ];
  }, 120_000);
  afterAll(() => app?.close());

  function generate(count: number, seed: number): Sent[] {
    const r = rng(seed);
    const out: Sent[] = [];
    const auth = () => ({ authorization: `Bearer ${adminKey}` });
    const pathOf = (e: AnyEndpoint, value: () => string) => e.path.replace(/[{}]/g, '').replace(/[:*]([A-Za-z_$][\w$]*)/g, () => enc(value()));
    const withBody = endpoints.filter((e) => e.endpoint.method !== 'GET');
    const withQuery = endpoints.filter((e) => e.endpoint.method === 'GET' && e.endpoint.input?.query);
    const withParams = endpoints.filter((e) => /[:*]/.test(e.endpoint.path));
    const kinds = [
      'bad-json',
      'wrong-types',
      'huge-body',
      'injection-params',
      'injection-query',
      'unknown-path',
      'wrong-method',
      'bad-auth',
      'wrong-content-type',
      'bad-encoding',
    ] as const;
    for (let i = 0; i < count; i++) {
      const kind = kinds[i % kinds.length]!;
      const e = r.pick(endpoints);
      switch (kind) {
        case 'bad-json': {
          const t = withBody.length ? r.pick(withBody) : e;
          out.push({
            label: kind,
            method: t.endpoint.method,
            path: t.prefix + pathOf(t.endpoint, () => 'x1'),
            headers: { ...auth(), 'content-type': 'application/json' },
            body: r.pick(BAD_JSON),
          });
          break;
        }
        case 'wrong-types': {
          const t = withBody.length && r.next() < 0.6 ? r.pick(withBody) : null;
          if (t) {
            // Every top-level field the schema might expect, with a wrong value; or the wrong top-level type.
            const shape = (t.endpoint.input?.body as { shape?: Record<string, unknown> } | undefined)?.shape ?? { value: 1 };
            const body =
              r.next() < 0.2
                ? r.pick(WRONG_VALUES.filter((v) => !(typeof v === 'object' && v !== null && !Array.isArray(v))))
                : Object.fromEntries(Object.keys(shape).map((k) => [k, r.pick(WRONG_VALUES)]));
            out.push({
              label: kind,
              method: t.endpoint.method,
              path: t.prefix + pathOf(t.endpoint, () => 'x1'),
              headers: { ...auth(), 'content-type': 'application/json' },
              body: JSON.stringify(body) ?? 'null',
            });
          } else {
            const q = withQuery.length ? r.pick(withQuery) : e;
            const keys = Object.keys((q.endpoint.input?.query as { shape?: Record<string, unknown> } | undefined)?.shape ?? { weeks: 1 });
            const numeric = ['-1', '0.5', 'abc', '1e309', '99999999999', '', 'NaN', '[]', 'true'];
            const qs = keys.map((k) => `${enc(k)}=${enc(r.pick(numeric))}&${enc(k)}=2`).join('&');
            out.push({ label: `${kind} (query)`, method: 'GET', path: `${q.prefix}${pathOf(q.endpoint, () => 'x1')}?${qs}&unknown_param[$ne]=1`, headers: {} });
          }
          break;
        }
        case 'huge-body': {
          const t = withBody.length ? r.pick(withBody) : e;
          const limit = t.prefix === '/api' ? 16 * 1024 * 1024 : 1024 * 1024;
          // Every 20th is really huge; the rest are just past the limit, cheaper to send.
          const size = i % 200 === 2 ? limit * 2 : limit + 1 + r.int(1000);
          out.push({
            label: kind,
            method: t.endpoint.method,
            path: t.prefix + pathOf(t.endpoint, () => 'x1'),
            headers: { ...auth(), 'content-type': 'application/json' },
            body: `{"x":"${'a'.repeat(size)}"}`,
          });
          break;
        }
        case 'injection-params': {
          const t = withParams.length ? r.pick(withParams) : e;
          out.push({
            label: kind,
            method: t.endpoint.method,
            path: t.prefix + pathOf(t.endpoint, () => r.pick(INJECTIONS)),
            headers: { ...auth(), ...(t.endpoint.method !== 'GET' ? { 'content-type': 'application/json' } : {}) },
            ...(t.endpoint.method !== 'GET' ? { body: JSON.stringify({ note: r.pick(INJECTIONS) }) } : {}),
          });
          break;
        }
        case 'injection-query': {
          const q = withQuery.length ? r.pick(withQuery) : e;
          const keys = Object.keys((q.endpoint.input?.query as { shape?: Record<string, unknown> } | undefined)?.shape ?? { category: 1 });
          // A number-typed field gets the injection, so the request is malformed whatever else it says.
          const qs = keys.map((k) => `${enc(k)}=${enc(r.pick(INJECTIONS))}`).join('&');
          out.push({
            label: kind,
            method: 'GET',
            path: `${q.prefix}${pathOf(q.endpoint, () => r.pick(INJECTIONS))}?${qs}&weeks=${enc(r.pick(INJECTIONS))}&days=${enc(r.pick(INJECTIONS))}`,
            headers: {},
          });
          break;
        }
        case 'unknown-path': {
          const segs = ['maintenance', 'quality', 'pricing', 'inventory', 'packs', 'demand', 'nope', 'admin', '..', '%2e%2e', 'wp-admin', '.env', 'api', 'predictive'];
          const depth = 1 + r.int(4);
          const path = `/${r.pick(['api/predictive', 'api', 'api/ingest', 'metrics', ''])}/${Array.from({ length: depth }, () => r.pick(segs) + (r.next() < 0.5 ? `-${r.int(1000)}` : '')).join('/')}`;
          out.push({ label: kind, method: r.pick(['GET', 'POST', 'DELETE']), path: path.replace(/\/+/g, '/'), headers: auth() });
          break;
        }
        case 'wrong-method': {
          const t = r.pick(endpoints);
          const method = r.pick(
            ['PUT', 'PATCH', 'DELETE', 'POST', 'GET'].filter(
              (m) => m !== t.endpoint.method && !endpoints.some((o) => o.endpoint.path === t.endpoint.path && o.endpoint.method === m),
            ),
          );
          out.push({ label: kind, method, path: t.prefix + pathOf(t.endpoint, () => 'x1'), headers: auth() });
          break;
        }
        case 'bad-auth': {
          const t = r.pick(endpoints);
          const header: Record<string, string> = r.pick<Record<string, string>>([
            { authorization: 'Bearer' },
            { authorization: 'Basic Zm9vOmJhcg==' },
            { authorization: `Bearer ${r.pick(INJECTIONS).replace(/[^\x21-\x7e]/g, 'x')}` },
            { 'x-api-key': 'rfid3_not_a_key' },
            { authorization: 'Bearer a b c' },
          ]);
          out.push({
            label: kind,
            method: t.endpoint.method,
            path: t.prefix + pathOf(t.endpoint, () => 'x1'),
            headers: { ...header, 'content-type': 'application/json' },
            ...(t.endpoint.method !== 'GET' ? { body: '{}' } : {}),
          });
          break;
        }
        case 'wrong-content-type': {
          const t = withBody.length ? r.pick(withBody) : e;
          out.push({
            label: kind,
            method: t.endpoint.method,
            path: t.prefix + pathOf(t.endpoint, () => 'x1'),
            headers: { ...auth(), 'content-type': r.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) },
            body: 'a=1&b=<x/>',
          });
          break;
        }
        case 'bad-encoding': {
          const t = withParams.length ? r.pick(withParams) : e;
          const bad = r.pick(['%E0%A4%A', '%', '%zz', '%C0%AF', '%ED%A0%80', '%FF']);
          out.push({
            label: kind,
            method: t.endpoint.method,
            path: t.prefix + t.endpoint.path.replace(/[{}]/g, '').replace(/[:*]([A-Za-z_$][\w$]*)/g, bad) + (r.next() < 0.5 ? `?weeks=${bad}` : ''),
            headers: auth(),
          });
          break;
        }
      }
    }
    return out;
  }

  it('answers every one with a 4xx problem, never a 5xx, never a stack trace', async () => {
    const requests = generate(2000, 20260601);
    expect(requests).toHaveLength(2000);
    expect(new Set(requests.map((r) => r.label.split(' ')[0])).size).toBe(10);
    const base = new URL(app.url);
    const failures: string[] = [];
    const byStatus = new Map<number, number>();
    // A few at a time, as clients would send them.
    for (let i = 0; i < requests.length; i += 8) {
      const batch = requests.slice(i, i + 8);
      const answers = await Promise.all(batch.map((req) => send(base, req)));
      answers.forEach((a, j) => {
        const req = batch[j]!;
        byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
        if (a.status === -1) return; // the server cut an over-limit upload short, after answering
        const where = `#${i + j} ${req.label}: ${req.method} ${req.path.slice(0, 120)} → ${a.status} ${a.body.slice(0, 200)}`;
        if (a.status < 400 || a.status >= 500) failures.push(where);
        else if (a.status !== 431 && !String(a.headers['content-type']).startsWith('application/problem+json')) failures.push(`not problem+json: ${where}`);
        else if (/\n\s+at\s|node_modules|\.ts:\d+/.test(a.body)) failures.push(`stack trace: ${where}`);
        else if (a.status !== 431 && !a.headers['x-request-id']) failures.push(`no request id: ${where}`);
      });
    }
    expect(failures, failures.slice(0, 15).join('\n')).toEqual([]);
    // Each kind of mistake met the check meant for it.
    for (const status of [400, 401, 404, 405, 413, 415]) expect(byStatus.get(status) ?? 0, `answers with ${status}`).toBeGreaterThan(20);
    if (process.env.RFID3_PRINT_STATUSES) console.log(Object.fromEntries(byStatus));
    // Cut-off uploads are the really huge bodies only.
    expect(byStatus.get(-1) ?? 0).toBeLessThanOrEqual(15);
    // Nothing the requests said reached the tables.
    const scans = await app.runtime.database.db
      .selectFrom('id_transactions')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(scans.n)).toBeGreaterThan(0);
    expect(await app.runtime.database.db.selectFrom('id_transactions').select('tag_id').where('tag_id', 'like', '%script%').execute()).toEqual([]);
  }, 180_000);
});
