import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CORE_VERSION,
  HttpProblem,
  PluginLoadError,
  coreServices,
  createRuntime,
  createServiceRef,
  FeatureStore,
  inject,
  injectable,
  defineEndpoint,
  definePlugin,
  definePredictor,
  silentLogger,
  type AnyPlugin,
  type PluginEntry,
  type Prediction,
  type Principal,
  type Runtime,
  type RuntimeOptions,
  ValidationError,
} from '../src/index.js';
import { countRows } from './support/targets.js';

const runtimes: Runtime[] = [];
afterEach(async () => {
  for (const r of runtimes.splice(0)) await r.close();
});

async function start(plugins: (AnyPlugin | PluginEntry)[], options: Omit<RuntimeOptions, 'plugins'> = {}): Promise<Runtime> {
  const runtime = await createRuntime({ logger: silentLogger(), ...options, plugins });
  runtimes.push(runtime);
  return runtime;
}

/** The error createRuntime rejects with (it must be a PluginLoadError). */
async function loadError(plugins: (AnyPlugin | PluginEntry)[]): Promise<PluginLoadError> {
  const err = await start(plugins).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PluginLoadError);
  return err as PluginLoadError;
}

async function problem(promise: Promise<unknown>): Promise<HttpProblem> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HttpProblem);
  return err as HttpProblem;
}

const plain = (id: string, over: Partial<Parameters<typeof definePlugin>[0]> = {}) => definePlugin({ id, version: '1.0.0', coreRange: `^${CORE_VERSION}`, register() {}, ...over });

const principal = (role: Principal['role']): Principal => ({ keyId: `k-${role}`, name: `${role} key`, role });

