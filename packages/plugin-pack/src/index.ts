import { actorOf, coreServices, defineEndpoint, definePlugin, HttpProblem, isoDay, systemActor } from '@rfid3/core';
import type { DecisionActor, DecisionLedger, DecisionRecord, ProposedDecision } from '@rfid3/core';
import { sql } from 'kysely';
import { z } from 'zod';
import pkg from '../package.json' with { type: 'json' };
import { analysePacks } from './analysis/pack-analysis.js';
import type { PackAnalysis } from './analysis/pack-analysis.js';

export * from './rules/index.js';
export { analysePacks } from './analysis/pack-analysis.js';
export type { ClassUsage, PackAnalysis, PackPerformance, PackSettings } from './analysis/pack-analysis.js';

/** Model version recorded with every pack recommendation this plugin answers. */
export const PACK_MODEL_VERSION = 'pack.rules@1';

const configSchema = z.object({
  windowDays: z.number().int().min(28).max(1095).default(365),
  minSupport: z.number().min(0.0001).max(1).default(0.002),
  minConfidence: z.number().min(0).max(1).default(0.1),
  minLift: z.number().min(1).default(1.5),
  handlingSavingUsd: z.number().min(0).default(2),
  burstCostUsd: z.number().min(0).default(5),
  lowUtilisation: z.number().min(0).max(1).default(0.1),
});

const r3 = (x: number) => Math.round(x * 1000) / 1000;
const decisionView = (r: DecisionRecord) => ({ id: r.id, status: r.status, verdict: r.verdict, decidedBy: r.decidedBy, safeguards: r.safeguards, action: r.action });

/**
 * Pack performance, co-rental rules and create/dissolve recommendations.
 */
