import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createDatabase,
  createRuntime,
  dependencyProblem,
  defineEndpoint,
  definePlugin,
  definePredictor,
  HttpProblem,
  isDependencyUnavailable,
  ModelRegistry,
  coreMigrations,
  coreServices,
  migrate,
  silentLogger,
  systemClock,
  type Runtime,
} from '../src/index.js';
import { externalServices } from '../src/testing/index.js';
import { TcpProxy } from './support/tcp-proxy.js';

const services = await externalServices();
afterAll(() => services.cleanup());

/** The toy's data version, part of its cache keys as new scans would bump it (demand's per-series data versions). */
let toyDataVersion = 0;

/** A plugin with one cached predictor (its version from the registry) and one endpoint that always reads the database. */
const toyPlugin = definePlugin({
  id: 'toy',
  version: '1.0.0',
  coreRange: '*',
  requires: { registry: coreServices.modelRegistry, predictions: coreServices.predictions, database: coreServices.database },
  register({ deps, predictor, endpoint }) {
    predictor(
      definePredictor({
        id: 'toy.level',
        description: 'the number of registered models, as a forecast',
        querySchema: z.object({ weeks: z.number().int() }).transform((q) => ({ ...q, dataVersion: toyDataVersion })),
        staleFallbackKey: ({ dataVersion: _, ...q }) => q,
        modelVersion: async () => (await deps.registry.getActive('toy'))?.versionTag ?? 'none',
        predict: async (q) => {
          const n = await deps.database.db
            .selectFrom('rfid3_model_registry')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow();
          return [
            {
              predictionType: 'toy.level',
              target: { type: 'all', id: 'all' },
              value: Number(n.n) * q.weeks,
              confidence: 0.8,
              model: { name: 'toy', version: 'toy@1', type: 'toy' },
              source: 'model',
              drivers: [],
            },
          ];
        },
        cacheTtlSeconds: 3600,
      }),
    );
    endpoint(
      defineEndpoint({
        method: 'GET',
        path: '/toy/forecast',
        summary: 'cached',
        role: 'read',
        input: { query: z.object({ weeks: z.coerce.number().int() }) },
        handler: async ({ query }) => {
          const a = await deps.predictions.predict('toy.level', { weeks: query.weeks });
          return { value: a.predictions[0]!.value, modelVersion: a.modelVersion, cached: a.cached };
        },
      }),
      defineEndpoint({
        method: 'GET',
        path: '/toy/count',
        summary: 'needs the database',
        role: 'read',
        handler: async () =>
          deps.database.db
            .selectFrom('rfid3_model_registry')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow(),
      }),
    );
  },
});

/** Calls an endpoint and gives its status, body and headers, a problem included. */
async function call(runtime: Runtime, path: string) {
  try {
    const r = await runtime.call('GET', path);
    return { status: r.status, body: r.body as Record<string, unknown>, headers: r.headers ?? {} };
  } catch (err) {
    if (!(err instanceof HttpProblem)) throw err;
    return { status: err.status, body: err.toBody(), headers: err.headers };
  }
}