describe('plugin checks at load time', () => {
  it('refuses a value that was not made by definePlugin, naming it and where it came from', async () => {
    const fake = { id: 'acme-weather', version: '1.0.0', coreRange: '*', register() {} };
    const err = await loadError([{ plugin: fake, source: '@acme/rfid3-weather' }]);
    expect(err.pluginId).toBe('acme-weather');
    expect(err.message).toMatch(/^plugin 'acme-weather' \(from @acme\/rfid3-weather\): is not an RFID3 plugin/);
    expect(err.message).toContain('definePlugin()');
  });

  it('refuses a plugin whose core range this core does not satisfy, naming both versions', async () => {
    const err = await loadError([plain('pricing', { coreRange: '^9.0.0' })]);
    expect(err.message).toContain("plugin 'pricing'");
    expect(err.message).toContain('^9.0.0');
    expect(err.message).toContain(`@rfid3/core ${CORE_VERSION}`);
    const bad = await loadError([plain('pricing', { coreRange: 'banana' })]);
    expect(bad.message).toContain("coreRange 'banana' is not a valid semver range");
  });

  it('refuses two plugins with the same id', async () => {
    const err = await loadError([
      { plugin: plain('demand'), source: '@rfid3/plugin-demand' },
      { plugin: plain('demand'), source: './my-demand.js' },
    ]);
    expect(err.message).toBe("plugin 'demand' (from ./my-demand.js): duplicate plugin id: already loaded from @rfid3/plugin-demand");
  });

  it('refuses a config that fails the plugin’s schema, naming the field; fills defaults otherwise', async () => {
    const configSchema = z.object({ horizonDays: z.number().int().max(56).default(28), store: z.string().default('all') });
    let received: unknown;
    const make = () =>
      definePlugin({
        id: 'demand',
        version: '1.0.0',
        coreRange: '*',
        configSchema,
        register(env) {
          received = env.config;
        },
      });
    const err = await loadError([{ plugin: make(), config: { horizonDays: 100 } }]);
    expect(err.message).toMatch(/^plugin 'demand': invalid config: config\.horizonDays: /);
    await start([{ plugin: make(), config: { store: '3607' } }]);
    expect(received).toEqual({ horizonDays: 28, store: '3607' });
  });

  it('refuses a plugin that requires a service nobody provides, naming the service', async () => {
    const weather = createServiceRef<{ temp(): number }>('acme.weather');
    const err = await loadError([plain('demand', { requires: { weather } })]);
    expect(err.message).toBe("plugin 'demand': requires service 'acme.weather', which neither core nor any loaded plugin provides");
  });

  it('loads a provider listed after its consumer first, and hands the consumer the provided value', async () => {
    const forecaster = createServiceRef<{ weeks: number }>('demand.forecaster');
    const order: string[] = [];
    let got: unknown;
    const consumer = definePlugin({
      id: 'restock',
      version: '1.0.0',
      coreRange: '*',
      requires: { forecaster, db: coreServices.database },
      register(env) {
        order.push('restock');
        got = env.deps.forecaster;
        expect(env.deps.db.dialect).toBe('sqlite');
      },
    });
    const provider = definePlugin({
      id: 'demand',
      version: '1.0.0',
      coreRange: '*',
      provides: [forecaster],
      register(env) {
        order.push('demand');
        env.provide(forecaster, { weeks: 8 });
      },
    });
    const runtime = await start([consumer, provider]);
    expect(order).toEqual(['demand', 'restock']);
    expect(got).toEqual({ weeks: 8 });
    expect(runtime.plugins.map((p) => p.id)).toEqual(['demand', 'restock']);
    expect(runtime.get(forecaster)).toEqual({ weeks: 8 });
  });

  it('refuses a dependency cycle, naming the plugins in it', async () => {
    const a = createServiceRef<number>('cycle.a');
    const b = createServiceRef<number>('cycle.b');
    const err = await loadError([plain('alpha', { requires: { b }, provides: [a] }), plain('beta', { requires: { a }, provides: [b] })]);
    expect(err.message).toMatch(/dependency cycle: alpha → beta → alpha/);
  });

  it('refuses a plugin that declares a service but never provides it, or provides one it did not declare', async () => {
    const ref = createServiceRef<number>('demand.forecaster');
    const silent = await loadError([plain('demand', { provides: [ref] })]);
    expect(silent.message).toBe("plugin 'demand': declares it provides 'demand.forecaster' but register() did not call provide() for it");
    const sneaky = await loadError([
      plain('demand', {
        register(env) {
          env.provide(ref, 1);
        },
      }),
    ]);
    expect(sneaky.message).toContain("provides 'demand.forecaster' without declaring it in 'provides'");
    const clash = await loadError([plain('evil', { provides: [coreServices.database] })]);
    expect(clash.message).toContain("provides 'core.database', which core already binds");
    const two = await loadError([
      plain('one', { provides: [ref], register: (env) => env.provide(ref, 1) }),
      plain('two', { provides: [ref], register: (env) => env.provide(ref, 2) }),
    ]);
    expect(two.message).toContain("provides 'demand.forecaster', which plugin 'one' also provides");
  });

  it('refuses an endpoint that clashes with another plugin’s or core’s, naming both', async () => {
    // A plugin's own paths lie under its id, so two plugins can clash only on the aliases they declare.
    const ep = (path: string, aliases?: string[]) => defineEndpoint({ method: 'GET', path, aliases, summary: 'x', role: 'read', handler: () => ({}) });
    const err = await loadError([
      plain('first', { aliasPrefixes: ['/shared'], register: (env) => env.endpoint(ep('/first/thing', ['/shared/thing'])) }),
      plain('second', { aliasPrefixes: ['/shared'], register: (env) => env.endpoint(ep('/second/thing', ['/shared/thing'])) }),
    ]);
    expect(err.message).toBe("plugin 'second': endpoint GET /shared/thing is declared by both 'first' and 'second'");
    const core = await loadError([plain('greedy', { aliasPrefixes: ['/models'], register: (env) => env.endpoint(ep('/greedy/status', ['/models/status'])) })]);
    expect(core.message).toContain("is declared by both 'core' and 'greedy'");
    const outside = await loadError([plain('stray', { register: (env) => env.endpoint(ep('/elsewhere/thing')) })]);
    expect(outside.message).toContain("must lie under its id: '/stray/…'");
    const alias = await loadError([plain('stray', { register: (env) => env.endpoint(ep('/stray/thing', ['/elsewhere/thing'])) })]);
    expect(alias.message).toContain("lies outside '/stray' and the prefixes it declares in 'aliasPrefixes'");
  });

  it('wraps an error thrown by register() with the plugin’s name', async () => {
    const err = await loadError([
      plain('broken', {
        register() {
          throw new Error('no model file');
        },
      }),
    ]);
    expect(err.message).toBe("plugin 'broken': register() failed: no model file");
  });

  it('runs a plugin’s own migrations before register(), tracked under the plugin', async () => {
    let seen = -1;
    const runtime = await start([
      definePlugin({
        id: 'pack',
        version: '1.0.0',
        coreRange: '*',
        requires: { db: coreServices.database },
        migrations: {
          '0001_rules': {
            async up(db) {
              await db.schema
                .createTable('pack_rules')
                .addColumn('id', 'integer', (c) => c.primaryKey())
                .execute();
            },
          },
        },
        async register(env) {
          seen = await countRows(env.deps.db, 'pack_rules');
        },
      }),
    ]);
    expect(seen).toBe(0);
    expect(await countRows(runtime.database, 'rfid3_migrations_plugin_pack')).toBe(1);
    expect(await countRows(runtime.database, 'rfid3_migrations_core')).toBe(4);
    const failing = await loadError([
      plain('pack', {
        migrations: {
          '0001_bad': {
            async up(db) {
              await db.schema.createTable('id_item_master').addColumn('x', 'integer').execute();
            },
          },
        },
      }),
    ]);
    expect(failing.message).toMatch(/^plugin 'pack': migration plugin_pack\/0001_bad failed: /);
  });
});

