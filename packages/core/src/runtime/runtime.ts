import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Container } from 'inversify';
import type { Cache } from '../cache/cache.js';
import type { Redis } from 'ioredis';
import { LayeredCache } from '../cache/cache.js';
import { openRedis } from '../cache/redis.js';
import type { DecisionSafeguard } from '../contracts/decision.js';
import { defaultSafeguards } from '../contracts/decision.js';
import type { AnyEndpoint, HttpMethod, Principal } from '../contracts/endpoint.js';
import type { AnyPlugin, LoadedPlugin, PluginEnv } from '../contracts/plugin.js';
import type { AnyPredictor, PredictorQuery } from '../contracts/predictor.js';
import type { ServiceRef, ServiceSource } from '../contracts/service-ref.js';
import { DecisionLedger } from '../decisions/decision-ledger.js';
import { ExternalFactorStore } from '../external/external-factors.js';
import { FeatureStore } from '../features/feature-store.js';
import { InventoryData } from '../inventory/inventory-data.js';
import { PredictionStore } from '../predictions/prediction-store.js';
import { ModelRegistry } from '../registry/model-registry.js';
import type { DatabaseHandle } from '../storage/database.js';
import { createDatabase, primaryOnly } from '../storage/database.js';
import { migrate } from '../storage/migration.js';
import { coreMigrations } from '../storage/migrations/index.js';
import { CORE_VERSION } from '../version.js';
import type { Clock } from '../time/clock.js';
import { systemClock } from '../time/clock.js';
import type { CoreConfig, CoreConfigInput } from './config.js';
import { coreConfigSchema } from './config.js';
import { coreEndpointsPlugin } from '../endpoints/core-plugin.js';
import { EventBus } from '../events/events.js';
import type { AccessPolicy, EndpointResponse, RawEndpointInput } from '../endpoints/invoke.js';
import { EndpointTable, invokeEndpoint } from '../endpoints/invoke.js';
import type { JobRunner } from '../jobs/jobs.js';
import { InProcessJobRunner, RETRAIN_JOB } from '../jobs/jobs.js';
import { BullmqJobRunner } from '../jobs/bullmq-jobs.js';
import type { WorkerOptions } from '../jobs/bullmq-jobs.js';
import { ClusterSync } from '../events/cluster-sync.js';
import type { Logger } from '../observability/logger.js';
import { createLogger } from '../observability/logger.js';
import { CoreMetrics } from '../observability/metrics.js';
import type { PluginEntry } from './plugin-loader.js';
import { PluginLoadError, checkPlugins } from './plugin-loader.js';
import { PredictionService } from '../predictions/prediction-service.js';
import type { PredictionAnswer } from '../predictions/prediction-service.js';
import { coreServices } from './services.js';
import { baseServices } from './base-services.js';
import { HttpProblem } from '../contracts/problem.js';

/** Options of `createRuntime`: config, clock, logger, plugins, and services or a database to use as given. */
export interface RuntimeOptions {
  config?: CoreConfigInput;
  clock?: Clock;
  logger?: Logger;
  /** Plugins to load: plugin values, or entries with their source and config. */
  plugins?: (AnyPlugin | PluginEntry)[];
  /** An open database to use instead of `config.databaseUrl` (the runtime takes it over and closes it). */
  database?: DatabaseHandle;
  /**
   * Services bound before plugins load, e.g. an external factor provider. One a plugin binds (`env.bind`) or
   * provides (`env.provide`) under the same reference is replaced by the one given here: how a test puts a fake in
   * a plugin's place. Core's own cannot be replaced.
   */
  services?: { ref: ServiceRef<any>; value: unknown }[];
  /** Collect process metrics (CPU, memory, event loop) on /metrics; the server turns this on. */
  processMetrics?: boolean;
  /** Who may call `read` endpoints without a key. */
  access?: Partial<AccessPolicy>;
  /** The decision safeguards, replacing the design's defaults built from `config.safeguards` (plugins add their own). */
  safeguards?: DecisionSafeguard[];
}

export type { LoadedPlugin };

/** One running instance of core with its plugins: what the host serves and what tests call directly. */
export class Runtime {
  readonly startedAt: Date;
  readonly plugins: LoadedPlugin[] = [];
  readonly endpoints = new EndpointTable();
  private readonly startHooks: (() => void | Promise<void>)[] = [];
  private readonly stopHooks: (() => void | Promise<void>)[] = [];
  private closed = false;