export const packPlugin = definePlugin({
  id: 'pack',
  version: pkg.version,
  coreRange: pkg.peerDependencies['@rfid3/core'],
  description: 'Pack performance, co-rental rules and create/dissolve recommendations',
  configSchema,
  requires: { database: coreServices.database, decisions: coreServices.decisions, clock: coreServices.clock },
  register({ config, deps, endpoint, job }) {
    const ledger: DecisionLedger = deps.decisions;
    let cached: { key: string; analysis: PackAnalysis } | null = null;
    const analysis = async (): Promise<PackAnalysis> => {
      const last = await deps.database.db.selectFrom('pos_transactions').select(sql<string | null>`max(contract_date)`.as('d')).executeTakeFirst();
      const asOf = last?.d ? String(last.d).slice(0, 10) : isoDay(deps.clock.now());
      if (cached?.key === asOf) return cached.analysis;
      cached = { key: asOf, analysis: await analysePacks(deps.database, asOf, config) };
      return cached.analysis;
    };
    const classExists = async (ids: string[]) => {
      const rows = await deps.database.db.selectFrom('id_item_master').select('rental_class_num').distinct().where('rental_class_num', 'in', ids).execute();
      return new Set(rows.map((r) => String(r.rental_class_num)));
    };

    /** Packs to create and to dissolve, each with the decision it stands for; the GET shows them, the propose job records them. */
    async function recommend(query: { limit: number }) {
      const a = await analysis();
      const packIds = new Set(a.packs.map((p) => p.rentalClass));
      const yearShare = 365 / config.windowDays;
      const seen = new Set<string>();
      const create = [];
      for (const r of a.rules) {
        if (create.length >= query.limit) break;
        const members = [...r.antecedent, ...r.consequent].sort();
        const key = members.join('+');
        if (r.lift < config.minLift || seen.has(key) || members.some((m) => packIds.has(m))) continue;
        seen.add(key);
        const together = Math.round(r.support * a.baskets * yearShare);
        const expectedProfit = together * config.handlingSavingUsd;
        const proposal: ProposedDecision = {
          type: 'pack_create',
          target: { type: 'pack', id: key },
          confidence: r3(r.confidence),
          predictedImpact: expectedProfit,
          action: { create: members },
          modelVersion: PACK_MODEL_VERSION,
          rationale: `{${r.antecedent.join(', ')}} ⇒ {${r.consequent.join(', ')}}: confidence ${r.confidence.toFixed(2)}, lift ${r.lift.toFixed(2)}, ${together} contracts a year`,
        };
        create.push({ key, components: members, support: r3(r.support), confidence: r3(r.confidence), lift: r3(r.lift), contractsPerYear: together, expectedProfit, reason: proposal.rationale!, proposal });
      }
      const dissolve = [];
      for (const p of a.packs) {
        const componentUse = p.components.length ? Math.max(...p.components.map((c) => c.utilisation)) : null;
        const reasons: string[] = [];
        if (p.utilisation < config.lowUtilisation) reasons.push(`utilisation ${(p.utilisation * 100).toFixed(1)} % < ${(config.lowUtilisation * 100).toFixed(0)} %`);
        if (componentUse !== null && componentUse > p.utilisation) reasons.push(`components are rented more (${(componentUse * 100).toFixed(1)} %) than the pack`);
        if (p.burstsPerUnit > 0.2) reasons.push(`burst ${p.bursts} times (${p.burstsPerUnit.toFixed(2)} per unit)`);
        if (reasons.length === 0 || (p.utilisation >= config.lowUtilisation && p.burstsPerUnit <= 0.2)) continue;
        const expectedProfit = Math.round(p.bursts * yearShare * config.burstCostUsd);
        const proposal: ProposedDecision = {
          type: 'pack_dissolve',
          target: { type: 'pack', id: p.rentalClass },
          confidence: r3(Math.min(0.95, 1 - p.utilisation / Math.max(config.lowUtilisation, 1e-9) / 2)),
          predictedImpact: expectedProfit,
          action: { dissolve: p.rentalClass },
          modelVersion: PACK_MODEL_VERSION,
          rationale: reasons.join('; '),
        };
        dissolve.push({ pack: p.rentalClass, name: p.name, utilisation: r3(p.utilisation), bursts: p.bursts, expectedProfit, reasons, proposal });
        if (dissolve.length >= query.limit) break;
      }
      return { a, create, dissolve };
    }

    // Proposals are made here, by the scheduled job or `POST /decisions/propose`, never by a read.
    job('propose', async (payload: { actor?: DecisionActor } = {}) => {
      const { a, create, dissolve } = await recommend({ limit: 100 });
      const actor = payload.actor ?? systemActor('pack');
      const made = await ledger.proposeAll('pack_create', create.map((c) => c.proposal), { actor });
      const dissolved = await ledger.proposeAll('pack_dissolve', dissolve.map((d) => d.proposal), { targets: a.packs.map((p) => p.rentalClass), actor });
      const proposed = [...made.proposed, ...dissolved.proposed];
      return { proposed: proposed.length, pending: proposed.filter((d) => d.status === 'pending').length, superseded: made.superseded + dissolved.superseded };
    });

    endpoint(
      defineEndpoint({
        method: 'GET',
        path: '/packs/performance-analysis',
        summary: 'Utilisation and revenue of each pack beside its components, how often it is burst, and the strongest co-rental rules',
        role: 'read',
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
        path: '/packs/recommendations',
        summary: 'Packs to create (classes rented together, with lift, stable co-rental and expected profit) and to dissolve (low utilisation, bursts), with each one\'s open decision (proposed by the scheduled job or POST /decisions/propose; this read records nothing)',
        role: 'read',
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
        path: '/packs/create-pack',
        summary: 'Records an approver\'s decision to create a pack of rental classes (proposed and approved by that key; tagging is done in RFID3)',
        role: 'approve',
        successStatus: 201,
        input: {
          body: z.object({
            name: z.string().min(1).max(255),
            components: z.array(z.string().min(1).max(255)).min(2).max(20).refine((c) => new Set(c).size === c.length, 'components must differ'),
            quantity: z.number().int().positive().max(10_000).default(1),
            reason: z.string().max(1000).optional(),
          }),
        },
        async handler({ body }, ctx) {
          const known = await classExists(body.components);
          const missing = body.components.map((c, i) => ({ c, i })).filter(({ c }) => !known.has(c));
          if (missing.length) throw HttpProblem.badRequest(`unknown rental class ${missing.map((m) => m.c).join(', ')}`, missing.map((m) => ({ field: `body.components.${m.i}`, message: 'no such rental class' })));
          const members = [...body.components].sort();
          const proposed = await ledger.propose({
            type: 'pack_create',
            target: { type: 'pack', id: members.join('+') },
            // A human asked for it: recorded for review and approved by that human below, not auto-approved.
            confidence: 0.7,
            action: { create: members, name: body.name, quantity: body.quantity },
            modelVersion: 'manual',
            rationale: body.reason ?? `created by ${ctx.principal?.name ?? 'an approver'}`,
          }, actorOf(ctx.principal));
          const decision = proposed.status === 'pending' ? await ledger.approve(proposed.id, actorOf(ctx.principal)) : proposed;
          return { decision: decisionView(decision) };
        },
      }),
      defineEndpoint({
        method: 'DELETE',
        path: '/packs/dissolve-pack/:pack_id',
        summary: 'Records an approver\'s decision to dissolve a pack (approved by that key; un-tagging is done in RFID3)',
        role: 'approve',
        input: { params: z.object({ pack_id: z.string().min(1).max(255) }) },
        async handler({ params }, ctx) {
          const a = await analysis();
          if (!a.packs.some((p) => p.rentalClass === params.pack_id)) throw HttpProblem.notFound(`rental class ${params.pack_id} is not a pack`);
          const open = (await ledger.listOpen({ type: 'pack_dissolve', targetIds: [params.pack_id] })).find((d) => d.status === 'pending');
          const proposed =
            open ??
            (await ledger.propose({
              type: 'pack_dissolve',
              target: { type: 'pack', id: params.pack_id },
              confidence: 0.7,
              action: { dissolve: params.pack_id },
              modelVersion: 'manual',
              rationale: `dissolved by ${ctx.principal?.name ?? 'an approver'}`,
            }, actorOf(ctx.principal)));
          const decision = proposed.status === 'pending' ? await ledger.approve(proposed.id, actorOf(ctx.principal)) : proposed;
          return { decision: decisionView(decision) };
        },
      }),
    );
  },
});

export default packPlugin;
