import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { demandPlugin } from '@rfid3/plugin-demand';
import { startTestHost, type TestHost } from '@rfid3/core/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hostDb } from '../src/host-tables.js';
import { HostScheduler } from '../src/ops/scheduler.js';
import { WebhookNotifier, signWebhook } from '../src/ops/webhooks.js';

/** A loopback webhook receiver that answers from a script of statuses. */
class Receiver {
  received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
  statuses: number[] = [];
  private server!: Server;
  url = '';
  async start() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body });
        res.writeHead(this.statuses.shift() ?? 200);
        res.end();
      });
    });
    await new Promise<void>((ok) => this.server.listen(0, '127.0.0.1', () => ok()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }
  stop() {
    this.server.closeAllConnections();
    return new Promise<void>((ok) => this.server.close(() => ok()));
  }
}

const SECRET = 'a-shared-secret-of-enough-length';

describe('webhooks and the scheduler', () => {
  let host: TestHost;
  let receiver: Receiver;
  let notifier: WebhookNotifier;

  beforeAll(async () => {
    host = await startTestHost({ plugins: [demandPlugin], simulate: { items: 200, days: 200 } });
  }, 120_000);
  afterAll(() => host?.close());
  beforeEach(async () => {
    receiver = new Receiver();
    await receiver.start();
    notifier = new WebhookNotifier(
      { urls: [receiver.url], secret: SECRET, retryMinMs: 5, retries: 3 },
      { database: host.runtime.database, clock: host.clock, logger: host.runtime.logger },
    );
  });
  afterEach(() => receiver.stop());

  it('signs each delivery with HMAC-SHA256, retries a 5xx, does not retry a 400, and sends a deduplicated event once', async () => {
    receiver.statuses = [500, 503, 200];
    const [d] = await notifier.notify('data-source.failed', { source: 'rfidpro', error: 'boom' });
    expect(d).toMatchObject({ status: 'delivered', attempts: 3 });
    const last = receiver.received.at(-1)!;
    expect(last.headers['x-rfid3-event']).toBe('data-source.failed');
    expect(last.headers['x-rfid3-signature']).toBe(signWebhook(SECRET, String(last.headers['x-rfid3-timestamp']), last.body));
    expect(signWebhook('another-secret-entirely!', String(last.headers['x-rfid3-timestamp']), last.body)).not.toBe(last.headers['x-rfid3-signature']);
    expect(JSON.parse(last.body)).toMatchObject({ event: 'data-source.failed', data: { source: 'rfidpro' } });

    receiver.statuses = [400];
    const [bad] = await notifier.notify('data-source.failed', { source: 'x' });
    expect(bad).toMatchObject({ status: 'failed', attempts: 1 });
    const stored = await hostDb(host.runtime.database).selectFrom('rfid3_webhook_deliveries').selectAll().where('id', '=', bad!.id).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ status: 'failed', attempts: 1 });

    const before = receiver.received.length;
    expect(await notifier.notify('accuracy.degraded', { model: 'm@1' }, { dedupeKey: 'm@1-2026-06-01' })).toHaveLength(1);
    expect(await notifier.notify('accuracy.degraded', { model: 'm@1' }, { dedupeKey: 'm@1-2026-06-01' })).toHaveLength(0);
    expect(receiver.received.length).toBe(before + 1);
  });

  it('notifies a high-value decision awaiting approval once, and not a small one', async () => {
    const scheduler = new HostScheduler(host.runtime, { notifier });
    const big = await host.runtime.decisions.propose({ type: 'restock', target: { type: 'rental_class', id: '61885' }, confidence: 0.7, amountUsd: 2500, action: { order: 50 } });
    const small = await host.runtime.decisions.propose({ type: 'restock', target: { type: 'rental_class', id: '61886' }, confidence: 0.7, amountUsd: 200, action: { order: 2 } });
    expect(big.status).toBe('pending');
    expect(big.requiresApproval).toBe(true);
    expect(await scheduler.checkDecisions()).toBe(1);
    expect(await scheduler.checkDecisions()).toBe(0);
    const sent = receiver.received.map((r) => JSON.parse(r.body) as { event: string; data: { decisionId: number } });
    expect(sent.map((s) => [s.event, s.data.decisionId])).toEqual([['decision.awaiting-approval', big.id]]);
    expect(small.amountUsd).toBe(200);
  });

  it('finds a model whose last week is much worse than its five weeks, and notifies it', async () => {
    const db = host.runtime.database.db;
    const day = (d: number) => `2026-05-${String(d).padStart(2, '0')}`;
    const rows = [];
    for (let i = 0; i < 40; i++) rows.push({ d: 1 + (i % 20), err: 1 });
    for (let i = 0; i < 30; i++) rows.push({ d: 26 + (i % 5), err: 6 });
    await db
      .insertInto('analytics_predictions')
      .values(
        rows.map((r, i) => ({
          prediction_type: 'probe',
          target_type: 'category',
          target_id: `t${i}`,
          prediction_date: `${day(r.d)} 00:00:00`,
          target_date: day(r.d),
          predicted_value: 10,
          confidence: 0.8,
          model_name: 'probe.model',
          model_version: 'probe.model@1',
          model_type: 'test',
          source: 'model',
          actual_value: 10 + r.err,
          absolute_error: r.err,
          created_at: `${day(r.d)} 00:00:00`,
        })),
      )
      .execute();
    const scheduler = new HostScheduler(host.runtime, { notifier });
    const degraded = await scheduler.checkAccuracy();
    expect(degraded.map((d) => d.model)).toContain('probe.model@1');
    expect(degraded.find((d) => d.model === 'probe.model@1')!.reason).toMatch(/MAE of the last 7 days 6\.00 is over 1\.5× the 35-day MAE 3\.14/);
    expect(receiver.received.map((r) => JSON.parse(r.body).event)).toContain('accuracy.degraded');
  });

  it('precomputes the common answers after a model is activated and nightly, so they are cache hits, with hit rates on /metrics', async () => {
    const scheduler = new HostScheduler(host.runtime);
    await scheduler.tick();
    const runs = () => host.runtime.metrics.total('rfid3_precompute_runs_total', { trigger: 'retrain' });
    expect(await runs()).toBe(0);
    await host.runtime.registry.register({ modelName: 'probe.activated', modelType: 'test', artifact: { a: 1 }, validation: { metric: 'mae', value: 1 } });
    await scheduler.tick();
    expect(await runs()).toBe(1);

    const result = await scheduler.precompute('nightly');
    const categories = await host.runtime.inventory.categories();
    expect(result.failed).toBe(0);
    expect(result.paths.filter((p) => p.startsWith('/demand/forecast?')).length).toBe(categories.length);
    const hitsBefore = host.runtime.cache.stats().l1.hits;
    await host.call('GET', `/demand/forecast?weeks=4&category=${encodeURIComponent(categories[0]!)}`);
    expect(host.runtime.cache.stats().l1.hits).toBeGreaterThan(hitsBefore);
    const text = await host.runtime.metrics.registry.metrics();
    expect(text).toMatch(/rfid3_cache_hit_ratio\{layer="l1"\} 0\.\d+/);
    expect(text).toMatch(/rfid3_precomputed_answers \d+/);
    await scheduler.stop();
  }, 120_000);
});
