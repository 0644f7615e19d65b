import { startTestHost, type TestHost } from '@rfid3/core/testing';
import demandPlugin from '@rfid3/plugin-demand';
import maintenancePlugin from '@rfid3/plugin-maintenance';
import packPlugin from '@rfid3/plugin-pack';
import pricingPlugin from '@rfid3/plugin-pricing';
import qualityPlugin from '@rfid3/plugin-quality';
import restockPlugin from '@rfid3/plugin-restock';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';

/**
 * Reads never write: after the demo's training and proposal jobs, an anonymous GET of every endpoint the
 * six plugins and core serve leaves the decision ledger exactly as it was (rows and transitions), while a
 * proposal POST does change it, so the check is able to see a write.
 */
describe('GET endpoints leave the decision ledger unchanged', { timeout: 600_000 }, () => {
  let host: TestHost;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    host = await startTestHost({ plugins: [demandPlugin, maintenancePlugin, qualityPlugin, pricingPlugin, restockPlugin, packPlugin], simulate: { items: 240, days: 400 } });
    for (const suffix of ['.retrain', '.backfill']) {
      for (const name of host.runtime.plugins.flatMap((p) => p.jobs).filter((n) => n.endsWith(suffix))) await host.runJob(name);
    }
    server = await new Promise<Server>((ok) => {
      const s = createApp(host.runtime).listen(0, '127.0.0.1', () => ok(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 600_000);
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
    await host?.close();
  });

  const ledger = async () => ({
    decisions: await host.runtime.database.db.selectFrom('automated_decisions').selectAll().orderBy('id').execute(),
    transitions: await host.runtime.database.db.selectFrom('rfid3_decision_transitions').selectAll().orderBy('id').execute(),
  });

  async function everyGet(): Promise<Map<string, number>> {
    const db = host.runtime.database.db;
    const tag = (await db.selectFrom('id_item_master').select('tag_id').orderBy('tag_id').executeTakeFirstOrThrow()).tag_id;
    const decision = await db.selectFrom('automated_decisions').select('id').orderBy('id').executeTakeFirst();
    const values: Record<string, string> = { item_id: tag, id: String(decision?.id ?? 1) };
    const statuses = new Map<string, number>();
    // Each path a GET answers on: its own under the plugin's id, and the design's path where that is an alias.
    const paths = host.runtime.endpoints
      .all()
      .filter(({ endpoint }) => endpoint.method === 'GET')
      .flatMap(({ endpoint }) => [endpoint.path, ...(endpoint.aliases ?? [])]);
    for (const declared of paths) {
      const path = declared.replace(/:([a-z_]+)/g, (_, name: string) => encodeURIComponent(values[name] ?? 'X1'));
      const res = await fetch(`${url}/api/predictive${path}`);
      await res.arrayBuffer();
      statuses.set(declared, res.status);
    }
    return statuses;
  }

  it('an anonymous GET of every endpoint, twice, leaves automated_decisions and its transitions as they were', async () => {
    // The proposal jobs, as the demo runs them: some decisions are open when the reads come.
    for (const name of host.runtime.plugins.flatMap((p) => p.jobs).filter((n) => n.endsWith('.propose'))) await host.runJob(name);
    const before = await ledger();
    expect(before.decisions.length).toBeGreaterThan(0);
    const statuses = await everyGet();
    await everyGet();
    const after = await ledger();
    expect(after.decisions.length).toBe(before.decisions.length);
    expect(after).toEqual(before);
    // The recommendation endpoints really answered (a 4xx would prove nothing about reads).
    for (const path of [
      '/inventory/optimization-recommendations',
      '/inventory/restock-alerts',
      '/pricing/recommendations',
      '/packs/recommendations',
      '/quality/replacement-recommendations',
      '/maintenance/schedule',
      '/decisions',
    ]) {
      expect(statuses.get(path), path).toBe(200);
    }
    expect([...statuses.values()].filter((s) => s >= 500)).toEqual([]);
  });

  it('a write is visible to the same comparison, and a proposal needs a key', async () => {
    const before = await ledger();
    const res = await fetch(`${url}/api/predictive/decisions/propose`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(await ledger()).toEqual(before);
    await host.runtime.decisions.propose({
      type: 'restock',
      target: { type: 'rental_class', id: 'READS-PROBE' },
      confidence: 0.7,
      quantity: 2,
      unitCostUsd: 50,
      amountUsd: 100,
      action: { quantity: 2 },
    });
    const after = await ledger();
    expect(after.decisions.length).toBe(before.decisions.length + 1);
    expect(after.transitions.length).toBeGreaterThan(before.transitions.length);
  });
});
