import { coreServices, defineEndpoint, definePlugin, HttpProblem } from '@rfid3/core';
import type { DecisionLedger, DecisionRecord, ProposedDecision } from '@rfid3/core';
import { demandServices } from '@rfid3/plugin-demand';
import { z } from 'zod';
import pkg from '../package.json' with { type: 'json' };
import { analyseRestock } from './restock-analyzer.js';
import type { ClassRestock } from './restock-analyzer.js';

export * from './policy/index.js';
export * from './simulation/index.js';
export * from './velocity/index.js';
export { analyseRestock } from './restock-analyzer.js';
export type { ClassRestock, RestockSettings, Severity } from './restock-analyzer.js';

export const RESTOCK_MODEL_VERSION = 'restock.on-rent-bound@1';

const configSchema = z.object({
  /** Days from a purchase order to rentable units. */
  leadTimeDays: z.number().int().min(1).max(120).default(14),
  /** Days after the lead time whose peak the purchase must cover. */
  horizonDays: z.number().int().min(0).max(42).default(14),
  /** Cycle service level of the on-rent bound. */
  serviceLevel: z.number().min(0.5).max(0.999).default(0.95),
  expectedLifeYears: z.number().min(0.5).max(30).default(5),
  marginalRevenueShare: z.number().min(0).max(1).default(0.5),
  subRentCostShare: z.number().min(0).max(2).default(0.6),
});

const SEVERITY_ORDER = { critical: 0, high: 1, medium: 2 } as const;
const r2 = (x: number) => Math.round(x * 100) / 100;

function alertView(c: ClassRestock) {
  return {
    rentalClass: c.rentalClass,
    commonName: c.commonName,
    category: c.category,
    severity: c.severity,
    unitsOwned: c.units,
    onRentNow: c.onRentNow,
    peakDay: c.peakDay,
    peakExpectedOnRent: r2(c.peakMean),
    peakBound: c.peakBound,
    shortfall: c.shortfall,
    shortfallProbability: r2(c.shortfallProbability),
    shortDays: c.shortDays,
  };
}

/**
 * Velocity classes, reorder decisions, restock alerts and approvals.
 */