  constructor(
    readonly container: Container,
    readonly config: CoreConfig,
    readonly access: AccessPolicy,
    /**
     * The L2 Redis connection when `redisUrl` is set (possibly still connecting), for host parts that share
     * it, such as the rate limiter: one connection, one health. The runtime closes it.
     */
    readonly redis?: Redis,
  ) {
    this.startedAt = this.clock.now();
  }

  /** The service bound to a reference (throws when none is bound). */
  get<T>(ref: ServiceRef<T>): T {
    return this.container.get<T>(ref.token);
  }

  get clock(): Clock {
    return this.get(coreServices.clock);
  }
  get logger(): Logger {
    return this.get(coreServices.logger);
  }
  get database(): DatabaseHandle {
    return this.get(coreServices.database);
  }
  get cache(): Cache {
    return this.get(coreServices.cache);
  }
  get metrics(): CoreMetrics {
    return this.get(coreServices.metrics);
  }
  get jobs(): JobRunner {
    return this.get(coreServices.jobs);
  }
  get registry(): ModelRegistry {
    return this.get(coreServices.modelRegistry);
  }
  get predictionStore(): PredictionStore {
    return this.get(coreServices.predictionStore);
  }
  get predictions(): PredictionService {
    return this.get(coreServices.predictions);
  }
  get decisions(): DecisionLedger {
    return this.get(coreServices.decisions);
  }
  get inventory(): InventoryData {
    return this.get(coreServices.inventory);
  }
  /** Typed in-process events (`data-changed`, …) between the host, ingestion and plugins. */
  get events(): EventBus {
    return this.get(coreServices.events);
  }

  /**
   * Runs a predictor through the cache and the prediction store. The query is typed by the predictor's id when
   * its plugin declares it (`PredictorQueries`); a query the predictor's schema refuses throws a `ValidationError`
   * naming the field (`query.weeks`).
   */
  predict<Id extends string>(predictorId: Id, query: PredictorQuery<Id>): Promise<PredictionAnswer> {
    return this.predictions.predict(predictorId, query);
  }

  /**
   * Calls an endpoint as the HTTP host would, without HTTP: `path` is relative to `/api/predictive`
   * and may carry a query string.
   */
  async call(method: HttpMethod, path: string, input: { query?: Record<string, unknown>; body?: unknown; principal?: Principal | null } = {}): Promise<EndpointResponse> {
    const url = new URL(path, 'http://local');
    const found = this.endpoints.find(method, url.pathname);
    if (!found) throw HttpProblem.notFound(`no endpoint ${method} ${url.pathname}`);
    const query: Record<string, unknown> = Object.fromEntries(url.searchParams);
    Object.assign(query, input.query);
    return this.invoke(found.mounted.endpoint, { params: found.params, query, body: input.body }, input.principal ?? null);
  }

  /** Calls an endpoint with raw input as the host would: validation, access, problem answers. */
  invoke(endpoint: AnyEndpoint, raw: RawEndpointInput, principal: Principal | null, requestId: string = randomUUID()): Promise<EndpointResponse> {
    // The request's logger is made when something logs (most requests log nothing here).
    const root = this.logger;
    let logger: Logger | undefined;
    const ctx = {
      requestId,
      principal,
      get logger(): Logger {
        return (logger ??= root.child({ requestId }));
      },
    };
    return invokeEndpoint(endpoint, raw, ctx, this.access);
  }

  /** Adds a hook that `start` runs. */
  addStartHook(hook: () => void | Promise<void>): void {
    this.startHooks.push(hook);
  }

  /** Adds a hook that `close` runs (in reverse order of adding). */
  addStopHook(hook: () => void | Promise<void>): void {
    this.stopHooks.push(hook);
  }

  /**
   * Starts executing queued jobs in this process: a `worker` or `all` process in BullMQ mode. The in-process
   * runner always executes its jobs, so there this does nothing.
   */
  startWorkers(options: WorkerOptions = {}): string[] {
    const jobs = this.jobs;
    return jobs instanceof BullmqJobRunner ? jobs.startWorkers(options) : [];
  }

