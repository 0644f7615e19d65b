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
  systemActor,
  type DecisionActor,
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
    expect(DEFAULT_SAFEGUARD_SETTINGS).toEqual({
      restockCapUsd: 5000,
      restockApprovalAboveUsd: 1000,
      maxPriceChange: 0.2,
      autoApproveAbove: 0.8,
      reviewAtOrAbove: 0.6,
      secondApproverAtOrAboveUsd: 1000,
    });
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
    expect(outcome(r, 'second-approver')!.verdict).toBe('review');
  });

  it('needs approval above $1,000 and never auto-approves it, even at confidence 0.95', () => {
    const r = applySafeguards(restock(1000.01, 0.95), guards);
    expect(r.verdict).toBe('review');
    expect(outcome(r, 'restock-approval')).toEqual({ safeguard: 'restock-approval', verdict: 'review', reason: 'order of $1,000.01 is above $1,000: needs human approval' });
    expect(outcome(r, 'confidence-gate')!.verdict).toBe('auto_approve');
  });

  it('auto-approves a confident restock just under $1,000, and sends one of exactly $1,000 (the four-eyes amount) to a person', () => {
    const under = applySafeguards(restock(999.99, 0.95), guards);
    expect(under.verdict).toBe('auto_approve');
    expect(under.outcomes.map((o) => o.safeguard)).toEqual(['confidence-gate']);
    const at = applySafeguards(restock(1000, 0.95), guards);
    expect(at.verdict).toBe('review');
    expect(at.outcomes.map((o) => o.safeguard)).toEqual(['second-approver', 'confidence-gate']);
  });

  it('fails closed: a safeguard that throws sends the decision to a manual decision, and so does a type no safeguard judges', () => {
    const broken: DecisionSafeguard = {
      id: 'needs-cost',
      check: () => {
        throw new Error('no unit cost table');
      },
    };
    const r = applySafeguards(restock(10, 0.99), [...guards, broken]);
    expect(r.verdict).toBe('manual');
    expect(outcome(r, 'needs-cost')!.reason).toContain('could not evaluate (no unit cost table)');
    const nobody = applySafeguards(restock(10, 0.99), [{ id: 'prices-only', appliesTo: ['price_change'], check: () => null }]);
    expect(nobody.verdict).toBe('manual');
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
    const custom = defaultSafeguards({
      restockCapUsd: 2000,
      restockApprovalAboveUsd: 250,
      maxPriceChange: 0.1,
      autoApproveAbove: 0.9,
      reviewAtOrAbove: 0.75,
      secondApproverAtOrAboveUsd: 1500,
    });
    const capped = applySafeguards(restock(3000, 0.95, { quantity: 30, unitCostUsd: 100, action: { quantity: 30 } }), custom);
    expect(capped.decision.action).toEqual({ quantity: 20 });
    expect(capped.decision.amountUsd).toBe(2000);
    expect(applySafeguards(restock(300, 0.95), custom).verdict).toBe('review');
    expect(applySafeguards(restock(250, 0.95), custom).verdict).toBe('auto_approve');
    expect(outcome(applySafeguards(restock(1500, 0.95), custom), 'second-approver')!.verdict).toBe('review');
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
  const db = useMigratedDatabase(target.url, ['automated_decisions', 'rfid3_decision_transitions']);
  beforeEach(() => {
    clock = new FakeClock('2026-04-10T15:00:00Z');
    ledger = new DecisionLedger(db.handle, clock, { safeguards: defaultSafeguards() });
  });
  const key = (name: string, role: DecisionActor['role'], approveLimitUsd: number | null = null): DecisionActor => ({ name, keyId: `k-${name}`, role, approveLimitUsd });
  const alice = key('alice', 'approve');
  const bob = key('bob', 'approve');
  const olga = key('olga', 'operate');
  const expectProblem = async (promise: Promise<unknown>, status: number, detail: RegExp) => {
    const err = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HttpProblem);
    expect((err as HttpProblem).status).toBe(status);
    expect((err as HttpProblem).detail).toMatch(detail);
    return err as HttpProblem;
  };

  it('records an auto-approved decision with its verdict, reasons and proposer', async () => {
    const d = await ledger.propose(
      restock(400, 0.9, { predictedImpact: 120, modelVersion: 'restock.reorder@2', rationale: 'peak in June', action: { order: '61234', quantity: 4 } }),
    );
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
      open: true,
      proposedBy: 'model',
      decidedBy: 'auto',
      decidedAt: '2026-04-10 15:00:00',
      modelVersion: 'restock.reorder@2',
      rationale: 'peak in June',
      createdAt: '2026-04-10 15:00:00',
    });
    expect(d.safeguards).toEqual([{ safeguard: 'confidence-gate', verdict: 'auto_approve', reason: 'confidence 0.90 > 0.8' }]);
    const row = await db.handle.db.selectFrom('automated_decisions').selectAll().where('id', '=', d.id).executeTakeFirstOrThrow();
    expect(row.safeguard_verdict).toBe('auto_approve');
    expect(Number(row.auto_approved)).toBe(1);
    expect(parseJsonColumn(row.safeguard_reasons)).toEqual(d.safeguards);
    expect(await ledger.transitions(d.id)).toMatchObject([
      { action: 'propose', from: null, to: 'approved', actor: 'model (auto-approved)', actorRole: 'system', amountAfter: 400 },
    ]);
  });

  it('records the amount a decision spends: quantity × unit cost, whatever amount the model stated', async () => {
    const d = await ledger.propose(restock(1, 0.7, { quantity: 3, unitCostUsd: 256.41, action: { order: '61234', quantity: 3 } }));
    expect(d.amountUsd).toBe(769.23);
    expect(d).toMatchObject({ quantity: 3, unitCostUsd: 256.41, status: 'pending' });
  });

  it('records a capped decision as pending, keeping the model’s original action', async () => {
    const d = await ledger.propose(restock(9000, 0.95, { quantity: 90, unitCostUsd: 100, action: { order: '61234', quantity: 90 } }));
    expect(d).toMatchObject({ status: 'pending', verdict: 'review', requiresApproval: true, autoApproved: false, decidedBy: null, amountUsd: 5000, quantity: 50 });
    expect(d.action).toEqual({ order: '61234', quantity: 50 });
    expect(d.originalAction).toEqual({ order: '61234', quantity: 90 });
    expect(d.safeguards.map((s) => s.safeguard)).toEqual(['restock-cap', 'restock-approval', 'second-approver', 'confidence-gate']);
  });

  it('records a decision a safeguard rejects as rejected by the safeguard, and not open', async () => {
    const frozen = new DecisionLedger(db.handle, clock, { safeguards: [{ id: 'freeze', check: () => ({ verdict: 'reject', reason: 'purchasing frozen' }) }] });
    const d = await frozen.propose(restock(10, 0.99));
    expect(d).toMatchObject({ status: 'rejected', verdict: 'reject', decidedBy: 'safeguard', requiresApproval: true, autoApproved: false, open: false });
  });

  it('moves pending → approved → executed, pending → rejected and approved → failed, recording who did each', async () => {
    const a = await ledger.propose(restock(2000, 0.7, { quantity: 20, unitCostUsd: 100, action: { quantity: 20 } }));
    expect(a.status).toBe('pending');
    clock.advance({ ms: 3_600_000 });
    const approved = await ledger.approve(a.id, alice);
    expect(approved).toMatchObject({ status: 'approved', decidedBy: 'alice', decidedAt: '2026-04-10 16:00:00', humanOverride: null, open: true });
    clock.advance({ days: 1 });
    const executed = await ledger.execute(a.id, bob);
    expect(executed).toMatchObject({ status: 'executed', executedBy: 'bob', executedAt: '2026-04-11 16:00:00', updatedAt: '2026-04-11 16:00:00', open: false });
    expect((await ledger.transitions(a.id)).map((t) => [t.action, t.from, t.to, t.actor])).toEqual([
      ['propose', null, 'pending', 'model'],
      ['approve', 'pending', 'approved', 'alice'],
      ['execute', 'approved', 'executed', 'bob'],
    ]);

    const b = await ledger.propose(restock(3000, 0.7, { target: { type: 'rental_class', id: '61235' } }));
    const rejected = await ledger.reject(b.id, olga, 'we sub-rent instead');
    expect(rejected).toMatchObject({ status: 'rejected', decidedBy: 'olga', overrideReason: 'we sub-rent instead', open: false });

    const c = await ledger.propose(restock(100, 0.95, { target: { type: 'rental_class', id: '61236' } })); // auto-approved
    const failed = await ledger.fail(c.id, alice, 'supplier out of stock');
    expect(failed).toMatchObject({ status: 'failed', failureReason: 'supplier out of stock' });

    expect((await ledger.list({ status: 'executed' })).map((d) => d.id)).toEqual([a.id]);
    expect((await ledger.list({ type: 'restock' })).map((d) => d.id)).toEqual([c.id, b.id, a.id]);
  });

  it('refuses illegal transitions with a 409 problem, and unknown decisions with a 404', async () => {
    const p = await ledger.propose(restock(2000, 0.7));
    await expectProblem(ledger.execute(p.id, alice), 409, /is pending; it cannot become executed/);
    await expectProblem(ledger.fail(p.id, alice, 'x'), 409, /is pending; it cannot become failed/);
    await ledger.approve(p.id, alice);
    await expectProblem(ledger.approve(p.id, bob), 409, /is approved; it cannot become approved/);
    await expectProblem(ledger.reject(p.id, olga, 'late'), 409, /is approved; it cannot become rejected/);
    await ledger.execute(p.id, alice);
    await expectProblem(ledger.fail(p.id, alice, 'x'), 409, /is executed; it cannot become failed/);
    const r = await ledger.propose(restock(2000, 0.7, { target: { type: 'rental_class', id: '61299' } }));
    await ledger.reject(r.id, olga, 'no');
    await expectProblem(ledger.approve(r.id, alice), 409, /is rejected; it cannot become approved/);
    await expectProblem(ledger.approve(99_999, alice), 404, /decision 99999 does not exist/);
    await expectProblem(ledger.recordActualImpact(99_999, 1), 404, /does not exist/);
    expect((await ledger.get(p.id))!.status).toBe('executed');
  });

  it('lets only a role that may approve approve or execute, and the system execute only what it auto-approved', async () => {
    const p = await ledger.propose(restock(500, 0.7, { quantity: 5, unitCostUsd: 100, action: { quantity: 5 } }));
    await expectProblem(ledger.approve(p.id, olga), 403, /needs role 'approve'.*'olga' has 'operate'/);
    await expectProblem(ledger.approve(p.id, key('ivy', 'ingest')), 403, /needs role 'approve'/);
    await expectProblem(ledger.approve(p.id, systemActor('scheduler')), 403, /needs role 'approve'/);
    await ledger.approve(p.id, key('root', 'admin'));
    await expectProblem(ledger.execute(p.id, systemActor('scheduler')), 403, /approved by a person/);
    await expectProblem(ledger.execute(p.id, olga), 403, /needs role 'approve'/);
    const auto = await ledger.propose(restock(100, 0.95, { target: { type: 'rental_class', id: '61300' } }));
    expect((await ledger.execute(auto.id, systemActor('scheduler'))).status).toBe('executed');
  });

  it('re-prices and re-checks a quantity changed on approval: above the cap refused (422 naming it), nothing changed', async () => {
    // The reported case: a $512.82 proposal of 2 units approved as 100,000 units.
    const p = await ledger.propose(restock(512.82, 0.7, { quantity: 2, unitCostUsd: 256.41, action: { rentalClass: '60595', quantity: 2 } }));
    const refused = await expectProblem(ledger.approve(p.id, alice, { quantity: 100_000 }), 422, /restock-cap: order of \$25,641,000 capped at \$5,000/);
    expect(refused.extensions).toMatchObject({ amountUsd: 25_641_000, allowed: { quantity: 19, amountUsd: 4871.79 } });
    expect(await ledger.get(p.id)).toMatchObject({ status: 'pending', quantity: 2, amountUsd: 512.82, humanOverride: null });
    await expectProblem(ledger.override(p.id, olga, { quantity: 100_000, reason: 'more' }), 422, /restock-cap/);
    // Within the cap and under the four-eyes amount: approved, and the amount is what the new quantity spends.
    const approved = await ledger.approve(p.id, alice, { quantity: 3, reason: 'one spare' });
    expect(approved).toMatchObject({
      status: 'approved',
      quantity: 3,
      amountUsd: 769.23,
      action: { rentalClass: '60595', quantity: 3 },
      overriddenBy: 'alice',
      overrideReason: 'one spare',
    });
    expect((await ledger.transitions(p.id)).at(-1)).toMatchObject({ action: 'approve', amountBefore: 512.82, amountAfter: 769.23, changes: { quantity: { from: 2, to: 3 } } });
  });

  it('needs a second key from the four-eyes amount up: not the proposer, not the overrider, not the key that changes it on approval', async () => {
    const p = await ledger.propose(restock(800, 0.7, { quantity: 8, unitCostUsd: 100, action: { quantity: 8 } }), alice);
    expect(p.proposedBy).toBe('alice');
    // Raised to $1,200 on approval by alice: refused; the change is not recorded.
    await expectProblem(ledger.approve(p.id, alice, { quantity: 12 }), 403, /second key's approval.*'alice' changes it now/);
    await expectProblem(ledger.approve(p.id, bob, { quantity: 12 }), 403, /'bob' changes it now/);
    expect((await ledger.get(p.id))!.quantity).toBe(8);
    // Recorded as an override by bob: then neither alice (proposer) nor bob (overrider) approves; carol does.
    const changed = await ledger.override(p.id, bob, { quantity: 12, reason: 'June wedding' });
    expect(changed).toMatchObject({ status: 'pending', amountUsd: 1200, overriddenBy: 'bob', verdict: 'review' });
    await expectProblem(ledger.approve(p.id, alice), 403, /'alice' proposed it/);
    await expectProblem(ledger.approve(p.id, bob), 403, /'bob' overrode it/);
    const carol = key('carol', 'approve');
    expect(await ledger.approve(p.id, carol)).toMatchObject({ status: 'approved', decidedBy: 'carol', amountUsd: 1200 });
    // Under the amount, the proposer may approve their own.
    const small = await ledger.propose(restock(300, 0.7, { target: { type: 'rental_class', id: '61400' }, quantity: 3, unitCostUsd: 100, action: { quantity: 3 } }), alice);
    expect((await ledger.approve(small.id, alice)).status).toBe('approved');
  });

  it('keeps each key within its approval ceiling, for approving and for executing', async () => {
    const p = await ledger.propose(restock(2400, 0.7, { quantity: 24, unitCostUsd: 100, action: { quantity: 24 } }));
    const junior = key('junior', 'approve', 2000);
    await expectProblem(ledger.approve(p.id, junior), 403, /above key 'junior''s approval ceiling of \$2,000/);
    await ledger.approve(p.id, alice);
    await expectProblem(ledger.execute(p.id, junior), 403, /ceiling/);
    expect((await ledger.execute(p.id, alice)).status).toBe('executed');
  });

  it('re-checks on execution: a cap lowered since the approval refuses it', async () => {
    const p = await ledger.propose(restock(4000, 0.7, { quantity: 40, unitCostUsd: 100, action: { quantity: 40 } }));
    await ledger.approve(p.id, alice);
    const stricter = new DecisionLedger(db.handle, clock, { safeguards: defaultSafeguards({ restockCapUsd: 3000 }) });
    await expectProblem(stricter.execute(p.id, bob), 422, /restock-cap/);
    expect((await ledger.get(p.id))!.status).toBe('approved');
  });

  it('refuses a changed price beyond the price cap, and a changed quantity it cannot price', async () => {
    const price = await ledger.propose({ ...priceChange(100, 110, 0.7), action: { price: 110 } });
    await expectProblem(ledger.approve(price.id, alice, { price: 200 }), 422, /price-change-cap/);
    expect((await ledger.approve(price.id, alice, { price: 115 })).proposedPrice).toBe(115);
    const noCost = await ledger.propose(restock(500, 0.7, { target: { type: 'rental_class', id: '61500' }, action: { quantity: 5 } }));
    await expectProblem(ledger.approve(noCost.id, alice, { quantity: 50 }), 422, /no unit cost/);
  });

  it('records the actual impact later, beside the predicted one', async () => {
    const p = await ledger.propose(restock(400, 0.9, { predictedImpact: 250.5 }));
    await ledger.execute(p.id, alice);
    clock.advance({ days: 30 });
    const withImpact = await ledger.recordActualImpact(p.id, 198.25);
    expect(withImpact).toMatchObject({ predictedImpact: 250.5, actualImpact: 198.25, status: 'executed', updatedAt: '2026-05-10 15:00:00' });
  });

  it('keeps one open decision per target: the same proposal is returned, a changed one supersedes the open one in one step', async () => {
    const q = (quantity: number, confidence = 0.7): ProposedDecision =>
      restock(quantity * 100, confidence, { target: { type: 'rental_class', id: '70001' }, quantity, unitCostUsd: 100, modelVersion: 'restock.test@1', action: { quantity } });
    const first = await ledger.propose(q(3));
    expect(first.status).toBe('pending');
    // Proposing again: the same record, nothing new.
    expect((await ledger.propose(q(3))).id).toBe(first.id);
    // A changed proposal: the pending one is rejected, naming the new one.
    const second = await ledger.propose(q(4));
    expect(second.id).not.toBe(first.id);
    expect(await ledger.get(first.id)).toMatchObject({ status: 'rejected', decidedBy: 'superseded', overrideReason: `superseded by decision ${second.id}`, open: false });
    expect(isSuperseded((await ledger.get(first.id))!)).toBe(true);
    // A human rejection stands while the proposal is the same.
    await ledger.reject(second.id, olga, 'no budget');
    expect((await ledger.propose(q(4))).id).toBe(second.id);
    // An auto-approved decision that is replaced fails; one a human approved stands and is returned.
    const auto = await ledger.propose(q(5, 0.95));
    expect(auto.status).toBe('approved');
    const third = await ledger.propose(q(6, 0.95));
    expect(await ledger.get(auto.id)).toMatchObject({ status: 'failed', failureReason: `superseded by decision ${third.id}` });
    const humanApproved = await ledger.propose(q(7));
    expect(await ledger.get(third.id)).toMatchObject({ status: 'failed' });
    await ledger.approve(humanApproved.id, alice);
    expect((await ledger.propose(q(8))).id).toBe(humanApproved.id);
    await ledger.execute(humanApproved.id, alice);
    // proposeAll: the targets looked at that get no proposal any more are closed.
    const pending = await ledger.propose(q(8));
    const other = await ledger.propose({ ...q(2), target: { type: 'rental_class', id: '70002' } });
    const untouched = await ledger.propose({ ...q(2), target: { type: 'rental_class', id: '70003' } });
    const all = await ledger.proposeAll('restock', [{ ...q(2), target: { type: 'rental_class', id: '70002' } }], { targets: ['70001', '70002'] });
    expect(all.proposed.map((d) => d.id)).toEqual([other.id]);
    expect(all.superseded).toBe(1);
    expect(await ledger.get(pending.id)).toMatchObject({ status: 'rejected', overrideReason: 'superseded: the model no longer proposes it' });
    expect((await ledger.get(untouched.id))!.status).toBe('pending');
    // Another scope on the same target (a price test beside the model) is not touched.
    const scoped = await ledger.propose({ ...q(9), scope: 'test-1' });
    await ledger.propose(q(10));
    expect((await ledger.get(scoped.id))!.status).toBe('pending');
    const open = await db.handle.db.selectFrom('automated_decisions').select(['id']).where('target_id', '=', '70001').where('open_key', 'is not', null).execute();
    expect(open).toHaveLength(2);
  });

  it('enforces one open decision per target in the database itself', async () => {
    const p = await ledger.propose(restock(300, 0.7, { target: { type: 'rental_class', id: '71000' } }));
    const row = await db.handle.db.selectFrom('automated_decisions').selectAll().where('id', '=', p.id).executeTakeFirstOrThrow();
    const { id: _id, ...copy } = row;
    await expect(
      db.handle.db
        .insertInto('automated_decisions')
        .values({ ...copy, proposed_action: JSON.stringify({ other: true }), safeguard_reasons: '[]' } as never)
        .execute(),
    ).rejects.toThrow();
  });

  it('keeps one open decision when two proposals for the same target race', async () => {
    const q = (quantity: number): ProposedDecision =>
      restock(quantity * 10, 0.7, { target: { type: 'rental_class', id: '72000' }, quantity, unitCostUsd: 10, action: { quantity } });
    await Promise.all([1, 2, 3, 4, 5, 6].map((n) => ledger.propose(q(n))));
    const open = await ledger.listOpen({ type: 'restock', targetIds: ['72000'] });
    expect(open).toHaveLength(1);
  });
});
