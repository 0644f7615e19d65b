import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_SAFEGUARD_SETTINGS,
  DecisionLedger,
  FakeClock,
  HttpProblem,
  applySafeguards,
  createRuntime,
  defaultSafeguards,
  isSuperseded,
  parseJsonColumn,
  silentLogger,
  type DecisionSafeguard,
  type ProposedDecision,
} from '../src/index.js';
import { externalServices } from '../src/testing/index.js';
import { databaseTargets, describeEach, useMigratedDatabase } from './support/targets.js';

const services = await externalServices();
afterAll(() => services.cleanup());

const guards = defaultSafeguards();

function restock(amountUsd: number | undefined, confidence = 0.95, over: Partial<ProposedDecision> = {}): ProposedDecision {
  return { type: 'restock', target: { type: 'rental_class', id: '61234' }, confidence, amountUsd, action: { order: '61234' }, ...over };
}

function priceChange(baselinePrice: number, proposedPrice: number, confidence = 0.95): ProposedDecision {
  return { type: 'price_change', target: { type: 'rental_class', id: '60020' }, confidence, baselinePrice, proposedPrice, action: { price: proposedPrice } };
}

const outcome = (r: ReturnType<typeof applySafeguards>, id: string) => r.outcomes.find((o) => o.safeguard === id);

