import {
  DEFAULT_SAFEGUARD_SETTINGS,
  actorOf,
  coreServices,
  defaultSafeguards,
  defineEndpoint,
  definePlugin,
  type DecisionSafeguard,
  type ProposedDecision,
  type Role,
} from '@rfid3/core';
import { externalServices } from '@rfid3/core/testing';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiKeyStore } from '../src/keys.js';
import type { RunningApp } from './helpers.js';
import { serve, testRuntime } from './helpers.js';

/**
 * The decision ledger's safeguards are invariants of the ledger, not of any endpoint: random sequences of
 * propose / override / approve / reject / execute, from random keys of every role, through the HTTP API,
 * and after every step the database itself is checked:
 *  - nothing approved or executed above the restock cap, and no price moved further than the cap allows;
 *  - nothing at or above the four-eyes amount approved without an `approve` (or admin) key that neither
 *    proposed nor changed it, and never above that key's ceiling;
 *  - `amount_usd` is what the action spends (quantity × unit cost);
 *  - at most one open decision per target;
 *  - and no answer is a 5xx.
 * The same run with a broken cap safeguard plugged in must find a violation.
 */

const services = await externalServices();
afterAll(() => services.cleanup());

const S = DEFAULT_SAFEGUARD_SETTINGS;
const STEPS_PER_RUN = 50;
const RUNS = 40; // 2,000 steps per dialect

/** A plugin that proposes whatever it is asked to, as the caller: the fuzzer's way into `propose`. */
const probePlugin = definePlugin({
  id: 'ledger-probe',
  version: '1.0.0',
  coreRange: '>=0.1.0',
  requires: { decisions: coreServices.decisions },
  register({ deps, endpoint }) {
    endpoint(
      defineEndpoint({
        method: 'POST',
        path: '/ledger-probe/propose',
        summary: 'Proposes one decision as the calling key',
        role: 'operate',
        input: {
          body: z.object({
            kind: z.enum(['restock', 'price_change']),
            target: z.string().min(1),
            confidence: z.number().min(0).max(1),
            quantity: z.number().int().positive(),
            unit_cost: z.number().positive(),
            baseline_price: z.number().positive().optional(),
            proposed_price: z.number().positive(),
          }),
        },
        async handler({ body }, ctx) {
          const target = { type: 'rental_class', id: body.target };
          const decision: ProposedDecision =
            body.kind === 'restock'
              ? {
                  type: 'restock' as const,
                  target,
                  confidence: body.confidence,
                  quantity: body.quantity,
                  unitCostUsd: body.unit_cost,
                  amountUsd: Math.round(body.quantity * body.unit_cost * 100) / 100,
                  action: { quantity: body.quantity },
                }
              : {
                  type: 'price_change' as const,
                  target,
                  confidence: body.confidence,
                  baselinePrice: body.baseline_price,
                  proposedPrice: body.proposed_price,
                  action: { price: body.proposed_price },
                };
          return { decision: await deps.decisions.propose(decision, actorOf(ctx.principal)) };
        },
      }),
    );
  },
});

interface Key {
  id: string;
  role: Role;
  ceiling: number | null;
  token: string;
}

const KEY_SPECS: { name: string; role: Role; ceiling?: number }[] = [
  { name: 'reader', role: 'read' },
  { name: 'scanner', role: 'ingest' },
  { name: 'planner a', role: 'operate' },
  { name: 'planner b', role: 'operate' },
  { name: 'approver', role: 'approve' },
  { name: 'approver 2k', role: 'approve', ceiling: 2000 },
  { name: 'approver 500', role: 'approve', ceiling: 500 },
  { name: 'owner', role: 'admin' },
];

type Step =
  | {
      op: 'propose';
      key: number;
      kind: 'restock' | 'price_change';
      target: number;
      confidence: number;
      quantity: number;
      unitCost: number;
      priceFactor: number;
      noBaseline: boolean;
    }
  | { op: 'override'; key: number; pick: number; quantity: number; priceFactor: number }
  | { op: 'approve'; key: number; pick: number; quantity: number | null }
  | { op: 'reject'; key: number; pick: number }
  | { op: 'execute'; key: number; pick: number };

