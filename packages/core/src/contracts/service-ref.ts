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