describe("each plugin's own container", () => {
  const secret = createServiceRef<{ word: string }>('acme.secret');
  const scorer = createServiceRef<Scorer>('acme.scorer');

  @injectable()
  class Scorer {
    static built = 0;
    constructor(
      @inject(coreServices.clock.token) readonly clock: { now(): Date },
      @inject(secret.token) readonly hidden: { word: string },
    ) {
      Scorer.built++;
    }
  }

  const owner = (over: Partial<Parameters<typeof definePlugin>[0]> = {}) =>
    plain('acme', {
      register(env) {
        env.bind(secret, { value: { word: 'owl' } });
        env.bind(scorer, { class: Scorer });
      },
      ...over,
    });

  it("keeps a plugin's private binding from every other plugin: requiring it is refused, naming the service", async () => {
    const err = await loadError([owner(), plain('nosy', { requires: { secret } })]);
    expect(err.pluginId).toBe('nosy');
    expect(err.message).toBe("plugin 'nosy': requires service 'acme.secret', which neither core nor any loaded plugin provides");

    const asked = await loadError([
      owner(),
      plain('nosy', {
        register(env) {
          env.get(secret);
        },
      }),
    ]);
    expect(asked.message).toBe(
      "plugin 'nosy': asks for service 'acme.secret', which is not bound for it (a service another plugin binds privately is visible only if that plugin provides it)",
    );
  });

  it('builds an @injectable class once, with its @inject dependencies from the plugin’s container and core’s', async () => {
    Scorer.built = 0;
    let mine: Scorer | undefined;
    const runtime = await start([
      owner({
        register(env) {
          env.bind(secret, { value: { word: 'owl' } });
          env.bind(scorer, { class: Scorer });
          mine = env.get(scorer);
          expect(env.get(scorer)).toBe(mine);
        },
      }),
    ]);
    expect(mine).toBeInstanceOf(Scorer);
    expect(mine!.hidden).toEqual({ word: 'owl' });
    expect(mine!.clock).toBe(runtime.clock);
    expect(Scorer.built).toBe(1);
    // Private: the root (what every other plugin sees) has neither.
    expect(() => runtime.get(scorer)).toThrow();
    expect(() => runtime.get(secret)).toThrow();
    // Core's own injectable services are singletons built from its database.
    expect(runtime.get(coreServices.featureStore)).toBeInstanceOf(FeatureStore);
    expect(runtime.get(coreServices.featureStore)).toBe(runtime.get(coreServices.featureStore));
  });

  /** A provider that binds the scorer privately and provides it, and a consumer that requires it; `saw` holds what each got. */
  const sharing = () => {
    const saw: { provider?: Scorer; consumer?: Scorer } = {};
    const provider = owner({
      provides: [scorer],
      register(env) {
        env.bind(secret, { value: { word: 'owl' } });
        env.bind(scorer, { class: Scorer });
        env.provide(scorer);
        saw.provider = env.get(scorer);
      },
    });
    const consumer = plain('restock', {
      requires: { scorer },
      register(env) {
        saw.consumer = (env.deps as { scorer: Scorer }).scorer;
      },
    });
    return { provider, consumer, saw };
  };

  it('shares what a plugin provides: the consumer gets the very instance the provider built', async () => {
    Scorer.built = 0;
    const { provider, consumer, saw } = sharing();
    const runtime = await start([consumer, provider]);
    expect(saw.consumer).toBeInstanceOf(Scorer);
    expect(saw.consumer).toBe(saw.provider);
    expect(runtime.get(scorer)).toBe(saw.provider);
    expect(Scorer.built).toBe(1);
    // The secret the scorer was built from is still the provider's alone.
    expect(() => runtime.get(secret)).toThrow();
  });

  it('lets a test replace a service a plugin binds or provides, through createRuntime({ services })', async () => {
    Scorer.built = 0;
    const fake = { clock: { now: () => new Date(0) }, hidden: { word: 'fake' } } as unknown as Scorer;
    const { provider, consumer, saw } = sharing();
    await start([provider, consumer], { services: [{ ref: scorer, value: fake }] });
    expect(saw.consumer).toBe(fake);
    expect(saw.provider).toBe(fake);
    expect(Scorer.built).toBe(0);
  });
});