  /** Runs the plugins' start hooks (schedules, warm-ups). */
  async start(): Promise<void> {
    for (const hook of this.startHooks) await hook();
  }

  /** Runs the stop hooks, then closes the jobs, the prediction store, the cache and the database. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const hook of [...this.stopHooks].reverse()) {
      try {
        await hook();
      } catch (err) {
        this.logger.error({ err }, 'stop hook failed');
      }
    }
    await this.jobs.close();
    this.events.removeAll();
    await this.predictionStore.close();
    await this.cache.close();
    await this.database.close();
  }
}

/** Builds core's services, migrates, and loads the plugins (each checked first, each in its own child container). */
export async function createRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const config = coreConfigSchema.parse(options.config ?? {});
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const metrics = new CoreMetrics({ processMetrics: options.processMetrics });
  const database = options.database ?? createDatabase(config.databaseUrl, { readUrls: config.databaseReadUrls, replicaMaxLagSeconds: config.databaseReadMaxLagSeconds });
  try {
    await migrate(database, 'core', coreMigrations);
  } catch (err) {
    await database.close();
    throw err;
  }
  database.availability?.onChange((available) => {
    const s = database.availability!.snapshot();
    if (available) logger.warn({ database: database.displayUrl, downSeconds: (database.availability!.lastOutageMs ?? 0) / 1000 }, 'the database answers again');
    else logger.warn({ database: database.displayUrl, err: s.lastError }, 'the database cannot be reached: cached predictions are served stale, the rest answers 503');
  });
  for (const replica of database.readReplicas ?? []) {
    replica.availability.onChange((available) => {
      if (available) logger.warn({ replica: replica.displayUrl }, 'the read replica answers again: GET reads go to it');
      else logger.warn({ replica: replica.displayUrl, err: replica.availability.snapshot().lastError }, 'the read replica cannot be reached: its reads go to the primary');
    });
    replica.lag.onChange((acceptable) => {
      if (acceptable) logger.warn({ replica: replica.displayUrl, lagSeconds: replica.lag.seconds }, 'the read replica has caught up: GET reads go to it');
      else logger.warn({ replica: replica.displayUrl, problem: replica.lag.problem }, 'the read replica is behind or not replicating: its reads go to the primary');
    });
  }
  // Redis is an accelerator, not a dependency: absent at start, the runtime serves from L1 and the database.
  const redis = config.redisUrl ? await openRedis(config.redisUrl, { logger }) : undefined;
  const cache = new LayeredCache({ ...config.cache, redis, metrics, logger });
  const predictionStore = new PredictionStore({ database, clock, logger, metrics, ...config.predictionStore });
  if (config.jobs.runner === 'bullmq' && !config.redisUrl) throw new Error("jobs runner 'bullmq' needs a Redis URL (redisUrl / REDIS_URL)");
  const jobs: JobRunner =
    config.jobs.runner === 'bullmq'
      ? await BullmqJobRunner.open({
          redisUrl: config.redisUrl!,
          prefix: config.jobs.prefix,
          clock,
          logger,
          metrics,
          lockDurationMs: config.jobs.lockDurationMs,
          stalledIntervalMs: config.jobs.stalledIntervalMs,
          keepFinishedSeconds: config.jobs.keepFinishedSeconds,
          discardOutputs: (jobId) => predictionStore.discardJob(jobId),
          settle: () => predictionStore.flush(),
        })
      : new InProcessJobRunner({ clock, logger, metrics, concurrency: config.jobs.concurrency });
  // The registry and the decision ledger read what they just wrote: always the primary, never a replica.
  const registry = new ModelRegistry({ database: primaryOnly(database), clock });
  const predictions = new PredictionService({
    cache,
    store: predictionStore,
    metrics,
    clock,
    defaultTtlSeconds: config.cache.defaultTtlSeconds,
    availability: database.availability,
  });

