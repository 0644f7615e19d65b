import { demandPlugin } from '@rfid3/plugin-demand';
import { startTestHost, type TestHost } from '@rfid3/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restockPlugin } from '../src/index.js';

interface Alert {
  rentalClass: string;
  severity: string;
  unitsOwned: number;
  peakBound: number;
  shortfall: number;
}

describe('restock endpoints on a simulated business', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startTestHost({
      plugins: [{ plugin: demandPlugin, config: { matchActualsEveryMinutes: 0 } }, restockPlugin],
      // The simulated fleet loses demand at its summer peak: the alerts have something to find in June.
      simulate: { items: 600, days: 420 },
    });
  });
  afterAll(() => host.close());

  it('alerts are classes whose service-level bound exceeds the units owned, most severe first', async () => {
    const res = await host.call('GET', '/inventory/restock-alerts');
    expect(res.status).toBe(200);
    const body = res.body as { alerts: Alert[]; counts: Record<string, number> };
    expect(body.alerts.length).toBeGreaterThan(0);
    const order = { critical: 0, high: 1, medium: 2 } as Record<string, number>;
    for (let i = 1; i < body.alerts.length; i++) expect(order[body.alerts[i - 1]!.severity]!).toBeLessThanOrEqual(order[body.alerts[i]!.severity]!);
    for (const a of body.alerts) expect(a.shortfall).toBe(a.peakBound - a.unitsOwned);
    expect(body.counts.critical + body.counts.high + body.counts.medium).toBe(body.alerts.length);
    await expect(host.call('GET', '/inventory/restock-alerts?severity=urgent')).rejects.toMatchObject({ status: 400, errors: [{ field: 'query.severity' }] });
  });

  it('recommendations carry velocity classes and record each purchase as a decision through the safeguards', async () => {
    const res = await host.call('GET', '/inventory/optimization-recommendations');
    const body = res.body as {
      recommendations: { rentalClass: string; action: string; quantity: number; unitCost: number; decision: { id: number; status: string; verdict: string; action: { quantity: number } } | null }[];
      velocity: { abc: string; xyz: string }[];
    };
    expect(new Set(body.velocity.map((v) => v.abc))).toEqual(new Set(['A', 'B', 'C']));
    const buys = body.recommendations.filter((r) => r.action === 'buy');
    expect(buys.length).toBeGreaterThan(0);
    for (const b of buys) {
      expect(b.decision).not.toBeNull();
      // The $5,000 cap holds on what is recorded.
      expect(b.decision!.action.quantity * b.unitCost).toBeLessThanOrEqual(5000 + 1e-6);
    }
    const rows = await host.runtime.database.db.selectFrom('automated_decisions').selectAll().where('decision_type', '=', 'restock').execute();
    expect(rows.map((r) => r.target_id).sort()).toEqual(buys.map((b) => b.rentalClass).sort());
    // Asking again does not record the same proposals twice.
    await host.call('GET', '/inventory/optimization-recommendations');
    expect((await host.runtime.database.db.selectFrom('automated_decisions').selectAll().where('decision_type', '=', 'restock').execute()).length).toBe(rows.length);
  });

  it('approve-restock needs the operate role and walks pending → approved → executed, or rejects with a reason', async () => {
    const pending = await host.runtime.database.db.selectFrom('automated_decisions').selectAll().where('decision_type', '=', 'restock').where('status', '=', 'pending').execute();
    expect(pending.length).toBeGreaterThan(0);
    const first = pending[0]!;
    await expect(host.call('POST', `/inventory/approve-restock/${first.target_id}`, { body: { action: 'approve' }, principal: host.principals.read })).rejects.toMatchObject({ status: 403 });
    const approved = await host.call('POST', `/inventory/approve-restock/${first.target_id}`, { body: { action: 'approve', decision_id: first.id, quantity: 1 }, principal: host.principals.operate });
    expect(approved.body).toMatchObject({ decision: { status: 'approved', decidedBy: 'test operate', humanOverride: { quantity: 1 } } });
    const executed = await host.call('POST', `/inventory/approve-restock/${first.target_id}`, { body: { action: 'execute', decision_id: first.id }, principal: host.principals.operate });
    expect(executed.body).toMatchObject({ decision: { status: 'executed' } });
    await expect(host.call('POST', `/inventory/approve-restock/${first.target_id}`, { body: { action: 'execute', decision_id: first.id }, principal: host.principals.operate })).rejects.toMatchObject({ status: 409 });
    if (pending[1]) {
      await expect(host.call('POST', `/inventory/approve-restock/${pending[1].target_id}`, { body: { action: 'reject' }, principal: host.principals.operate })).rejects.toMatchObject({ status: 400, errors: [{ field: 'body.reason' }] });
      const rejected = await host.call('POST', `/inventory/approve-restock/${pending[1].target_id}`, { body: { action: 'reject', decision_id: pending[1].id, reason: 'budget' }, principal: host.principals.operate });
      expect(rejected.body).toMatchObject({ decision: { status: 'rejected', overrideReason: 'budget' } });
    }
    await expect(host.call('POST', '/inventory/approve-restock/nope', { body: { action: 'approve' }, principal: host.principals.operate })).rejects.toMatchObject({ status: 404 });
  });
});