describe('endpoints through runtime.call', () => {
  const demo = () =>
    definePlugin({
      id: 'demo',
      version: '1.0.0',
      coreRange: '*',
      register(env) {
        env.endpoint(
          defineEndpoint({
            method: 'GET',
            path: '/demo/echo',
            summary: 'echo',
            role: 'read',
            input: { query: z.object({ x: z.coerce.number().int().min(1), tag: z.string().optional() }) },
            handler: ({ query }) => ({ x: query.x, tag: query.tag ?? null }),
          }),
          defineEndpoint({
            method: 'GET',
            path: '/demo/items/:itemId',
            summary: 'one item',
            role: 'read',
            input: { params: z.object({ itemId: z.string().regex(/^[A-F0-9]+$/) }) },
            handler: ({ params }) => ({ itemId: params.itemId }),
          }),
          defineEndpoint({
            method: 'POST',
            path: '/demo/act',
            summary: 'operate',
            role: 'operate',
            successStatus: 201,
            input: { body: z.object({ qty: z.number().positive() }) },
            handler: ({ body }, ctx) => ({ qty: body.qty, by: ctx.principal?.name }),
          }),
          defineEndpoint({ method: 'DELETE', path: '/demo/all', summary: 'admin', role: 'admin', handler: () => ({ gone: true }) }),
        );
      },
    });

  it('calls a plugin endpoint with validated, coerced input', async () => {
    const runtime = await start([demo()]);
    expect(await runtime.call('GET', '/demo/echo?x=3&tag=a')).toEqual({ status: 200, body: { x: 3, tag: 'a' } });
    expect(await runtime.call('GET', '/demo/echo', { query: { x: '7' } })).toEqual({ status: 200, body: { x: 7, tag: null } });
    expect((await runtime.call('GET', '/demo/items/AB12')).body).toEqual({ itemId: 'AB12' });
    expect(runtime.plugins.find((p) => p.id === 'demo')!.endpoints).toBe(4);
  });

  it('answers invalid input with a 400 problem naming each field', async () => {
    const runtime = await start([demo()]);
    const p = await problem(runtime.call('GET', '/demo/echo?x=abc'));
    expect(p.status).toBe(400);
    expect(p.errors!.map((e) => e.field)).toEqual(['query.x']);
    expect(p.detail).toMatch(/^query\.x: /);
    const missing = await problem(runtime.call('GET', '/demo/echo'));
    expect(missing.errors!.map((e) => e.field)).toEqual(['query.x']);
    const param = await problem(runtime.call('GET', '/demo/items/zz'));
    expect(param.errors!.map((e) => e.field)).toEqual(['params.itemId']);
    const body = await problem(runtime.call('POST', '/demo/act', { body: { qty: -1 }, principal: principal('operate') }));
    expect(body.errors!.map((e) => e.field)).toEqual(['body.qty']);
    expect(body.toBody('/api/predictive/demo/act')).toMatchObject({ status: 400, title: 'Bad Request', instance: '/api/predictive/demo/act', errors: [{ field: 'body.qty' }] });
  });

  it('checks roles: 401 without a key for operate endpoints, 403 for too small a role, open reads allowed', async () => {
    const runtime = await start([demo()]);
    const anon = await problem(runtime.call('POST', '/demo/act', { body: { qty: 1 } }));
    expect(anon.status).toBe(401);
    expect(anon.headers['WWW-Authenticate']).toMatch(/^Bearer/);
    const reader = await problem(runtime.call('POST', '/demo/act', { body: { qty: 1 }, principal: principal('read') }));
    expect(reader.status).toBe(403);
    expect(reader.detail).toBe("POST /demo/act needs role 'operate'; key 'read key' has 'read'");
    expect(await runtime.call('POST', '/demo/act', { body: { qty: 2 }, principal: principal('operate') })).toEqual({ status: 201, body: { qty: 2, by: 'operate key' } });
    expect((await runtime.call('POST', '/demo/act', { body: { qty: 2 }, principal: principal('admin') })).status).toBe(201);
    expect((await problem(runtime.call('DELETE', '/demo/all', { principal: principal('operate') }))).status).toBe(403);
    expect((await runtime.call('DELETE', '/demo/all', { principal: principal('admin') })).body).toEqual({ gone: true });
    // Reads are open by default, and closed when the access policy says so.
    expect((await runtime.call('GET', '/demo/echo?x=1')).status).toBe(200);
    const closed = await start([demo()], { access: { openReads: false } });
    expect((await problem(closed.call('GET', '/demo/echo?x=1'))).status).toBe(401);
    expect((await closed.call('GET', '/demo/echo?x=1', { principal: principal('read') })).status).toBe(200);
  });

  it('answers an unknown path with a 404 problem', async () => {
    const runtime = await start([demo()]);
    expect((await problem(runtime.call('GET', '/demo/nothing'))).status).toBe(404);
    expect((await problem(runtime.call('PUT', '/demo/echo'))).status).toBe(404);
  });
});