describe('default safeguards (BRIEF §5)', () => {
  it('has the design’s numbers as defaults', () => {
    expect(DEFAULT_SAFEGUARD_SETTINGS).toEqual({ restockCapUsd: 5000, restockApprovalAboveUsd: 1000, maxPriceChange: 0.2, autoApproveAbove: 0.8, reviewAtOrAbove: 0.6 });
  });

  it('caps a restock at $5,000, recomputing the quantity from the unit cost', () => {
    const r = applySafeguards(restock(8000, 0.95, { quantity: 53, unitCostUsd: 150, action: { order: '61234', quantity: 53 } }), guards);
    expect(r.decision.quantity).toBe(33); // floor(5000 / 150)
    expect(r.decision.amountUsd).toBe(4950); // 33 × $150, not more than the cap
    expect(r.decision.action).toEqual({ order: '61234', quantity: 33 });
    expect(outcome(r, 'restock-cap')).toEqual({ safeguard: 'restock-cap', verdict: 'review', reason: 'order of $8,000 capped at $5,000' });
    expect(r.verdict).toBe('review');
  });

  it('sends a restock above $5,000 to a manual decision when it states nothing to cap (no quantity, no unit cost)', () => {
    const r = applySafeguards(restock(12_345.67), guards);
    expect(r.verdict).toBe('manual');
    expect(outcome(r, 'restock-cap')?.reason).toContain('states no quantity');
  });

  it('also caps the ordered quantity when the unit cost is implied by amount and quantity', () => {
    // $8,000 for 80 units is $100 a unit: the action must not still order 80.
    const r = applySafeguards(restock(8000, 0.95, { quantity: 80, action: { order: '61234', quantity: 80 } }), guards);
    expect(r.decision.amountUsd).toBeLessThanOrEqual(5000);
    expect(Number(r.decision.action.quantity) * 100).toBeLessThanOrEqual(5000);
  });

  it('leaves a restock of exactly $5,000 uncapped', () => {
    const r = applySafeguards(restock(5000, 0.95, { quantity: 50, unitCostUsd: 100, action: { quantity: 50 } }), guards);
    expect(outcome(r, 'restock-cap')).toBeUndefined();
    expect(r.decision.action).toEqual({ quantity: 50 });
    expect(outcome(r, 'restock-approval')!.verdict).toBe('review');
  });

  it('needs approval above $1,000 and never auto-approves it, even at confidence 0.95', () => {
    const r = applySafeguards(restock(1000.01, 0.95), guards);
    expect(r.verdict).toBe('review');
    expect(outcome(r, 'restock-approval')).toEqual({ safeguard: 'restock-approval', verdict: 'review', reason: 'order of $1,000.01 is above $1,000: needs human approval' });
    expect(outcome(r, 'confidence-gate')!.verdict).toBe('auto_approve');
  });

  it('auto-approves a confident restock of exactly $1,000', () => {
    const r = applySafeguards(restock(1000, 0.95), guards);
    expect(r.verdict).toBe('auto_approve');
    expect(r.outcomes.map((o) => o.safeguard)).toEqual(['confidence-gate']);
  });

  it('sends a restock that states no amount to a manual decision', () => {
    const r = applySafeguards(restock(undefined, 0.99), guards);
    expect(r.verdict).toBe('manual');
    expect(outcome(r, 'restock-cap')!.reason).toBe('restock decision states no amount');
  });

  it('caps a price change at ±20 % of the baseline', () => {
    const up = applySafeguards(priceChange(100, 130), guards);
    expect(up.decision.proposedPrice).toBe(120);
    expect(up.decision.action).toEqual({ price: 120 });
    expect(up.verdict).toBe('review');
    expect(outcome(up, 'price-change-cap')!.reason).toBe('price $130 is more than 20 % from $100; capped at $120');
    const down = applySafeguards(priceChange(45, 20), guards);
    expect(down.decision.proposedPrice).toBe(36);
    expect(down.verdict).toBe('review');
    const inside = applySafeguards(priceChange(100, 119.99), guards);
    expect(outcome(inside, 'price-change-cap')).toBeUndefined();
    expect(inside.verdict).toBe('auto_approve');
  });

  it('allows a price change of exactly 20 % whatever the baseline', () => {
    for (const [baseline, proposed] of [
      [100, 120],
      [100, 80],
      [3, 3.6],
      [0.75, 0.9],
      [7, 5.6],
    ] as const) {
      const r = applySafeguards(priceChange(baseline, proposed), guards);
      expect(outcome(r, 'price-change-cap'), `${baseline} → ${proposed}`).toBeUndefined();
      expect(r.verdict).toBe('auto_approve');
    }
  });

  it('never lets a capped price end up beyond the cap by rounding to cents', () => {
    const r = applySafeguards(priceChange(19.99, 40), guards);
    expect(r.decision.proposedPrice! / 19.99 - 1).toBeLessThanOrEqual(0.2);
  });

  it('sends a price change without a positive baseline to a manual decision', () => {
    expect(applySafeguards(priceChange(0, 10), guards).verdict).toBe('manual');
    expect(applySafeguards({ ...priceChange(10, 11), proposedPrice: undefined }, guards).verdict).toBe('manual');
  });

  it('gates on confidence: > 0.8 auto-approves, 0.6–0.8 is reviewed, < 0.6 is manual, boundaries included as stated', () => {
    const verdict = (confidence: number) => applySafeguards({ type: 'maintenance', target: { type: 'item', id: 'T1' }, confidence, action: {} }, guards).verdict;
    expect(verdict(0.95)).toBe('auto_approve');
    expect(verdict(0.8000001)).toBe('auto_approve');
    expect(verdict(0.8)).toBe('review');
    expect(verdict(0.7)).toBe('review');
    expect(verdict(0.6)).toBe('review');
    expect(verdict(0.5999999)).toBe('manual');
    expect(verdict(0)).toBe('manual');
    expect(verdict(Number.NaN)).toBe('manual');
    expect(verdict(1.2)).toBe('manual');
    const reasons = applySafeguards({ type: 'maintenance', target: { type: 'item', id: 'T1' }, confidence: 0.8, action: {} }, guards).outcomes;
    expect(reasons).toEqual([{ safeguard: 'confidence-gate', verdict: 'review', reason: 'confidence 0.80 in [0.6, 0.8]: flagged for review' }]);
  });

  it('takes the most restrictive verdict of all safeguards', () => {
    expect(applySafeguards(restock(500, 0.5), guards).verdict).toBe('manual');
    expect(applySafeguards(priceChange(10, 20, 0.7), guards).verdict).toBe('review');
    const reject: DecisionSafeguard = { id: 'freeze', check: () => ({ verdict: 'reject', reason: 'purchasing frozen' }) };
    expect(applySafeguards(restock(10, 0.99), [...guards, reject]).verdict).toBe('reject');
  });

  it('uses custom settings when a deployment changes them', () => {
    const custom = defaultSafeguards({ restockCapUsd: 2000, restockApprovalAboveUsd: 250, maxPriceChange: 0.1, autoApproveAbove: 0.9, reviewAtOrAbove: 0.75 });
    const capped = applySafeguards(restock(3000, 0.95, { quantity: 30, unitCostUsd: 100, action: { quantity: 30 } }), custom);
    expect(capped.decision.action).toEqual({ quantity: 20 });
    expect(capped.decision.amountUsd).toBe(2000);
    expect(applySafeguards(restock(300, 0.95), custom).verdict).toBe('review');
    expect(applySafeguards(restock(250, 0.95), custom).verdict).toBe('auto_approve');
    expect(applySafeguards(priceChange(100, 115), custom).decision.proposedPrice).toBe(110);
    expect(applySafeguards(restock(100, 0.85), custom).verdict).toBe('review');
    expect(applySafeguards(restock(100, 0.74), custom).verdict).toBe('manual');
    expect(applySafeguards(restock(100, 0.91), custom).verdict).toBe('auto_approve');
  });

  it('applies the runtime config’s safeguard settings to the ledger it binds', async () => {
    const runtime = await createRuntime({ config: { safeguards: { restockApprovalAboveUsd: 100 } }, logger: silentLogger() });
    try {
      const d = await runtime.decisions.propose(restock(150, 0.95));
      expect(d.status).toBe('pending');
      expect(d.verdict).toBe('review');
    } finally {
      await runtime.close();
    }
  });
});