  // The root container holds core's services and what plugins provide; each plugin gets a child of it.
  const container = new Container();
  const bind = <T>(ref: ServiceRef<T>, value: T) => container.bind<T>(ref.token).toConstantValue(value);
  bind(coreServices.config, config);
  bind(coreServices.clock, clock);
  bind(coreServices.logger, logger);
  bind(coreServices.metrics, metrics);
  bind(coreServices.database, database);
  bind(coreServices.cache, cache);
  bind(coreServices.jobs, jobs);
  bind(coreServices.modelRegistry, registry);
  bind(coreServices.predictionStore, predictionStore);
  bind(coreServices.predictions, predictions);
  bind(coreServices.events, new EventBus({ logger }));
  // Injectable classes name their dependencies with `@inject(token)` (esbuild emits no decorator metadata).
  container.bind(coreServices.featureStore.token).to(FeatureStore).inSingletonScope();
  container.bind(coreServices.inventory.token).to(InventoryData).inSingletonScope();
  container.bind(coreServices.externalFactors.token).to(ExternalFactorStore).inSingletonScope();
  // The ledger also takes the safeguards given to createRuntime, which are options, not services.
  container.bind(baseServices.decisionLedgerOptions.token).toConstantValue({ safeguards: options.safeguards ?? defaultSafeguards(config.safeguards), settings: config.safeguards });
  container.bind(coreServices.decisions.token).to(DecisionLedger).inSingletonScope();
  const coreTokens = new Set<symbol>([...Object.values(coreServices), ...Object.values(baseServices)].map((r) => r.token));
  for (const s of options.services ?? []) {
    if (coreTokens.has(s.ref.token)) throw new Error(`service '${s.ref.id}' is core's own and cannot be replaced`);
    container.bind(s.ref.token).toConstantValue(s.value);
  }
  const replaced = new Set<symbol>((options.services ?? []).map((s) => s.ref.token));

  const runtime = new Runtime(container, config, { openReads: options.access?.openReads ?? true }, redis);
  container.bind(coreServices.runtime.token).toConstantValue({
    get startedAt() {
      return runtime.startedAt;
    },
    get plugins() {
      return runtime.plugins;
    },
  });
  if (config.redisUrl && config.cluster.sync) {
    const sync = await ClusterSync.open({
      redisUrl: config.redisUrl,
      prefix: config.cluster.prefix ?? `${config.cache.keyPrefix}cluster`,
      logger,
      events: runtime.events,
      registry,
      cache,
      onDataVersion: (v) => (jobs instanceof BullmqJobRunner ? jobs.setDataVersion(v) : undefined),
    });
    runtime.addStopHook(() => sync.close());
  }
  // prom-client calls `collect` on each scrape; set after construction, since the runner is built later.
  (metrics.jobsInState as unknown as { collect: () => Promise<void> }).collect = async () => {
    try {
      for (const [state, n] of Object.entries(await jobs.counts())) metrics.jobsInState.set({ state }, n);
    } catch (err) {
      logger.debug({ err }, 'job counts unavailable');
    }
  };
  try {
    // Core's own endpoints load as a plugin does, from the services they require; they are not listed as a plugin.
    await registerPlugin(runtime, coreEndpointsPlugin, {}, replaced);
    const bound = new Set<symbol>([...coreTokens, ...replaced]);
    const entries: PluginEntry[] = (options.plugins ?? []).map((p) => (isEntry(p) ? p : { plugin: p }));
    for (const checked of checkPlugins(entries, bound, CORE_VERSION, replaced)) {
      runtime.plugins.push(await registerPlugin(runtime, checked.plugin, checked.config, replaced, checked.source));
    }
  } catch (err) {
    await runtime.close();
    throw err;
  }
  return runtime;
}

function isEntry(p: AnyPlugin | PluginEntry): p is PluginEntry {
  return typeof p === 'object' && p !== null && 'plugin' in p && !('register' in p);
}

/**
 * Registers one plugin into its own child container (parent: the root): its `requires` are resolved there, its
 * `bind`s stay there, and only what it `provide`s reaches the root, where other plugins can see it. Services in
 * `replaced` (given to createRuntime) take the place of what the plugin binds or provides under the same reference.
 */
