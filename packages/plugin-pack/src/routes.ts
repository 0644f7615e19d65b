import type { AnyEndpoint, DecisionLedger, DecisionRecord } from '@rfid3/core';
import { actorOf, defineEndpoint, HttpProblem, jsonObjectSchema, safeguardOutcomeSchema } from '@rfid3/core';
import { z } from 'zod';
import type { PackAnalysis, PackSettings } from './analysis/pack-analysis.js';
import { PACK_MODEL_VERSION } from './model-version.js';
import type { PackRecommendations } from './recommendations.js';
import { r3 } from './recommendations.js';

const decisionView = (r: DecisionRecord) => ({ id: r.id, status: r.status, verdict: r.verdict, decidedBy: r.decidedBy, safeguards: r.safeguards, action: r.action });

const decisionViewSchema = z.object({
  id: z.number().int(),
  status: z.string(),
  verdict: z.string(),
  decidedBy: z.string().nullable(),
  safeguards: z.array(safeguardOutcomeSchema),
  action: jsonObjectSchema,
});
const usage = {
  rentalClass: z.string(),
  name: z.string().nullable(),
  units: z.number(),
  utilisation: z.number(),
  revenue: z.number(),
  contracts: z.number(),
};
const windowSchema = z.object({ from: z.string(), to: z.string() });

export interface PackRouteContext {
  config: PackSettings;
  ledger: DecisionLedger;
  /** The pack analysis as of the last contract day. */
  analysis: () => Promise<PackAnalysis>;
  recommend: (query: { limit: number }) => Promise<PackRecommendations>;
  /** The rental classes among `ids` that have tagged items. */
  classExists: (ids: string[]) => Promise<Set<string>>;
}

