import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { Clock, DatabaseHandle, Logger } from '@rfid3/core';
import pRetry, { AbortError } from 'p-retry';
import type { WebhookEvent } from '../config.js';
import { ensureHostTables, hostDb } from '../host-tables.js';

/** Where and how webhook events are sent. */
export interface WebhookConfig {
  urls: string[];
  /** HMAC-SHA256 key; without it deliveries are unsigned. */
  secret?: string;
  /** Which events to send (default all). */
  events?: WebhookEvent[];
  /** Decisions awaiting approval are sent from this amount up (default $1,000, the approval threshold). */
  highValueUsd?: number;
  retries?: number;
  retryMinMs?: number;
  timeoutMs?: number;
}

/** The outcome of sending one event to one URL. */
export interface Delivery {
  id: string;
  url: string;
  status: 'delivered' | 'failed';
  attempts: number;
  error?: string;
}

/** `sha256=<hex>` of `<timestamp>.<body>`: the receiver recomputes it with the shared secret and compares. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Sends signed webhook notifications to the configured URLs, retrying each with exponential backoff
 * (a 4xx other than 408/429 is not retried), and records every delivery in rfid3_webhook_deliveries.
 * A `dedupeKey` makes a notification go out once however often it is raised.
 */
export class WebhookNotifier {
  constructor(
    readonly config: WebhookConfig,
    private readonly deps: { database: DatabaseHandle; clock: Clock; logger: Logger; fetch?: typeof fetch },
  ) {}

  /** Whether this event is sent at all (URLs configured and the event selected). */
  wants(event: WebhookEvent): boolean {
    return this.config.urls.length > 0 && (!this.config.events || this.config.events.includes(event));
  }

  /** Sends the event to every URL, with retries, and records each delivery; nothing when the event is not wanted. */
  async notify(event: WebhookEvent, data: Record<string, unknown>, options: { dedupeKey?: string } = {}): Promise<Delivery[]> {
    if (!this.wants(event)) return [];
    await ensureHostTables(this.deps.database);
    const db = hostDb(this.deps.database);
    const now = this.deps.clock.now();
    const nowText = now.toISOString().slice(0, 19).replace('T', ' ');
    const deliveries: Delivery[] = [];
    for (const url of this.config.urls) {
      const id = options.dedupeKey ? hashUrl(`${event}\u0000${options.dedupeKey}\u0000${url}`) : randomUUID();
      if (options.dedupeKey && (await db.selectFrom('rfid3_webhook_deliveries').select('id').where('id', '=', id).executeTakeFirst())) continue;
      const body = JSON.stringify({ id, event, occurredAt: now.toISOString(), data });
      await db
        .insertInto('rfid3_webhook_deliveries')
        .values({ id, event, url, payload: body, status: 'pending', attempts: 0, last_error: null, created_at: nowText, delivered_at: null })
        .execute();
      let attempts = 0;
      let error: string | undefined;
      try {
        await pRetry(
          async () => {
            attempts++;
            const timestamp = String(Math.floor(Date.now() / 1000));
            const headers: Record<string, string> = {
              'content-type': 'application/json',
              'user-agent': 'rfid3-host',
              'x-rfid3-event': event,
              'x-rfid3-delivery': id,
              'x-rfid3-timestamp': timestamp,
            };
            if (this.config.secret) headers['x-rfid3-signature'] = signWebhook(this.config.secret, timestamp, body);
            const res = await (this.deps.fetch ?? fetch)(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.config.timeoutMs ?? 10_000) });
            if (res.ok) return;
            const e = new Error(`${url} answered ${res.status}`);
            if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) throw new AbortError(e);
            throw e;
          },
          { retries: this.config.retries ?? 4, minTimeout: this.config.retryMinMs ?? 1000, factor: 2 },
        );
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
        this.deps.logger.error({ err, event, url }, 'webhook delivery failed');
      }
      const status = error ? 'failed' : 'delivered';
      await db
        .updateTable('rfid3_webhook_deliveries')
        .set({ status, attempts, last_error: error ?? null, delivered_at: error ? null : this.deps.clock.now().toISOString().slice(0, 19).replace('T', ' ') })
        .where('id', '=', id)
        .execute();
      deliveries.push({ id, url, status, attempts, ...(error ? { error } : {}) });
    }
    return deliveries;
  }
}

function hashUrl(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 40);
}
