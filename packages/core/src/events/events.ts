import type { Logger } from '../observability/logger.js';

/** Some source data changed: ingested scans, imported POS rows, a vendor poll. Subscribers invalidate what it touches. */
export interface DataChangedEvent {
  /** Who changed it: `ingest.scans`, `ingest.pos`, `import.por`, `poller.rfidpro`, … */
  source: string;
  /** Tables written, e.g. `id_transactions`, `id_item_master`, `pos_transactions`. */
  tables: string[];
  itemIds?: string[];
  rentalClasses?: string[];
  stores?: string[];
  /** First and last day (ISO date) of the changed rows, when known. */
  from?: string;
  to?: string;
}

/**
 * The runtime's events by name. Third parties add their own by declaration merging:
 * `declare module '@rfid3/core' { interface RuntimeEventMap { 'acme-thing': AcmeEvent } }`.
 */
export interface RuntimeEventMap {
  'data-changed': DataChangedEvent;
}

/** The name of a runtime event. */
export type RuntimeEventName = keyof RuntimeEventMap & string;
/** A listener of one runtime event; it may be async (`emit` waits for it). */
export type RuntimeEventListener<K extends RuntimeEventName> = (event: RuntimeEventMap[K]) => void | Promise<void>;

/** What an `emit` reached: how many listeners, and how many of them failed. */
export interface EmitResult {
  listeners: number;
  /** Listeners that threw or rejected; the error is logged and never reaches the emitter. */
  failed: number;
}

/**
 * A typed in-process event bus. `emit` waits for every listener (so an ingest answers only after the
 * caches it touched are invalidated); a failing listener is logged and does not stop the others.
 */
export class EventBus {
  private readonly listeners = new Map<string, Set<(event: unknown) => void | Promise<void>>>();
  private readonly relays = new Set<(name: RuntimeEventName, event: unknown) => void>();

  constructor(private readonly options: { logger?: Logger } = {}) {}

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends RuntimeEventName>(name: K, listener: RuntimeEventListener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    const fn = listener as (event: unknown) => void | Promise<void>;
    set.add(fn);
    return () => {
      set.delete(fn);
    };
  }

  /** Unsubscribes a listener. */
  off<K extends RuntimeEventName>(name: K, listener: RuntimeEventListener<K>): void {
    this.listeners.get(name)?.delete(listener as (event: unknown) => void | Promise<void>);
  }

  /** How many listeners an event has. */
  listenerCount(name: RuntimeEventName): number {
    return this.listeners.get(name)?.size ?? 0;
  }

  /** Forwards every event emitted here (not those delivered from other hosts) to `fn`: how hosts share events. */
  relay(fn: (name: RuntimeEventName, event: unknown) => void): () => void {
    this.relays.add(fn);
    return () => {
      this.relays.delete(fn);
    };
  }

  /** Sends an event to the relays (other hosts) and to every listener here, and waits for the listeners. */
  async emit<K extends RuntimeEventName>(name: K, event: RuntimeEventMap[K]): Promise<EmitResult> {
    for (const fn of this.relays) fn(name, event);
    return this.deliver(name, event);
  }

  /** Delivers an event another host emitted, to this host's listeners only. */
  deliverFromPeer<K extends RuntimeEventName>(name: K, event: RuntimeEventMap[K]): Promise<EmitResult> {
    return this.deliver(name, event);
  }

  private async deliver<K extends RuntimeEventName>(name: K, event: RuntimeEventMap[K]): Promise<EmitResult> {
    const set = this.listeners.get(name);
    if (!set || set.size === 0) return { listeners: 0, failed: 0 };
    // A copy, so that a listener unsubscribing while we iterate does not skip another.
    const results = await Promise.allSettled([...set].map(async (fn) => fn(event)));
    let failed = 0;
    for (const r of results) {
      if (r.status === 'rejected') {
        failed++;
        this.options.logger?.error({ err: r.reason, event: name }, 'event listener failed');
      }
    }
    return { listeners: results.length, failed };
  }

  /** Drops every listener (when the runtime closes). */
  removeAll(): void {
    this.listeners.clear();
    this.relays.clear();
  }
}