const keyIx = fc.integer({ min: 0, max: KEY_SPECS.length - 1 });
const pick = fc.nat();
const quantity = fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 200 }), fc.constantFrom(100_000));
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('propose' as const),
      key: keyIx,
      kind: fc.constantFrom('restock' as const, 'price_change' as const),
      target: fc.integer({ min: 0, max: 5 }),
      confidence: fc.double({ min: 0, max: 1, noNaN: true }),
      quantity,
      unitCost: fc.constantFrom(12.5, 60, 149.99, 256.41, 999),
      priceFactor: fc.double({ min: 0.5, max: 2, noNaN: true }),
      noBaseline: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('override' as const), key: keyIx, pick, quantity, priceFactor: fc.double({ min: 0.5, max: 2, noNaN: true }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('approve' as const), key: keyIx, pick, quantity: fc.option(quantity, { freq: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reject' as const), key: keyIx, pick }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('execute' as const), key: keyIx, pick }) },
);

async function startLedgerHost(databaseUrl: string, safeguards?: DecisionSafeguard[]): Promise<{ app: RunningApp; keys: Key[] }> {
  const runtime = await testRuntime([probePlugin], { config: { databaseUrl }, ...(safeguards ? { safeguards } : {}) });
  const store = new ApiKeyStore({ database: runtime.database });
  const keys: Key[] = [];
  for (const spec of KEY_SPECS) {
    const created = await store.create(spec.name, spec.role, { approveLimitUsd: spec.ceiling ?? null });
    keys.push({ id: String(created.id), role: spec.role, ceiling: spec.ceiling ?? null, token: created.key });
  }
  return { app: await serve(runtime), keys };
}

/** The invariants, read from the database itself (not from what the API said). */
async function violations(app: RunningApp, keys: Key[]): Promise<string[]> {
  const rows = await app.runtime.database.db.selectFrom('automated_decisions').selectAll().execute();
  const out: string[] = [];
  const byKey = new Map(keys.map((k) => [k.id, k]));
  const open = new Map<string, number>();
  for (const r of rows) {
    const at = `decision ${r.id} (${r.decision_type} ${r.target_id}, ${r.status})`;
    const amount = r.amount_usd === null ? null : Number(r.amount_usd);
    if (r.quantity !== null && r.unit_cost_usd !== null && (amount === null || Math.abs(amount - Number(r.quantity) * Number(r.unit_cost_usd)) > 0.01)) {
      out.push(`${at}: amount_usd ${amount} is not ${r.quantity} × ${r.unit_cost_usd}`);
    }
    const acted = r.status === 'approved' || r.status === 'executed';
    if (acted && r.decision_type === 'restock' && (amount === null || amount > S.restockCapUsd + 1e-9))
      out.push(`${at}: ${r.status} at $${amount}, above the $${S.restockCapUsd} cap`);
    // A price with a known baseline moves at most the cap; one without (the cap cannot evaluate) is for a person only.
    if (acted && r.decision_type === 'price_change' && r.baseline_price !== null) {
      const price = Number(r.proposed_price);
      if (!(Math.abs(price / Number(r.baseline_price) - 1) <= S.maxPriceChange + 1e-9)) out.push(`${at}: price ${price} moves more than the cap from ${r.baseline_price}`);
    }
    // Only what the safeguards auto-approved is approved by the system; everything else by a person's approve key.
    if (acted && r.safeguard_verdict !== 'auto_approve') {
      const approver = r.decided_by_key ? byKey.get(r.decided_by_key) : undefined;
      if (!approver || (approver.role !== 'approve' && approver.role !== 'admin'))
        out.push(`${at}: verdict ${r.safeguard_verdict}, approved by ${r.decided_by} without an approve key`);
    }
    if (acted && amount !== null && amount >= S.secondApproverAtOrAboveUsd) {
      const approver = r.decided_by_key ? byKey.get(r.decided_by_key) : undefined;
      if (!approver || (approver.role !== 'approve' && approver.role !== 'admin')) out.push(`${at}: $${amount} approved by ${r.decided_by} without an approve key`);
      else {
        if (r.decided_by_key === r.proposed_by_key || r.decided_by_key === r.overridden_by_key) out.push(`${at}: $${amount} approved by the key that proposed or changed it`);
        if (approver.ceiling !== null && amount > approver.ceiling) out.push(`${at}: $${amount} approved above the key's $${approver.ceiling} ceiling`);
      }
    }
    if (r.status === 'pending' || r.status === 'approved') {
      const k = `${r.decision_type}|${r.target_id}|${r.scope ?? ''}`;
      open.set(k, (open.get(k) ?? 0) + 1);
    }
  }
  for (const [k, n] of open) if (n > 1) out.push(`${n} open decisions for ${k}`);
  return out;
}

function runSequence(app: RunningApp, keys: Key[], run: { n: number }) {
  return async (steps: Step[]): Promise<void> => {
    const prefix = `r${run.n++}-`;
    const ids: number[] = [];
    const post = async (key: Key, path: string, body: unknown) => {
      const res = await fetch(`${app.url}/api/predictive${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as { decision?: { id: number } };
      if (res.status >= 500) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(json)}`);
      if (res.status < 300 && json.decision && !ids.includes(json.decision.id)) ids.push(json.decision.id);
      return res.status;
    };
    for (const s of steps) {
      const key = keys[s.key]!;
      if (s.op === 'propose') {
        const baseline = 40;
        await post(key, '/ledger-probe/propose', {
          kind: s.kind,
          target: `${prefix}${s.target}`,
          confidence: s.confidence,
          quantity: s.quantity,
          unit_cost: s.unitCost,
          ...(s.noBaseline ? {} : { baseline_price: baseline }),
          proposed_price: Math.round(baseline * s.priceFactor * 100) / 100,
        });
      } else if (ids.length) {
        const id = ids[s.pick % ids.length]!;
        if (s.op === 'override') await post(key, `/decisions/${id}/override`, { quantity: s.quantity, price: Math.round(40 * s.priceFactor * 100) / 100, reason: 'fuzz' });
        else if (s.op === 'approve') await post(key, `/decisions/${id}/approve`, s.quantity === null ? {} : { quantity: s.quantity });
        else if (s.op === 'reject') await post(key, `/decisions/${id}/reject`, { reason: 'fuzz' });
        else await post(key, `/decisions/${id}/execute`, {});
      }
      const found = await violations(app, keys);
      if (found.length) throw new Error(`after ${s.op} by ${key.role} key ${key.id}: ${found.join('; ')}`);
    }
  };
}

const targets = [{ name: 'SQLite', url: 'sqlite::memory:' }, ...(services.mysqlUrl ? [{ name: 'MariaDB', url: services.mysqlUrl }] : [])];

describe.each(targets)('decision ledger invariants over HTTP [$name]', ({ url }) => {
  it(`hold over ${RUNS * STEPS_PER_RUN} random steps from keys of every role`, { timeout: 600_000 }, async () => {
    const { app, keys } = await startLedgerHost(url);
    try {
      const run = { n: 0 };
      await fc.assert(fc.asyncProperty(fc.array(step, { minLength: STEPS_PER_RUN, maxLength: STEPS_PER_RUN }), runSequence(app, keys, run)), {
        numRuns: RUNS,
        seed: 20261206,
        endOnFailure: true,
      });
      expect(run.n).toBe(RUNS);
      // The sequences did reach every state, so the invariants were tested on something.
      const statuses = new Set((await app.runtime.database.db.selectFrom('automated_decisions').select('status').execute()).map((r) => r.status));
      for (const s of ['pending', 'approved', 'rejected', 'executed']) expect(statuses).toContain(s);
    } finally {
      await app.close();
    }
  });
});

describe('the same property with a broken safeguard', () => {
  it('finds the violation when the restock cap stops capping', { timeout: 300_000 }, async () => {
    const broken = defaultSafeguards().map((g) => (g.id === 'restock-cap' ? { ...g, check: () => null } : g));
    const { app, keys } = await startLedgerHost('sqlite::memory:', broken);
    try {
      const run = { n: 0 };
      const failure = await fc
        .assert(fc.asyncProperty(fc.array(step, { minLength: STEPS_PER_RUN, maxLength: STEPS_PER_RUN }), runSequence(app, keys, run)), {
          numRuns: RUNS,
          seed: 20261206,
          endOnFailure: true,
        })
        .then(
          () => null,
          (err: Error) => err,
        );
      expect(failure, 'the property passed with a cap that does not cap').not.toBeNull();
      expect(String((failure!.cause as Error | undefined)?.message ?? failure!.message)).toMatch(/above the \$5000 cap/);
    } finally {
      await app.close();
    }
  });
});