describeEach(databaseTargets(services), 'DecisionLedger', (target) => {
  let clock: FakeClock;
  let ledger: DecisionLedger;
  const db = useMigratedDatabase(target.url, ['automated_decisions']);
  beforeEach(() => {
    clock = new FakeClock('2026-04-10T15:00:00Z');
    ledger = new DecisionLedger({ database: db.handle, clock, safeguards: defaultSafeguards() });
  });

  it('records an auto-approved decision with its verdict and reasons', async () => {
    const d = await ledger.propose(restock(400, 0.9, { predictedImpact: 120, modelVersion: 'restock.reorder@2', rationale: 'peak in June', action: { order: '61234', quantity: 4 } }));
    expect(d).toMatchObject({
      decisionType: 'restock',
      target: { type: 'rental_class', id: '61234' },
      confidence: 0.9,
      amountUsd: 400,
      predictedImpact: 120,
      actualImpact: null,
      action: { order: '61234', quantity: 4 },
      originalAction: null,
      verdict: 'auto_approve',
      requiresApproval: false,
      autoApproved: true,
      status: 'approved',
      decidedBy: 'auto',
      decidedAt: '2026-04-10 15:00:00',
      modelVersion: 'restock.reorder@2',
      rationale: 'peak in June',
      createdAt: '2026-04-10 15:00:00',
    });
    expect(d.safeguards).toEqual([{ safeguard: 'confidence-gate', verdict: 'auto_approve', reason: 'confidence 0.90 > 0.8' }]);
    const row = await db.handle.db.selectFrom('automated_decisions').selectAll().where('id', '=', d.id).executeTakeFirstOrThrow();
    expect(row.safeguard_verdict).toBe('auto_approve');
    expect(row.status).toBe('approved');
    expect(Number(row.auto_approved)).toBe(1);
    expect(Number(row.requires_approval)).toBe(0);
    expect(parseJsonColumn(row.safeguard_reasons)).toEqual(d.safeguards);
  });

  it('records a capped decision as pending, keeping the model’s original action', async () => {
    const d = await ledger.propose(restock(9000, 0.95, { quantity: 90, unitCostUsd: 100, action: { order: '61234', quantity: 90 } }));
    expect(d.status).toBe('pending');
    expect(d.verdict).toBe('review');
    expect(d.requiresApproval).toBe(true);
    expect(d.autoApproved).toBe(false);
    expect(d.decidedBy).toBeNull();
    expect(d.amountUsd).toBe(5000);
    expect(d.action).toEqual({ order: '61234', quantity: 50 });
    expect(d.originalAction).toEqual({ order: '61234', quantity: 90 });
    expect(d.safeguards.map((s) => s.safeguard)).toEqual(['restock-cap', 'restock-approval', 'confidence-gate']);
  });

  it('records a decision a safeguard rejects as rejected by the safeguard', async () => {
    const frozen = new DecisionLedger({ database: db.handle, clock, safeguards: [{ id: 'freeze', check: () => ({ verdict: 'reject', reason: 'purchasing frozen' }) }] });
    const d = await frozen.propose(restock(10, 0.99));
    expect(d).toMatchObject({ status: 'rejected', verdict: 'reject', decidedBy: 'safeguard', requiresApproval: true, autoApproved: false });
  });

  it('moves pending → approved → executed, and pending → rejected, and approved → failed', async () => {
    const a = await ledger.propose(restock(2000, 0.7));
    expect(a.status).toBe('pending');
    clock.advance({ ms: 3_600_000 });
    const approved = await ledger.approve(a.id, 'alice');
    expect(approved).toMatchObject({ status: 'approved', decidedBy: 'alice', decidedAt: '2026-04-10 16:00:00', humanOverride: null });
    clock.advance({ days: 1 });
    const executed = await ledger.markExecuted(a.id);
    expect(executed).toMatchObject({ status: 'executed', executedAt: '2026-04-11 16:00:00', updatedAt: '2026-04-11 16:00:00' });

    const b = await ledger.propose(restock(3000, 0.7));
    const rejected = await ledger.reject(b.id, 'bob', 'we sub-rent instead');
    expect(rejected).toMatchObject({ status: 'rejected', decidedBy: 'bob', overrideReason: 'we sub-rent instead' });

    const c = await ledger.propose(restock(100, 0.95)); // auto-approved
    const failed = await ledger.markFailed(c.id, 'supplier out of stock');
    expect(failed).toMatchObject({ status: 'failed', failureReason: 'supplier out of stock' });

    expect((await ledger.list({ status: 'executed' })).map((d) => d.id)).toEqual([a.id]);
    expect((await ledger.list({ type: 'restock' })).map((d) => d.id)).toEqual([c.id, b.id, a.id]);
  });

  it('refuses illegal transitions with a 409 problem, and unknown decisions with a 404', async () => {
    const p = await ledger.propose(restock(2000, 0.7));
    const expectProblem = async (promise: Promise<unknown>, status: number, detail: RegExp) => {
      const err = await promise.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(HttpProblem);
      expect((err as HttpProblem).status).toBe(status);
      expect((err as HttpProblem).detail).toMatch(detail);
    };
    await expectProblem(ledger.markExecuted(p.id), 409, /is pending; it cannot become executed/);
    await expectProblem(ledger.markFailed(p.id, 'x'), 409, /is pending; it cannot become failed/);
    await ledger.approve(p.id, 'alice');
    await expectProblem(ledger.approve(p.id, 'alice'), 409, /is approved; it cannot become approved/);
    await expectProblem(ledger.reject(p.id, 'bob', 'late'), 409, /is approved; it cannot become rejected/);
    await ledger.markExecuted(p.id);
    await expectProblem(ledger.markFailed(p.id, 'x'), 409, /is executed; it cannot become failed/);
    const r = await ledger.propose(restock(2000, 0.7));
    await ledger.reject(r.id, 'bob', 'no');
    await expectProblem(ledger.approve(r.id, 'alice'), 409, /is rejected; it cannot become approved/);
    await expectProblem(ledger.approve(99_999, 'alice'), 404, /decision 99999 does not exist/);
    await expectProblem(ledger.recordActualImpact(99_999, 1), 404, /does not exist/);
    expect((await ledger.get(p.id))!.status).toBe('executed');
  });

  it('keeps both the proposed action and the human override on an approval with override', async () => {
    const p = await ledger.propose(restock(9000, 0.95, { quantity: 90, unitCostUsd: 100, action: { order: '61234', quantity: 90 } }));
    const approved = await ledger.approve(p.id, 'carol', { action: { order: '61234', quantity: 30 }, reason: 'budget for June' });
    expect(approved.status).toBe('approved');
    expect(approved.action).toEqual({ order: '61234', quantity: 50 });
    expect(approved.originalAction).toEqual({ order: '61234', quantity: 90 });
    expect(approved.humanOverride).toEqual({ order: '61234', quantity: 30 });
    expect(approved.overrideReason).toBe('budget for June');
    expect(approved.decidedBy).toBe('carol');
  });

  it('records the actual impact later, beside the predicted one', async () => {
    const p = await ledger.propose(restock(400, 0.9, { predictedImpact: 250.5 }));
    await ledger.markExecuted(p.id);
    clock.advance({ days: 30 });
    const withImpact = await ledger.recordActualImpact(p.id, 198.25);
    expect(withImpact).toMatchObject({ predictedImpact: 250.5, actualImpact: 198.25, status: 'executed', updatedAt: '2026-05-10 15:00:00' });
  });
  it('proposeCurrent keeps one current decision per target: the same proposal is returned, a changed one supersedes the open one', async () => {
    const q = (quantity: number, amountUsd = quantity * 100, confidence = 0.7): ProposedDecision =>
      restock(amountUsd, confidence, { target: { type: 'rental_class', id: '70001' }, quantity, unitCostUsd: 100, modelVersion: 'restock.test@1', action: { buy: quantity } });
    const first = await ledger.proposeCurrent(q(3));
    expect(first.status).toBe('pending');
    // Reading again: the same record, nothing new.
    expect((await ledger.proposeCurrent(q(3))).id).toBe(first.id);
    // A changed proposal: the pending one is rejected, naming the new one.
    const second = await ledger.proposeCurrent(q(4));
    expect(second.id).not.toBe(first.id);
    expect(await ledger.get(first.id)).toMatchObject({ status: 'rejected', decidedBy: 'superseded', overrideReason: `superseded by decision ${second.id}` });
    expect(isSuperseded((await ledger.get(first.id))!)).toBe(true);
    // A human rejection stands while the proposal is the same.
    await ledger.reject(second.id, 'dana', 'no budget');
    expect((await ledger.proposeCurrent(q(4))).id).toBe(second.id);
    // An auto-approved decision that is replaced fails, and one a human approved is left alone.
    const auto = await ledger.proposeCurrent(q(5, 500, 0.95));
    expect(auto.status).toBe('approved');
    const third = await ledger.proposeCurrent(q(6, 600, 0.95));
    expect(await ledger.get(auto.id)).toMatchObject({ status: 'failed', failureReason: `superseded by decision ${third.id}` });
    const humanApproved = await ledger.proposeCurrent(q(7));
    await ledger.approve(humanApproved.id, 'erin');
    expect(await ledger.get(third.id)).toMatchObject({ status: 'failed' });
    // No proposal any more: the open ones close, a human approval stays.
    const pending = await ledger.proposeCurrent(q(8));
    expect(await ledger.proposeCurrent(null, { type: 'restock', targetId: '70001', modelVersion: 'restock.test@1' })).toBeNull();
    expect(await ledger.get(pending.id)).toMatchObject({ status: 'rejected', overrideReason: 'superseded: the model no longer proposes it' });
    expect((await ledger.get(humanApproved.id))!.status).toBe('approved');
    // Another model version's decisions of the same target are not touched.
    const other = await ledger.propose({ ...q(9), modelVersion: 'other@1' });
    await ledger.proposeCurrent(q(10));
    expect((await ledger.get(other.id))!.status).toBe('pending');
    // After a superseded latest, proposing its action again records a new decision.
    const again = await ledger.proposeCurrent(q(8));
    expect(again.id).toBeGreaterThan(pending.id);
    const rows = await db.handle.db.selectFrom('automated_decisions').select(['id', 'status']).where('target_id', '=', '70001').where('status', '=', 'pending').execute();
    expect(rows.filter((r) => r.id !== other.id).map((r) => r.id)).toEqual([again.id]);
  });
});
