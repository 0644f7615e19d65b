import type { z } from 'zod';
import type { Logger } from '../observability/logger.js';
import type { PortableMigrations } from '../storage/migration.js';
import type { JobHandler, JobOptions } from '../jobs/jobs.js';
import type { DecisionSafeguard } from './decision.js';
import type { AnyEndpoint } from './endpoint.js';
import type { AnyPredictor } from './predictor.js';
import type { ResolvedServices, ServiceRef, ServiceRefs, ServiceSource } from './service-ref.js';

/** Marks a value made by `definePlugin`; a registered symbol so a plugin built against another copy of core is still recognised. */
export const PLUGIN_BRAND: unique symbol = Symbol.for('rfid3.plugin');
/** The shape of the plugin object; bumped only when that shape changes incompatibly. */
export const PLUGIN_API_VERSION = 1;

/** What a plugin receives when it registers: its validated config, the services it asked for, and ways to add things. */
export interface PluginEnv<C, D> {
  pluginId: string;
  config: C;
  deps: D;
  logger: Logger;
  /**
   * Binds a service in this plugin's own container (a child of core's): the plugin's classes and factories see it,
   * and so does `get`, but no other plugin does unless the plugin also calls `provide(ref)`. A class is an
   * `@injectable()` class whose constructor parameters carry `@inject(ref.token)`; it may inject core's services,
   * services other plugins provide and this plugin's own bindings.
   *
   * @example
   * ```ts
   * register({ bind, get, endpoint }) {
   *   bind(scorerRef, { class: Scorer });         // @injectable() class Scorer { constructor(@inject(coreServices.database.token) db) {} }
   *   const scorer = get(scorerRef);              // built once, with its dependencies
   * }
   * ```
   * A service given to `createRuntime({ services })` (or `startTestHost({ services })`) under the same reference
   * replaces it: the binding is then skipped, which is how a test puts a fake in its place.
   */
  bind<T>(ref: ServiceRef<T>, source: ServiceSource<T>): void;
  /** The service bound to `ref` as this plugin sees it: its own bindings, core's services and what other plugins provide. */
  get<T>(ref: ServiceRef<T>): T;
  /**
   * Makes a service this plugin declared in `provides` visible to other plugins that require it: `value`, or,
   * without a value, what the plugin bound under `ref` with `bind`. A service given to `createRuntime({ services })`
   * under the same reference replaces it.
   */
  provide<T>(ref: ServiceRef<T>, value?: T): void;
  /** Adds endpoints to the host. */
  endpoint(...endpoints: AnyEndpoint[]): void;
  /** Adds predictors to the host's prediction service. */
  predictor(...predictors: AnyPredictor[]): void;
  /**
   * Adds decision safeguards for this plugin's decision types: every transition of a decision (propose,
   * change, approve, execute) runs them beside the design's defaults.
   */
  safeguard(...guards: DecisionSafeguard[]): void;
  /**
   * Registers a job handler under `<pluginId>.<name>`; enqueue it through the job runner. A plugin that makes
   * decisions registers `propose` (payload `{ actor? }`): the scheduler and `POST /decisions/propose` run it.
   * A request for a job already queued with the same payload joins it; `retrain` (what
   * `POST /models/retrain/:id` runs) also joins one already running, so three requests make one new version
   * (`joinRunning` changes that for any job).
   */
  job<P>(name: string, handler: JobHandler<P>, options?: JobOptions): void;
  /** Runs when the host starts, after every plugin has registered. */
  onStart(hook: () => void | Promise<void>): void;
  /** Runs when the host stops. */
  onStop(hook: () => void | Promise<void>): void;
}

/** What `definePlugin` takes: the plugin's id, version, supported core range, config schema, services, migrations and `register`. */
export interface PluginOptions<C extends z.ZodType, D extends ServiceRefs> {
  /** Unique id, lower-case words joined by dashes: `demand`, `acme-weather`. */
  id: string;
  /** The plugin package's own version. */
  version: string;
  /** Semver range of `@rfid3/core` the plugin works with; keep it equal to its peerDependencies range. */
  coreRange: string;
  description?: string;
  /** Validates the plugin's section of the host config; defaults fill in here. */
  configSchema?: C;
  /**
   * Services the plugin needs, by reference, resolved from its own container: core's services and what other
   * plugins `provide` (never another plugin's private bindings). The host refuses to load it if one is not bound.
   */
  requires?: D;
  /** Services the plugin binds with `env.provide`, so that plugins requiring them load after it. */
  provides?: ServiceRef<unknown>[];
  /**
   * Path prefixes outside `/<id>` under which its endpoints keep the design's paths as aliases (restock's
   * `/inventory`, pack's `/packs`). Known without loading the plugin, so a host can name the package to
   * install when such a path is asked for and the plugin is not loaded.
   */
  aliasPrefixes?: string[];
  /**
   * The plugin's own tables, migrated (in name order, tracked per plugin) before `register` runs. Each is told
   * the dialect and its portable column types; a plain Kysely `Migration` works too.
   */
  migrations?: PortableMigrations;
  /** Adds the plugin's endpoints, predictors, services, safeguards and jobs; runs once, when the host loads it. */
  register(env: PluginEnv<z.output<C>, ResolvedServices<D>>): void | Promise<void>;
}

/** A plugin as `definePlugin` makes it: its frozen options, branded so the host can recognise it. */
export type Plugin<C extends z.ZodType = z.ZodType, D extends ServiceRefs = ServiceRefs> = Readonly<PluginOptions<C, D>> & {
  readonly [PLUGIN_BRAND]: number;
};

/** A plugin as loaded: its id, version, source, core range, and what it added. */
export interface LoadedPlugin {
  id: string;
  version: string;
  description?: string;
  source?: string;
  coreRange: string;
  endpoints: number;
  predictors: string[];
  jobs: string[];
}

/** A plugin with any config and services, as the host holds them. */
// biome-ignore lint: a loaded plugin's generic parameters are not known to the host
export type AnyPlugin = Plugin<any, any>;

/** Makes a plugin: a plain named object with one `register` function (Backstage / Vite style). */
export function definePlugin<C extends z.ZodType = z.ZodType<Record<string, never>>, D extends ServiceRefs = {}>(options: PluginOptions<C, D>): Plugin<C, D> {
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(options.id)) {
    throw new TypeError(`plugin id '${options.id}' must be lower-case words joined by dashes`);
  }
  return Object.freeze({ ...options, [PLUGIN_BRAND]: PLUGIN_API_VERSION }) as Plugin<C, D>;
}

/** Whether a value is a plugin made by `definePlugin`. */
export function isPlugin(value: unknown): value is AnyPlugin {
  return typeof value === 'object' && value !== null && PLUGIN_BRAND in value;
}