async function until<T>(what: string, check: () => Promise<T | null>, ms: number): Promise<{ value: T; waitedMs: number }> {
  const t0 = performance.now();
  for (;;) {
    const value = await check();
    if (value !== null) return { value, waitedMs: performance.now() - t0 };
    if (performance.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!services.mysqlUrl)('MariaDB away (through a loopback proxy that can cut or freeze it; skipped without MYSQL_URL)', () => {
  const target = () => {
    const u = new URL(services.mysqlUrl!);
    return { host: u.hostname, port: Number(u.port || 3306) };
  };
  const through = (proxy: TcpProxy, params = '') => {
    const u = new URL(services.mysqlUrl!);
    u.host = `127.0.0.1:${proxy.port}`;
    return `${u.toString()}${params}`;
  };

  it('serves cached predictions as stale with their age, answers 503 with Retry-After for the rest, and recovers without a restart', async () => {
    const proxy = new TcpProxy(target());
    await proxy.start();
    const runtime = await createRuntime({ config: { databaseUrl: through(proxy) }, logger: silentLogger(), plugins: [toyPlugin] });
    try {
      await runtime.registry.register({ modelName: 'toy', modelType: 'toy', artifact: {}, validation: { metric: 'mae', value: 1 } });
      const fresh = await call(runtime, '/toy/forecast?weeks=2');
      expect(fresh.status).toBe(200);
      expect(fresh.body.stale).toBeUndefined();
      expect((await call(runtime, '/health/system-status')).status).toBe(200);

      await proxy.cut();
      const status = await until(
        'system-status says 503',
        async () => {
          const s = await call(runtime, '/health/system-status');
          return s.status === 503 ? s : null;
        },
        5_000,
      );
      expect(status.value.headers['Retry-After']).toMatch(/^\d+$/);
      expect(status.value.body.status).toBe('down');

      const cached = await call(runtime, '/toy/forecast?weeks=2');
      expect(cached.status).toBe(200);
      expect(cached.body).toMatchObject({ value: fresh.body.value, stale: true });
      expect(cached.body.staleSeconds).toEqual(expect.any(Number));
      // New data bumped the version just before the outage: nothing is cached under the new key, and the last
      // answer to the same question is served, flagged stale, rather than a 503.
      toyDataVersion++;
      const afterNewData = await call(runtime, '/toy/forecast?weeks=2');
      expect(afterNewData.status).toBe(200);
      expect(afterNewData.body).toMatchObject({ value: fresh.body.value, stale: true });

      const needsDb = await call(runtime, '/toy/count');
      expect(needsDb.status).toBe(503);
      expect(Number(needsDb.headers['Retry-After'])).toBeGreaterThan(0);
      // A query never cached needs the database too: 503, not 500.
      expect((await call(runtime, '/toy/forecast?weeks=3')).status).toBe(503);

      await proxy.restore();
      const back = await until('the database answers again', async () => ((await call(runtime, '/toy/count')).status === 200 ? true : null), 5_000);
      expect(back.waitedMs).toBeLessThan(5_000);
      const after = await call(runtime, '/toy/forecast?weeks=2');
      expect(after.status).toBe(200);
      expect(after.body.stale).toBeUndefined();
      expect((await call(runtime, '/health/system-status')).status).toBe(200);
    } finally {
      await runtime.close();
      await proxy.close();
    }
  }, 30_000);

  it('a stopped server (connections open, nothing answers) is noticed by the probe: requests get 503 within seconds, not after the query timeout', async () => {
    const proxy = new TcpProxy(target());
    await proxy.start();
    const runtime = await createRuntime({ config: { databaseUrl: through(proxy, '?queryTimeout=20000') }, logger: silentLogger(), plugins: [toyPlugin] });
    try {
      await runtime.registry.register({ modelName: 'toy', modelType: 'toy', artifact: {}, validation: { metric: 'mae', value: 1 } });
      expect((await call(runtime, '/toy/forecast?weeks=2')).status).toBe(200);
      proxy.freeze();
      await until('the probe marks the database down', async () => (runtime.database.availability!.available ? null : true), 6_000);
      const t0 = performance.now();
      const needsDb = await call(runtime, '/toy/count');
      expect(needsDb.status).toBe(503);
      expect(performance.now() - t0).toBeLessThan(1_000);
      const cached = await call(runtime, '/toy/forecast?weeks=2');
      expect(cached).toMatchObject({ status: 200, body: { stale: true } });
      proxy.restore();
      await until('the database answers again', async () => ((await call(runtime, '/toy/count')).status === 200 ? true : null), 5_000);
    } finally {
      await runtime.close();
      await proxy.close();
    }
  }, 30_000);

  it('the registry keeps serving the active version it knows while the database is away, and errors that are not outages still throw', async () => {
    const proxy = new TcpProxy(target());
    await proxy.start();
    const handle = createDatabase(through(proxy));
    try {
      await migrate(handle, 'core', coreMigrations);
      const registry = new ModelRegistry({ database: handle, clock: systemClock, activeTtlMs: 0 });
      await registry.register({ modelName: 'toy-r', modelType: 'toy', artifact: { a: 1 }, validation: { metric: 'mae', value: 1 } });
      const known = await registry.getActive('toy-r');
      await proxy.cut();
      expect((await registry.getActive('toy-r'))?.versionTag).toBe(known!.versionTag);
      // A model this process never saw cannot be made up.
      const unknown = await registry.getActive('never-seen').catch((e: unknown) => e);
      expect(isDependencyUnavailable(unknown)).toBe(true);
      await proxy.restore();
      await until('the database answers again', async () => ((await handle.availability!.available) ? true : null), 5_000);
      const refused = await handle.db
        .selectFrom('no_such_table' as never)
        .selectAll()
        .execute()
        .catch((e: unknown) => e);
      expect(isDependencyUnavailable(refused)).toBe(false);
    } finally {
      await handle.close();
      await proxy.close();
    }
  }, 30_000);
});

describe('which errors mean "the database is away"', () => {
  it('recognises the driver errors of an unreachable server (mysql2 and SQLite busy) and maps them to 503 with Retry-After', () => {
    const err = (props: Record<string, unknown>) => Object.assign(new Error('x'), props);
    for (const e of [
      err({ code: 'ECONNREFUSED' }),
      err({ code: 'PROTOCOL_CONNECTION_LOST', fatal: true }),
      err({ code: 'ETIMEDOUT' }),
      err({ code: 'ER_CON_COUNT_ERROR', errno: 1040 }),
      err({ code: 'SQLITE_BUSY' }),
      new Error('wrapped', { cause: err({ code: 'ECONNRESET' }) }),
    ]) {
      expect(isDependencyUnavailable(e)).toBe(true);
      const problem = dependencyProblem(e)!;
      expect(problem.status).toBe(503);
      expect(Number(problem.headers['Retry-After'])).toBeGreaterThan(0);
    }
    for (const e of [err({ code: 'ER_DUP_ENTRY', errno: 1062 }), err({ code: 'ER_NO_SUCH_TABLE', errno: 1146 }), err({ code: 'SQLITE_CONSTRAINT_UNIQUE' }), new Error('plain')]) {
      expect(isDependencyUnavailable(e)).toBe(false);
      expect(dependencyProblem(e)).toBeNull();
    }
  });
});
