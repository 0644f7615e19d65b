import { HttpProblem, actorOf, coreServices, defineEndpoint, definePlugin } from '@rfid3/core';
import { z } from 'zod';

/**
 * Stands in for `@rfid3/plugin-restock`'s approval workflow: the same paths and request body
 * (`{ action, decision_id?, reason? }`) over core's real DecisionLedger, with decisions the test proposes,
 * so the dashboard's approve/reject round trip (UI → HTTP with an approve key → ledger →
 * automated_decisions) is exercised on decisions whose amounts and confidences the test controls.
 */
export const restockFixturePlugin = definePlugin({
  id: 'restock-fixture',
  version: '0.0.0',
  coreRange: '>=0.1.0 <1.0.0',
  aliasPrefixes: ['/restock'],
  requires: { decisions: coreServices.decisions },
  register({ deps, endpoint }) {
    endpoint(
      defineEndpoint({
        method: 'GET',
        path: '/restock-fixture/optimization-recommendations',
        aliases: ['/restock/optimization-recommendations'],
        summary: 'Restock decisions of the ledger, newest first',
        role: 'read',
        async handler() {
          const decisions = await deps.decisions.list({ type: 'restock' });
          return {
            recommendations: decisions.map((d) => ({
              rentalClass: d.target.id,
              quantity: d.action.quantity ?? null,
              amountUsd: d.amountUsd,
              confidence: d.confidence,
              decision: { id: d.id, status: d.status, verdict: d.verdict },
            })),
          };
        },
      }),
      defineEndpoint({
        method: 'POST',
        path: '/restock-fixture/approve-restock/:item_id',
        aliases: ['/restock/approve-restock/:item_id'],
        summary: 'Approves or rejects the pending restock decision of an item',
        role: 'approve',
        input: {
          params: z.object({ item_id: z.string().min(1).max(255) }),
          body: z.object({ action: z.enum(['approve', 'reject']), reason: z.string().max(500).optional(), decision_id: z.number().int().positive().optional() }),
        },
        async handler({ params, body }, ctx) {
          const pending = await deps.decisions.list({ type: 'restock', targetId: params.item_id, status: 'pending' });
          const decision = body.decision_id ? pending.find((d) => d.id === body.decision_id) : pending[0];
          if (!decision) throw HttpProblem.notFound(`no pending restock decision for ${params.item_id}`);
          const by = actorOf(ctx.principal ?? null);
          const record = body.action === 'approve' ? await deps.decisions.approve(decision.id, by) : await deps.decisions.reject(decision.id, by, body.reason ?? 'rejected');
          return { decision: { id: record.id, status: record.status, decidedBy: record.decidedBy } };
        },
      }),
    );
  },
});