async function registerPlugin(runtime: Runtime, plugin: AnyPlugin, config: unknown, replaced: ReadonlySet<symbol>, source?: string): Promise<LoadedPlugin> {
  const fail = (reason: string) => new PluginLoadError(plugin.id, reason, source);
  if (plugin.migrations && Object.keys(plugin.migrations).length > 0) {
    try {
      await migrate(runtime.database, `plugin_${plugin.id}`, plugin.migrations);
    } catch (err) {
      throw fail(err instanceof Error ? err.message : String(err));
    }
  }
  const child = new Container({ parent: runtime.container });
  const resolve = <T>(ref: ServiceRef<T>, what: string): T => {
    if (!child.isBound(ref.token))
      throw fail(`${what} '${ref.id}', which is not bound for it (a service another plugin binds privately is visible only if that plugin provides it)`);
    try {
      return child.get<T>(ref.token);
    } catch (err) {
      throw fail(`cannot build service '${ref.id}': ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const deps: Record<string, unknown> = {};
  for (const [name, ref] of Object.entries(plugin.requires ?? {}) as [string, ServiceRef<unknown>][]) {
    deps[name] = resolve(ref, 'requires service');
  }
  const loaded: LoadedPlugin = {
    id: plugin.id,
    version: plugin.version,
    description: plugin.description,
    source,
    coreRange: plugin.coreRange,
    endpoints: 0,
    predictors: [],
    jobs: [],
  };
  const declared = new Set((plugin.provides ?? []).map((r) => r.token));
  const provided = new Set<symbol>();
  const env: PluginEnv<unknown, Record<string, unknown>> = {
    pluginId: plugin.id,
    config,
    deps,
    logger: runtime.logger.child({ plugin: plugin.id }),
    bind<T>(ref: ServiceRef<T>, source: ServiceSource<T>) {
      if (replaced.has(ref.token)) return;
      if (child.isCurrentBound(ref.token)) throw fail(`binds '${ref.id}' twice`);
      bindSource(child, ref, source);
    },
    get: (ref) => resolve(ref, 'asks for service'),
    provide(ref, ...value) {
      if (!declared.has(ref.token)) throw fail(`provides '${ref.id}' without declaring it in 'provides'`);
      provided.add(ref.token);
      if (replaced.has(ref.token)) return;
      if (value.length > 0) runtime.container.bind(ref.token).toConstantValue(value[0]);
      else if (child.isCurrentBound(ref.token))
        runtime.container
          .bind(ref.token)
          .toDynamicValue(() => child.get(ref.token))
          .inSingletonScope();
      else throw fail(`provides '${ref.id}' without a value, and has not bound it with bind()`);
    },
    endpoint(...endpoints: AnyEndpoint[]) {
      for (const endpoint of endpoints) {
        try {
          runtime.endpoints.add({ pluginId: plugin.id, endpoint, aliasPrefixes: plugin.aliasPrefixes });
        } catch (err) {
          throw fail(err instanceof Error ? err.message : String(err));
        }
        loaded.endpoints++;
      }
    },
    predictor(...predictors: AnyPredictor[]) {
      for (const p of predictors) {
        if (!p.id.startsWith(`${plugin.id}.`)) throw fail(`predictor id '${p.id}' must start with '${plugin.id}.'`);
        runtime.predictions.register(p, plugin.id);
        loaded.predictors.push(p.id);
      }
    },
    safeguard(...guards) {
      runtime.decisions.addSafeguards(...guards);
    },
    job(name, handler, jobOptions) {
      const full = `${plugin.id}.${name}`;
      runtime.jobs.register(full, handler, { joinRunning: jobOptions?.joinRunning ?? name === RETRAIN_JOB });
      loaded.jobs.push(full);
    },
    onStart: (hook) => runtime.addStartHook(hook),
    onStop: (hook) => runtime.addStopHook(hook),
  };
  try {
    await plugin.register(env);
  } catch (err) {
    if (err instanceof PluginLoadError) throw err;
    throw fail(`register() failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  for (const ref of plugin.provides ?? []) {
    if (!provided.has(ref.token)) throw fail(`declares it provides '${ref.id}' but register() did not call provide() for it`);
  }
  runtime.logger.debug({ plugin: plugin.id, version: plugin.version, coreVersion: CORE_VERSION }, 'plugin loaded');
  return loaded;
}

/** Binds a plugin's service in its container: a value as is, a class or a factory built once when first asked for. */
function bindSource<T>(container: Container, ref: ServiceRef<T>, source: ServiceSource<T>): void {
  const to = container.bind<T>(ref.token);
  if ('value' in source) to.toConstantValue(source.value);
  else if ('class' in source) to.to(source.class).inSingletonScope();
  else to.toDynamicValue((ctx) => source.factory((r) => ctx.get(r.token))).inSingletonScope();
}
