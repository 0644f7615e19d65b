import { z } from 'zod';
import type { AnyEndpoint } from '../contracts/endpoint.js';
import { defineEndpoint } from '../contracts/endpoint.js';
import { HttpProblem } from '../contracts/problem.js';
import { decisionRecordSchema, decisionTransitionSchema, jobAcceptedSchema } from '../contracts/responses.js';
import type { JobRecord, JobRunner } from '../jobs/jobs.js';
import { jobAccepted } from '../jobs/jobs.js';
import type { DecisionLedger } from './decision-ledger.js';
import { actorOf, DECISION_STATUSES } from './decision-ledger.js';

/** The job each decision-making plugin registers: it proposes its current set of decisions to the ledger. */
export const PROPOSE_JOB = 'propose';

/** The answer of every transition: the decision as it is now. */
const decided = z.object({ decision: decisionRecordSchema });
const idParams = z.object({ id: z.coerce.number().int().positive() });
const change = {
  quantity: z.number().int().positive().max(1_000_000).optional(),
  price: z.number().positive().max(1_000_000).optional(),
};

/**
 * The decision ledger over HTTP: list and read decisions with their transitions, change, approve, reject,
 * execute or fail one, and ask the plugins for fresh proposals. Reads never write; every state change is a POST.
 */
export function decisionEndpoints(deps: { ledger: DecisionLedger; jobs: JobRunner; plugins: () => readonly { id: string }[] }): AnyEndpoint[] {
  const { ledger } = deps;
  return [
    defineEndpoint({
      method: 'GET',
      path: '/decisions',
      summary: 'Recorded decisions, newest first, by status, type, target or open only',
      role: 'read',
      output: z.object({ decisions: z.array(decisionRecordSchema) }),
      input: {
        query: z.object({
          status: z.enum(DECISION_STATUSES).optional(),
          type: z.string().min(1).max(32).optional(),
          target: z.string().min(1).max(255).optional(),
          open: z.enum(['true', 'false']).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          offset: z.coerce.number().int().min(0).default(0),
        }),
      },
      async handler({ query }) {
        const decisions =
          query.open === 'true'
            ? (await ledger.listOpen({ type: query.type, targetIds: query.target ? [query.target] : undefined })).slice(query.offset, query.offset + query.limit)
            : await ledger.list({ status: query.status, type: query.type, targetId: query.target, limit: query.limit, offset: query.offset });
        return { decisions };
      },
    }),
    defineEndpoint({
      method: 'GET',
      path: '/decisions/:id',
      summary: 'One decision with every transition it went through (who, when, from what to what)',
      role: 'read',
      output: z.object({ decision: decisionRecordSchema, transitions: z.array(decisionTransitionSchema) }),
      input: { params: idParams },
      async handler({ params }) {
        const decision = await ledger.get(params.id);
        if (!decision) throw HttpProblem.notFound(`decision ${params.id} does not exist`);
        return { decision, transitions: await ledger.transitions(params.id) };
      },
    }),
    defineEndpoint({
      method: 'POST',
      path: '/decisions/:id/override',
      summary: 'Changes the quantity or price of a pending decision; re-priced and re-checked by every safeguard, it stays pending for an approver',
      role: 'operate',
      output: decided,
      input: {
        params: idParams,
        body: z
          .object({ ...change, reason: z.string().min(1).max(1000) })
          .refine((b) => b.quantity !== undefined || b.price !== undefined, { message: 'give a quantity or a price', path: ['quantity'] }),
      },
      async handler({ params, body }, ctx) {
        return { decision: await ledger.override(params.id, actorOf(ctx.principal), body) };
      },
    }),
    defineEndpoint({
      method: 'POST',
      path: '/decisions/:id/approve',
      summary:
        'Approves a pending decision, optionally with another quantity or price (re-checked by every safeguard; from the four-eyes amount up, by a key other than the one that proposed or changed it)',
      role: 'approve',
      output: decided,
      input: { params: idParams, body: z.object({ ...change, reason: z.string().min(1).max(1000).optional() }).default({}) },
      async handler({ params, body }, ctx) {
        return { decision: await ledger.approve(params.id, actorOf(ctx.principal), body) };
      },
    }),
    defineEndpoint({
      method: 'POST',
      path: '/decisions/:id/reject',
      summary: 'Rejects a pending decision, with a reason',
      role: 'operate',
      output: decided,
      input: { params: idParams, body: z.object({ reason: z.string().min(1).max(1000) }) },
      async handler({ params, body }, ctx) {
        return { decision: await ledger.reject(params.id, actorOf(ctx.principal), body.reason) };
      },
    }),
    defineEndpoint({
      method: 'POST',
      path: '/decisions/:id/execute',
      summary: 'Records that an approved decision was carried out (the safeguards run once more on what is executed)',
      role: 'approve',
      output: decided,
      input: { params: idParams },
      async handler({ params }, ctx) {
        return { decision: await ledger.execute(params.id, actorOf(ctx.principal)) };
      },
    }),
    defineEndpoint({
      method: 'POST',
      path: '/decisions/:id/fail',
      summary: 'Records that an approved decision could not be carried out, with a reason',
      role: 'approve',
      output: decided,
      input: { params: idParams, body: z.object({ reason: z.string().min(1).max(1000) }) },
      async handler({ params, body }, ctx) {
        return { decision: await ledger.fail(params.id, actorOf(ctx.principal), body.reason) };
      },
    }),
    defineEndpoint({
      method: 'POST',
      path: '/decisions/propose',
      summary: "Queues each decision-making plugin's proposal job (restock, pricing, packs…); the proposals are recorded as the caller's",
      role: 'operate',
      output: z.object({ jobs: z.array(jobAcceptedSchema) }),
      successStatus: 202,
      input: {
        body: z
          .object({
            plugins: z
              .array(z.string().regex(/^[a-z][a-z0-9-]*$/))
              .min(1)
              .max(50)
              .optional(),
          })
          .strict()
          .default({}),
      },
      handler({ body }, ctx) {
        const loaded = deps.plugins().map((p) => p.id);
        const wanted = body.plugins ?? loaded.filter((id) => deps.jobs.has(`${id}.${PROPOSE_JOB}`));
        const errors = wanted.flatMap((id, i) =>
          deps.jobs.has(`${id}.${PROPOSE_JOB}`)
            ? []
            : [{ field: `body.plugins.${i}`, message: loaded.includes(id) ? `plugin '${id}' proposes no decisions` : `no plugin '${id}' is loaded` }],
        );
        if (errors.length) throw HttpProblem.badRequest(errors.map((e) => e.message).join('; '), errors);
        const queued: JobRecord[] = wanted.map((id) => deps.jobs.enqueue(`${id}.${PROPOSE_JOB}`, { actor: actorOf(ctx.principal) }));
        return { jobs: queued.map(jobAccepted) };
      },
    }),
  ];
}
