/**
 * A typed reference to a service (Backstage's `createServiceRef`). Plugins name what they need by
 * reference, never by string at run time. The token is a registered symbol so that two copies of core
 * in one process still agree on identities.
 */
export interface ServiceRef<T> {
  readonly id: string;
  readonly token: symbol;
  /** Phantom field carrying the type; never set. */
  readonly __type?: T;
}

/** Makes a service reference from a dotted camelCase id (`core.database`, `demand.forecaster`). */
export function createServiceRef<T>(id: string): ServiceRef<T> {
  if (!/^[a-z][a-zA-Z0-9]*(\.[a-zA-Z][a-zA-Z0-9]*)*$/.test(id)) {
    throw new TypeError(`service id '${id}' must be dotted camelCase words, e.g. 'core.database' or 'demand.forecaster'`);
  }
  return Object.freeze({ id, token: Symbol.for(`rfid3.service:${id}`) });
}

/** The services a plugin requires, by the name it reads them under. */
export type ServiceRefs = Record<string, ServiceRef<unknown>>;
/** The services of `D`, resolved to their types. */
export type ResolvedServices<D extends ServiceRefs> = { [K in keyof D]: D[K] extends ServiceRef<infer T> ? T : never };

/**
 * How a plugin binds a service in its own container with `env.bind`: a value as it is, a class the container
 * constructs (an `@injectable()` class whose constructor parameters name their services with `@inject(ref.token)`),
 * or a factory given a resolver. A class or a factory is built once, when first asked for, and then shared.
 */
export type ServiceSource<T> =
  | {
      /** The service itself, bound as it is. */
      value: T;
    }
  | {
      /** An `@injectable()` class the container constructs, each constructor parameter named by `@inject(ref.token)`. */
      class: new (
        // biome-ignore lint: a class's constructor parameters are whatever its `@inject` decorators name
        ...args: any[]
      ) => T;
    }
  | {
      /** Builds the service; `get` resolves the services it is built from, as the plugin sees them. */
      factory: (get: <S>(ref: ServiceRef<S>) => S) => T;
    };
