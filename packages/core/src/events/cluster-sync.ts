import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { importPeer } from '../optional-peers.js';
import type { LayeredCache } from '../cache/cache.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import type { EventBus, RuntimeEventMap, RuntimeEventName } from './events.js';
import type { Logger } from '../observability/logger.js';

type Message =
  | { type: 'event'; name: RuntimeEventName; event: unknown; dataVersion?: number }
  | { type: 'model-activated'; modelName: string }
  | { type: 'cache-dropped'; prefix: string };

/** An event as a peer host published it: a name and that event's payload (the peer runs the same code). */
type PeerEvent<K extends RuntimeEventName = RuntimeEventName> = { [N in K]: { type: 'event'; name: N; event: RuntimeEventMap[N]; dataVersion?: number } }[K];
/** A message as received: what `publish` sends, read with each event's payload typed by its name. */
type Received = (PeerEvent | Exclude<Message, { type: 'event' }>) & { from?: string };

export interface ClusterSyncOptions {
  redisUrl: string;
  /** The channel, and the start of the data-version key; hosts of one deployment share it. */
  prefix: string;
  logger: Logger;
  events: EventBus;
  registry: ModelRegistry;
  cache: LayeredCache;
  /** Told the shared data version (bumped on every `data-changed`), which the BullMQ runner's job ids carry. */
  onDataVersion?: (version: number) => void;
}

/**
 * Keeps several hosts on one Redis in the same state: what one host emits (`data-changed`), activates (a
 * model version) or invalidates (cached answers) is published, and every other host drops the L1 entries
 * and active-model copies it touches. Redis pub/sub delivers in milliseconds; a host that was away misses
 * messages, and its copies expire on their own TTLs (the active model's within 10 s).
 */
export class ClusterSync {
  readonly hostId = randomUUID();
  private readonly channel: string;
  private readonly dataVersionKey: string;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly unrelay: () => void;

  private constructor(
    private readonly options: ClusterSyncOptions,
    RedisClient: typeof Redis,
  ) {
    this.channel = options.prefix;
    this.dataVersionKey = `${options.prefix}:data-version`;
    const connect = () => {
      const r = new RedisClient(options.redisUrl, { maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(n * 200, 2000) });
      r.on('error', () => undefined);
      return r;
    };
    this.pub = connect();
    this.sub = connect();
    this.sub.on('message', (_channel: string, raw: string) => void this.receive(raw));
    this.unrelay = options.events.relay((name, event) => void this.eventEmitted(name, event));
    options.registry.onActivate((info, origin) => {
      if (origin === 'local') this.publish({ type: 'model-activated', modelName: info.modelName });
    });
    options.cache.onDeletePrefix((prefix) => this.publish({ type: 'cache-dropped', prefix }));
  }

  /** Subscribes to the other hosts' messages (a Redis away at start is logged; ioredis resubscribes). */
  static async open(options: ClusterSyncOptions): Promise<ClusterSync> {
    const { Redis: RedisClient } = await importPeer('ioredis', 'cluster sync over Redis (redisUrl)', () => import('ioredis'));
    const sync = new ClusterSync(options, RedisClient);
    try {
      await sync.sub.subscribe(sync.channel);
      const v = await sync.pub.get(sync.dataVersionKey);
      if (v !== null) options.onDataVersion?.(Number(v));
    } catch (err) {
      // Redis away at start: each host keeps its own state until it is back (ioredis resubscribes).
      options.logger.warn({ err }, 'cannot subscribe to the other hosts’ events yet');
    }
    return sync;
  }

  /** Unsubscribes and closes the Redis connections. */
  async close(): Promise<void> {
    this.unrelay();
    await Promise.allSettled([this.sub.quit(), this.pub.quit()]);
  }

  private async eventEmitted(name: RuntimeEventName, event: unknown): Promise<void> {
    let dataVersion: number | undefined;
    if (name === 'data-changed') {
      try {
        dataVersion = await this.pub.incr(this.dataVersionKey);
        this.options.onDataVersion?.(dataVersion);
      } catch (err) {
        this.options.logger.warn({ err }, 'cannot bump the shared data version');
      }
    }
    this.publish({ type: 'event', name, event, ...(dataVersion !== undefined ? { dataVersion } : {}) });
  }

  private publish(message: Message): void {
    this.pub.publish(this.channel, JSON.stringify({ from: this.hostId, ...message })).catch((err: unknown) => {
      this.options.logger.warn({ err, message: message.type }, 'cannot tell the other hosts');
    });
  }

  private deliverPeerEvent<K extends RuntimeEventName>(m: PeerEvent<K>) {
    return this.options.events.deliverFromPeer(m.name, m.event);
  }

  private async receive(raw: string): Promise<void> {
    let m: Received;
    try {
      m = JSON.parse(raw);
    } catch {
      return;
    }
    if (m.from === this.hostId) return;
    try {
      if (m.type === 'event') {
        if (m.dataVersion !== undefined) this.options.onDataVersion?.(m.dataVersion);
        await this.deliverPeerEvent(m);
      } else if (m.type === 'model-activated') {
        await this.options.registry.activatedElsewhere(m.modelName);
      } else if (m.type === 'cache-dropped') {
        this.options.cache.dropLocal(m.prefix);
      }
    } catch (err) {
      this.options.logger.warn({ err, message: m.type }, 'could not apply another host’s change');
    }
  }
}