export const restockPlugin = definePlugin({
  id: 'restock',
  version: pkg.version,
  coreRange: pkg.peerDependencies['@rfid3/core'],
  description: 'Velocity classes, reorder decisions, restock alerts and approvals',
  configSchema,
  requires: {
    database: coreServices.database,
    inventory: coreServices.inventory,
    decisions: coreServices.decisions,
    forecaster: demandServices.forecaster,
  },
  register({ config, deps, endpoint }) {
    const ledger: DecisionLedger = deps.decisions;
    let cached: { asOf: string; at: number; result: Awaited<ReturnType<typeof analyseRestock>> } | null = null;
    const analysis = async () => {
      const asOf = deps.forecaster.dataThrough();
      // The analysis reads live on-rent counts too, so it is kept for a minute at most.
      if (cached && cached.asOf === asOf && Date.now() - cached.at < 60_000) return cached.result;
      const result = await analyseRestock({ database: deps.database, inventory: deps.inventory, forecaster: deps.forecaster }, config);
      cached = { asOf, at: Date.now(), result };
      return result;
    };
    const categoryFilter = (category?: string) => (c: ClassRestock) => !category || c.category.toLowerCase() === category.toLowerCase();

    async function proposeOnce(d: ProposedDecision): Promise<DecisionRecord> {
      const existing = await ledger.list({ type: d.type, targetId: d.target.id, limit: 10 });
      const same = existing.find((r) => (r.status === 'pending' || r.status === 'approved') && JSON.stringify(r.originalAction ?? r.action) === JSON.stringify(d.action));
      return same ?? ledger.propose(d);
    }

    endpoint(
      defineEndpoint({
        method: 'GET',
        path: '/inventory/restock-alerts',
        summary: 'Rental classes whose units owned fall short of the service-level bound of units on rent at once within the lead time and horizon, by severity',
        role: 'read',
        input: {
          query: z.object({
            severity: z.enum(['critical', 'high', 'medium']).optional(),
            category: z.string().min(1).max(100).optional(),
          }),
        },
        async handler({ query }) {
          const a = await analysis();
          const alerts = a.classes
            .filter((c) => c.severity !== null && categoryFilter(query.category)(c))
            .filter((c) => !query.severity || c.severity === query.severity)
            .sort((x, y) => SEVERITY_ORDER[x.severity!] - SEVERITY_ORDER[y.severity!] || y.shortfall - x.shortfall)
            .map(alertView);
          return {
            modelVersion: RESTOCK_MODEL_VERSION,
            dataThrough: a.asOf,
            leadTimeDays: config.leadTimeDays,
            horizonDays: config.horizonDays,
            serviceLevel: config.serviceLevel,
            counts: { critical: alerts.filter((x) => x.severity === 'critical').length, high: alerts.filter((x) => x.severity === 'high').length, medium: alerts.filter((x) => x.severity === 'medium').length },
            alerts,
          };
        },
      }),
      defineEndpoint({
        method: 'GET',
        path: '/inventory/optimization-recommendations',
        summary: 'Velocity classes (ABC by revenue, XYZ by variability, fast/slow movers) and buy-or-sub-rent recommendations with purchase ROI; each purchase is a recorded decision',
        role: 'read',
        input: { query: z.object({ category: z.string().min(1).max(100).optional() }) },
        async handler({ query }) {
          const a = await analysis();
          const rows = a.classes.filter(categoryFilter(query.category));
          if (query.category && rows.length === 0) throw HttpProblem.notFound(`no rental classes in category '${query.category}'`);
          const recommendations = [];
          for (const c of rows.filter((x) => x.recommendation.action !== 'none')) {
            const rec = c.recommendation;
            const decision =
              rec.action === 'buy' && c.unitCost > 0
                ? await proposeOnce({
                    type: 'restock',
                    target: { type: 'rental_class', id: c.rentalClass },
                    confidence: r2(c.shortfallProbability),
                    quantity: rec.quantity,
                    unitCostUsd: c.unitCost,
                    amountUsd: r2(rec.quantity * c.unitCost),
                    predictedImpact: r2(rec.expectedProfit),
                    action: { rentalClass: c.rentalClass, buy: rec.quantity, quantity: rec.quantity, needBy: c.peakDay },
                    modelVersion: RESTOCK_MODEL_VERSION,
                    rationale: rec.reason,
                  })
                : null;
            recommendations.push({
              ...alertView(c),
              action: rec.action,
              quantity: rec.quantity,
              unitCost: c.unitCost,
              purchaseCost: r2(rec.purchaseCost),
              purchaseRoi: r2(rec.purchaseRoi),
              subRentCost: r2(rec.subRentCost),
              expectedProfit: r2(rec.expectedProfit),
              reason: rec.reason,
              decision: decision ? { id: decision.id, status: decision.status, verdict: decision.verdict, safeguards: decision.safeguards, action: decision.action } : null,
            });
          }
          const velocity = rows.map((c) => ({
            rentalClass: c.rentalClass,
            category: c.category,
            abc: c.velocity?.abc ?? null,
            xyz: c.velocity?.xyz ?? null,
            mover: c.velocity?.mover ?? null,
            revenueLastYear: r2(c.revenueLastYear),
            cv: c.velocity && Number.isFinite(c.velocity.cv) ? r2(c.velocity.cv) : null,
          }));
          return { modelVersion: RESTOCK_MODEL_VERSION, dataThrough: a.asOf, recommendations, velocity };
        },
      }),
      defineEndpoint({
        method: 'POST',
        path: '/inventory/approve-restock/:item_id',
        summary: 'Approves (optionally with another quantity), rejects, or records the execution or failure of the open restock decision of a rental class',
        role: 'operate',
        input: {
          params: z.object({ item_id: z.string().min(1).max(255) }),
          body: z
            .object({
              action: z.enum(['approve', 'reject', 'execute', 'fail']),
              decision_id: z.number().int().positive().optional(),
              quantity: z.number().int().positive().max(100_000).optional(),
              reason: z.string().min(1).max(1000).optional(),
            })
            .refine((b) => b.action === 'approve' || b.action === 'execute' || b.reason, { message: 'a reason is required to reject or fail', path: ['reason'] }),
        },
        async handler({ params, body }, ctx) {
          const by = ctx.principal?.name ?? 'unknown';
          let decision: DecisionRecord | null;
          if (body.decision_id) {
            decision = await ledger.get(body.decision_id);
            if (!decision || decision.decisionType !== 'restock' || decision.target.id !== params.item_id) {
              throw HttpProblem.notFound(`no restock decision ${body.decision_id} for ${params.item_id}`);
            }
          } else {
            const wanted = body.action === 'approve' || body.action === 'reject' ? 'pending' : 'approved';
            decision = (await ledger.list({ type: 'restock', targetId: params.item_id, status: wanted, limit: 1 }))[0] ?? null;
            if (!decision) throw HttpProblem.notFound(`rental class ${params.item_id} has no ${wanted} restock decision`);
          }
          let updated: DecisionRecord;
          if (body.action === 'approve') {
            updated = await ledger.approve(
              decision.id,
              by,
              body.quantity ? { action: { ...decision.action, quantity: body.quantity, buy: body.quantity }, reason: body.reason ?? 'quantity changed on approval' } : undefined,
            );
          } else if (body.action === 'reject') updated = await ledger.reject(decision.id, by, body.reason!);
          else if (body.action === 'execute') updated = await ledger.markExecuted(decision.id);
          else updated = await ledger.markFailed(decision.id, body.reason!);
          return { decision: updated };
        },
      }),
    );
  },
});

export default restockPlugin;