/** The pack plugin's HTTP endpoints. */
export function packRoutes({ config, ledger, analysis, recommend, classExists }: PackRouteContext): AnyEndpoint[] {
  return [
    defineEndpoint({
      method: 'GET',
      path: '/pack/performance-analysis',
      aliases: ['/packs/performance-analysis'],
      summary: 'Utilisation and revenue of each pack beside its components, how often it is burst, and the strongest co-rental rules',
      role: 'read',
      output: z.object({
        modelVersion: z.string(),
        window: windowSchema,
        packs: z.array(z.object({ ...usage, components: z.array(z.object(usage)), bursts: z.number(), burstsPerUnit: z.number() })),
        coRental: z.object({
          baskets: z.number(),
          minSupport: z.number(),
          minConfidence: z.number(),
          rules: z.array(jsonObjectSchema.describe('an association rule: antecedent ⇒ consequent with support, confidence and lift')),
        }),
      }),
      input: { query: z.object({ rules: z.coerce.number().int().min(0).max(500).default(20) }) },
      async handler({ query }) {
        const a = await analysis();
        return {
          modelVersion: PACK_MODEL_VERSION,
          window: { from: a.from, to: a.to },
          packs: a.packs.map((p) => ({
            ...p,
            utilisation: r3(p.utilisation),
            revenue: Math.round(p.revenue),
            burstsPerUnit: r3(p.burstsPerUnit),
            components: p.components.map((c) => ({ ...c, utilisation: r3(c.utilisation), revenue: Math.round(c.revenue) })),
          })),
          coRental: {
            baskets: a.baskets,
            minSupport: config.minSupport,
            minConfidence: config.minConfidence,
            rules: a.rules.slice(0, query.rules).map((r) => ({ ...r, support: r3(r.support), confidence: r3(r.confidence), lift: r3(r.lift) })),
          },
        };
      },
    }),
    defineEndpoint({
      method: 'GET',
      path: '/pack/recommendations',
      aliases: ['/packs/recommendations'],
      summary:
        "Packs to create (classes rented together, with lift, stable co-rental and expected profit) and to dissolve (low utilisation, bursts), with each one's open decision (proposed by the scheduled job or POST /decisions/propose; this read records nothing)",
      role: 'read',
      output: z.object({
        modelVersion: z.string(),
        window: windowSchema,
        create: z.array(
          z.object({
            components: z.array(z.string()),
            support: z.number(),
            confidence: z.number(),
            lift: z.number(),
            contractsPerYear: z.number(),
            expectedProfit: z.number(),
            reason: z.string(),
            decision: decisionViewSchema.nullable(),
          }),
        ),
        dissolve: z.array(
          z.object({
            pack: z.string(),
            name: z.string().nullable(),
            utilisation: z.number(),
            bursts: z.number(),
            expectedProfit: z.number(),
            reasons: z.array(z.string()),
            decision: decisionViewSchema.nullable(),
          }),
        ),
      }),
      input: { query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(10) }) },
      async handler({ query }) {
        const { a, create, dissolve } = await recommend(query);
        // A read: each recommendation's open decision is looked up, nothing is recorded.
        const open = [...(await ledger.listOpen({ type: 'pack_create' })), ...(await ledger.listOpen({ type: 'pack_dissolve' }))];
        const decisionOf = (type: string, id: string) => {
          const d = open.find((o) => o.decisionType === type && o.target.id === id);
          return d ? decisionView(d) : null;
        };
        return {
          modelVersion: PACK_MODEL_VERSION,
          window: { from: a.from, to: a.to },
          create: create.map(({ key, proposal: _p, ...c }) => ({ ...c, decision: decisionOf('pack_create', key) })),
          dissolve: dissolve.map(({ proposal: _p, ...d }) => ({ ...d, decision: decisionOf('pack_dissolve', d.pack) })),
        };
      },
    }),
    defineEndpoint({
      method: 'POST',
      path: '/pack/create-pack',
      aliases: ['/packs/create-pack'],
      summary: "Records an approver's decision to create a pack of rental classes (proposed and approved by that key; tagging is done in RFID3)",
      role: 'approve',
      output: z.object({ decision: decisionViewSchema }),
      successStatus: 201,
      input: {
        body: z.object({
          name: z.string().min(1).max(255),
          components: z
            .array(z.string().min(1).max(255))
            .min(2)
            .max(20)
            .refine((c) => new Set(c).size === c.length, 'components must differ'),
          quantity: z.number().int().positive().max(10_000).default(1),
          reason: z.string().max(1000).optional(),
        }),
      },
      async handler({ body }, ctx) {
        const known = await classExists(body.components);
        const missing = body.components.map((c, i) => ({ c, i })).filter(({ c }) => !known.has(c));
        if (missing.length)
          throw HttpProblem.badRequest(
            `unknown rental class ${missing.map((m) => m.c).join(', ')}`,
            missing.map((m) => ({ field: `body.components.${m.i}`, message: 'no such rental class' })),
          );
        const members = [...body.components].sort();
        const proposed = await ledger.propose(
          {
            type: 'pack_create',
            target: { type: 'pack', id: members.join('+') },
            // A human asked for it: recorded for review and approved by that human below, not auto-approved.
            confidence: 0.7,
            action: { create: members, name: body.name, quantity: body.quantity },
            modelVersion: 'manual',
            rationale: body.reason ?? `created by ${ctx.principal?.name ?? 'an approver'}`,
          },
          actorOf(ctx.principal),
        );
        const decision = proposed.status === 'pending' ? await ledger.approve(proposed.id, actorOf(ctx.principal)) : proposed;
        return { decision: decisionView(decision) };
      },
    }),
    defineEndpoint({
      method: 'DELETE',
      path: '/pack/dissolve-pack/:pack_id',
      aliases: ['/packs/dissolve-pack/:pack_id'],
      summary: "Records an approver's decision to dissolve a pack (approved by that key; un-tagging is done in RFID3)",
      role: 'approve',
      output: z.object({ decision: decisionViewSchema }),
      input: { params: z.object({ pack_id: z.string().min(1).max(255) }) },
      async handler({ params }, ctx) {
        const a = await analysis();
        if (!a.packs.some((p) => p.rentalClass === params.pack_id)) throw HttpProblem.notFound(`rental class ${params.pack_id} is not a pack`);
        const open = (await ledger.listOpen({ type: 'pack_dissolve', targetIds: [params.pack_id] })).find((d) => d.status === 'pending');
        const proposed =
          open ??
          (await ledger.propose(
            {
              type: 'pack_dissolve',
              target: { type: 'pack', id: params.pack_id },
              confidence: 0.7,
              action: { dissolve: params.pack_id },
              modelVersion: 'manual',
              rationale: `dissolved by ${ctx.principal?.name ?? 'an approver'}`,
            },
            actorOf(ctx.principal),
          ));
        const decision = proposed.status === 'pending' ? await ledger.approve(proposed.id, actorOf(ctx.principal)) : proposed;
        return { decision: decisionView(decision) };
      },
    }),
  ];
}