describe('predictors through runtime.predict', () => {
  function counting(version: { v: string }, calls: { n: number }) {
    const predictor = definePredictor({
      id: 'demo.units',
      description: 'constant units per day',
      querySchema: z.object({ rentalClass: z.string(), days: z.coerce.number().int().min(1).max(7).default(3) }),
      async modelVersion() {
        return version.v;
      },
      async predict(query) {
        calls.n++;
        return Array.from(
          { length: query.days },
          (_, i): Prediction => ({
            predictionType: 'demand.units_out',
            target: { type: 'rental_class', id: query.rentalClass },
            targetDate: `2026-06-0${i + 2}`,
            horizon: i + 1,
            value: 5 + i,
            intervals: [{ level: 0.8, lower: 3 + i, upper: 7 + i }],
            confidence: 0.8,
            model: { name: 'demo.units', version: version.v, type: 'baseline' },
            source: i === 0 ? 'model' : 'historical_average',
            drivers: [],
          }),
        );
      },
    });
    return definePlugin({ id: 'demo', version: '1.0.0', coreRange: '*', register: (env) => env.predictor(predictor) });
  }

  it('records produced predictions once, serves a repeat from the cache without recording, and misses on a new model version', async () => {
    const version = { v: 'demo.units@1' };
    const calls = { n: 0 };
    const runtime = await start([counting(version, calls)]);
    const rows = async () => {
      await runtime.predictionStore.flush();
      return countRows(runtime.database, 'analytics_predictions');
    };

    const first = await runtime.predict('demo.units', { rentalClass: '61234' });
    expect(first.cached).toBe(false);
    expect(first.modelVersion).toBe('demo.units@1');
    expect(first.predictions.map((p) => p.value)).toEqual([5, 6, 7]);
    expect(calls.n).toBe(1);
    expect(await rows()).toBe(3);

    // Same query, written differently (explicit default, keys reordered): served from the cache, not recorded.
    const repeat = await runtime.predict('demo.units', { days: '3', rentalClass: '61234' });
    expect(repeat.cached).toBe(true);
    expect(repeat.predictions).toEqual(first.predictions);
    expect(calls.n).toBe(1);
    expect(await rows()).toBe(3);

    version.v = 'demo.units@2';
    const retrained = await runtime.predict('demo.units', { rentalClass: '61234' });
    expect(retrained.cached).toBe(false);
    expect(calls.n).toBe(2);
    expect(await rows()).toBe(6);
    const versions = await runtime.database.db.selectFrom('analytics_predictions').select('model_version').distinct().orderBy('model_version').execute();
    expect(versions.map((v) => v.model_version)).toEqual(['demo.units@1', 'demo.units@2']);

    expect(await runtime.metrics.total('rfid3_predictions_produced_total', { predictor: 'demo.units' })).toBe(6);
    expect(await runtime.metrics.total('rfid3_predictions_served_total', { predictor: 'demo.units' })).toBe(9);
    expect(await runtime.metrics.total('rfid3_predictions_served_total', { predictor: 'demo.units', source: 'model' })).toBe(3);
  });

  it('computes once for concurrent identical queries and records once', async () => {
    const calls = { n: 0 };
    const runtime = await start([counting({ v: 'demo.units@1' }, calls)]);
    const answers = await Promise.all(Array.from({ length: 5 }, () => runtime.predict('demo.units', { rentalClass: 'X', days: 2 })));
    expect(calls.n).toBe(1);
    expect(answers.filter((a) => !a.cached)).toHaveLength(1);
    await runtime.predictionStore.flush();
    expect(await countRows(runtime.database, 'analytics_predictions')).toBe(2);
  });

  it('validates the query (a ValidationError naming query.field, 400 over an endpoint) and refuses unknown predictors and foreign ids', async () => {
    const runtime = await start([counting({ v: 'v' }, { n: 0 })]);
    const refused = await runtime.predict('demo.units', { days: 3 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect(refused).not.toBeInstanceOf(HttpProblem);
    expect((refused as ValidationError).field).toBe('query.rentalClass');
    expect((refused as ValidationError).errors.map((e) => e.field)).toEqual(['query.rentalClass']);
    // An endpoint whose handler makes the same call answers 400 naming the field.
    const asker = plain('asker', {
      register: (env) =>
        env.endpoint(defineEndpoint({ method: 'GET', path: '/asker/units', summary: 'asks demo.units', role: 'read', handler: () => runtime.predict('demo.units', { days: 3 }) })),
    });
    const withEndpoint = await start([asker]);
    const p = await problem(withEndpoint.call('GET', '/asker/units'));
    expect(p.status).toBe(400);
    expect(p.errors!.map((e) => e.field)).toEqual(['query.rentalClass']);
    await expect(runtime.predict('demo.nothing', {})).rejects.toThrow(/no predictor 'demo\.nothing' \(registered: demo\.units\)/);
    const foreign = definePredictor({ id: 'other.x', description: '', querySchema: z.object({}), modelVersion: async () => 'v', predict: async () => [] });
    const err = await loadError([plain('mine', { register: (env) => env.predictor(foreign) })]);
    expect(err.message).toContain("predictor id 'other.x' must start with 'mine.'");
  });
});

describe('core endpoints', () => {
  function retrainable(ran: { payloads: unknown[] }) {
    return definePlugin({
      id: 'demand',
      version: '2.3.4',
      coreRange: '*',
      register(env) {
        env.job('retrain', async (payload, ctx) => {
          ran.payloads.push(payload);
          ctx.progress(0.5, 'fitting');
          return { versions: 1 };
        });
      },
    });
  }

  it('/health/system-status reports the database, cache, plugins and data feed', async () => {
    const runtime = await start([retrainable({ payloads: [] })]);
    const { status, body } = await runtime.call('GET', '/health/system-status');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'ok',
      coreVersion: CORE_VERSION,
      database: { ok: true, dialect: 'sqlite' },
      cache: { l2: { enabled: false } },
      plugins: [{ id: 'demand', version: '2.3.4', endpoints: 0, predictors: [] }],
      data: { scans: 0, firstScan: null, lastScan: null, lastScanAgeHours: null },
      jobs: { queued: 0, running: 0, failed: 0 },
      predictionWriteQueue: 0,
    });
  });

  it('/models/status lists active versions with live accuracy, and the predictors', async () => {
    const runtime = await start([retrainable({ payloads: [] })]);
    await runtime.registry.register({ modelName: 'demand.daily', modelType: 'baseline', artifact: { a: 1 }, validation: { metric: 'mae', value: 3 } });
    await runtime.registry.register({ modelName: 'demand.daily', modelType: 'baseline', artifact: { a: 2 }, validation: { metric: 'mae', value: 4 } });
    const { body } = (await runtime.call('GET', '/models/status')) as { body: { models: { versionTag: string; versions: number; live: unknown }[]; predictors: unknown[] } };
    expect(body.models).toHaveLength(1);
    expect(body.models[0]).toMatchObject({ versionTag: 'demand.daily@1', versions: 2, live: null });
    expect(body.predictors).toEqual([]);
  });

  it('/models/retrain/:service queues the plugin’s retrain job (202) and /jobs/:id reports it', async () => {
    const ran = { payloads: [] as unknown[] };
    const runtime = await start([retrainable(ran), plain('quality')]);
    const op = principal('operate');
    const res = await runtime.call('POST', '/models/retrain/demand', { principal: op });
    expect(res.status).toBe(202);
    const body = res.body as { jobId: string; job: string; status: string; statusUrl: string };
    expect(body).toMatchObject({ job: 'demand.retrain', status: 'queued', statusUrl: `/api/predictive/jobs/${body.jobId}` });
    const done = await runtime.jobs.waitFor(body.jobId);
    expect(done).toMatchObject({ status: 'succeeded', progress: 1, message: 'fitting', result: { versions: 1 } });
    expect(ran.payloads).toEqual([{}]);
    const job = await runtime.call('GET', `/jobs/${body.jobId}`);
    expect(job).toMatchObject({ status: 200, body: { id: body.jobId, name: 'demand.retrain', status: 'succeeded' } });

    expect((await problem(runtime.call('POST', '/models/retrain/demand'))).status).toBe(401);
    const noJob = await problem(runtime.call('POST', '/models/retrain/quality', { principal: op }));
    expect(noJob.status).toBe(404);
    expect(noJob.detail).toBe("plugin 'quality' has no retrain job");
    const unknown = await problem(runtime.call('POST', '/models/retrain/pricing', { principal: op }));
    expect(unknown.status).toBe(404);
    expect(unknown.detail).toContain('loaded: demand, quality');
    expect((await problem(runtime.call('GET', '/jobs/-not-a-job-id'))).errors!.map((e) => e.field)).toEqual(['params.id']);
    expect((await problem(runtime.call('GET', '/jobs/00000000-0000-4000-8000-000000000000'))).status).toBe(404);
  });

  it('a failing job is reported as failed with its error', async () => {
    const runtime = await start([
      definePlugin({
        id: 'maintenance',
        version: '1.0.0',
        coreRange: '*',
        register(env) {
          env.job('retrain', () => {
            throw new Error('not enough failures to train on');
          });
        },
      }),
    ]);
    const res = await runtime.call('POST', '/models/retrain/maintenance', { principal: principal('admin') });
    const done = await runtime.jobs.waitFor((res.body as { jobId: string }).jobId);
    expect(done).toMatchObject({ status: 'failed', error: 'not enough failures to train on' });
    expect(await runtime.metrics.total('rfid3_jobs_finished_total', { job: 'maintenance.retrain', status: 'failed' })).toBe(1);
  });
});
