import { actorOf, coreServices, defineEndpoint, definePlugin, HttpProblem, matchCategory, plainDay, systemActor } from '@rfid3/core';
import type { DecisionActor, DecisionLedger, DecisionRecord, ProposedDecision } from '@rfid3/core';
import { restockImpactMeasure } from './alerts/impact.js';
import { demandServices } from '@rfid3/plugin-demand';
import { z } from 'zod';
import pkg from '../package.json' with { type: 'json' };
import { ALERT_RULES, severityRank } from './alerts/class-alert.js';
import { analyseRestock } from './restock-analyzer.js';
import type { ClassRestock } from './restock-analyzer.js';

export * from './alerts/index.js';
export * from './policy/index.js';
export * from './simulation/index.js';
export * from './velocity/index.js';
export { analyseRestock } from './restock-analyzer.js';
export type { ClassRestock, RestockSettings } from './restock-analyzer.js';

/** Model version recorded with every restock answer this plugin gives. */
export const RESTOCK_MODEL_VERSION = 'restock.allocation@2';

const configSchema = z.object({
  /** Days from a purchase order to rentable units. */
  leadTimeDays: z.number().int().min(1).max(120).default(14),
  /** Days after the lead time whose peak the purchase must cover. */
  horizonDays: z.number().int().min(0).max(42).default(14),
  /** Service level of the reorder point, order-up-to level and the bound of units on rent. */
  serviceLevel: z.number().min(0.5).max(0.999).default(0.95),
  /**
   * A unit is recommended when it avoids at least this many expected stockout days from its arrival (after the lead
   * time) to the end of the horizon (15 days by default): 0.05, i.e. 0.0033 per unit-day, about 8 × the shadow price
   * (median 0.0004 per unit-day) at which the inventory-neutral allocation of `pnpm eval restock` settles — more
   * cautious than the simulation, since a live reading sees only the window and not the rest of a unit's life.
   */
  minStockoutDaysAvoided: z.number().min(0.0001).max(100).default(0.05),
  /** At most this many units bought per reading, the ones avoiding the most stockout days (default: no unit budget). */
  budgetUnits: z.number().int().min(0).max(1_000_000).optional(),
  /** At most this many dollars per reading, best stockout days avoided per dollar first (default: no dollar budget). */
  budgetUsd: z.number().min(0).max(100_000_000).optional(),
  expectedLifeYears: z.number().min(0.5).max(30).default(5),
  marginalRevenueShare: z.number().min(0).max(1).default(0.5),
  subRentCostShare: z.number().min(0).max(2).default(0.6),
});

const r2 = (x: number) => Math.round(x * 100) / 100;

const r4 = (x: number) => Math.round(x * 10_000) / 10_000;

function levelsView(c: ClassRestock) {
  return { reorderPoint: c.reorder.reorderPoint, orderUpTo: c.reorder.orderUpTo, safetyStock: r2(c.reorder.safetyStock) };
}

function alertView(c: ClassRestock) {
  return {
    rentalClass: c.rentalClass,
    commonName: c.commonName,
    category: c.category,
    severity: c.severity,
    unitsOwned: c.units,
    onOrder: c.onOrder,
    onRentNow: c.onRentNow,
    peakDay: c.peakDay,
    /** Units on rent on the peak day, not limited by the fleet: median and 90th percentile. */
    peakOnRentP50: c.peakOnRentP50,
    peakOnRentP90: c.peakOnRentP90,
    /** P(a request goes unserved) on the peak day with the units owned and on order. */
    shortfallProbability: r4(c.shortfallProbability),
    /** Expected units short on the peak day, and units short at its 90th percentile. */
    expectedShortfall: r4(c.expectedShortfall),
    shortfallP90: c.shortfallP90,
    shortDays: c.shortDays,
    expectedStockoutDays: r4(c.expectedStockoutDays),
    leadTimeStockoutDays: r4(c.leadTimeStockoutDays),
    ...levelsView(c),
  };
}

/** Most severe first, then the larger expected shortfall, then the likelier one. */
const bySeverity = (x: ClassRestock, y: ClassRestock) =>
  severityRank(y.severity) - severityRank(x.severity) || y.expectedShortfall - x.expectedShortfall || y.shortfallProbability - x.shortfallProbability;

/** Value per dollar of a recommendation (stockout days avoided per dollar; a unit of no recorded cost ranks first). */
const valuePerDollar = (c: ClassRestock) => (c.recommendation.purchaseCost > 0 ? c.recommendation.stockoutDaysAvoided / c.recommendation.purchaseCost : Number.POSITIVE_INFINITY);

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
  register({ config, deps, endpoint, job }) {
    const ledger: DecisionLedger = deps.decisions;
    ledger.addImpactMeasure(restockImpactMeasure(deps.database));
    let cached: { asOf: string; at: number; result: Awaited<ReturnType<typeof analyseRestock>> } | null = null;
    const analysis = async () => {
      const asOf = deps.forecaster.dataThrough();
      // The analysis reads live on-rent counts too, so it is kept for a minute at most.
      if (cached && cached.asOf === asOf && Date.now() - cached.at < 60_000) return cached.result;
      const result = await analyseRestock({ database: deps.database, inventory: deps.inventory, forecaster: deps.forecaster }, config);
      cached = { asOf, at: Date.now(), result };
      return result;
    };
    /** The classes of a category as core's `matchCategory` reads the term (exact, else the one containing it; 404 otherwise). */
    const inCategory = (classes: ClassRestock[], term?: string) => {
      if (!term) return classes;
      const name = matchCategory(classes.map((c) => c.category), term);
      return classes.filter((c) => c.category === name);
    };
    /** The purchase a class's recommendation stands for, as a decision to propose (none: nothing to buy, or no unit cost to price it). */
    const proposalFor = (c: ClassRestock): ProposedDecision | null => {
      const rec = c.recommendation;
      if (rec.action !== 'buy' || !(c.unitCost > 0) || !rec.impact) return null;
      const impact = rec.impact;
      return {
        type: 'restock',
        target: { type: 'rental_class', id: c.rentalClass },
        // The peak day's stockout probability: how sure the model is that the class runs short without the units.
        confidence: r2(c.shortfallProbability),
        quantity: rec.quantity,
        unitCostUsd: c.unitCost,
        amountUsd: r2(rec.quantity * c.unitCost),
        // Measurable once the window has passed: the rent the units earn in it (kpis.match-impact measures the same).
        predictedImpact: r2(impact.revenue),
        action: {
          rentalClass: c.rentalClass,
          quantity: rec.quantity,
          needBy: c.peakDay,
          impact: { from: impact.from, to: impact.to, baseUnits: impact.baseUnits, dailyRate: impact.dailyRate, unitDays: r2(impact.unitDays) },
        },
        modelVersion: RESTOCK_MODEL_VERSION,
        rationale: `${rec.reason}. Expected: the new units on rent ${impact.unitDays.toFixed(1)} days in all from ${plainDay(impact.from)} to ${plainDay(impact.to)}, at $${impact.dailyRate.toFixed(2)} a day`,
      };
    };

    // Proposals are made here, by the scheduled job or `POST /decisions/propose`, never by a read.
    job('propose', async (payload: { actor?: DecisionActor } = {}) => {
      const a = await analysis();
      const proposals = a.classes.map(proposalFor).filter((p): p is ProposedDecision => p !== null);
      const { proposed, superseded } = await ledger.proposeAll('restock', proposals, { targets: a.classes.map((c) => c.rentalClass), actor: payload.actor ?? systemActor('restock') });
      return { proposed: proposed.length, pending: proposed.filter((d) => d.status === 'pending').length, superseded };
    });

    endpoint(
      defineEndpoint({
        method: 'GET',
        path: '/inventory/restock-alerts',
        summary:
          'Rental classes that may turn requests away within the lead time and horizon, most severe first: on the peak day, the chance of turning a request away with the units owned and on order, the expected units short and the units on rent at the median and 90th percentile; critical from a 50 % chance (or 20 % with 3 units expected short), high from 20 % (or 5 % with 1 unit), medium from 5 %',
        role: 'read',
        input: {
          query: z.object({
            severity: z.enum(['critical', 'high', 'medium']).optional(),
            category: z.string().min(1).max(100).optional(),
          }),
        },
        async handler({ query }) {
          const a = await analysis();
          const alerts = inCategory(a.classes, query.category)
            .filter((c) => c.severity !== null)
            .filter((c) => !query.severity || c.severity === query.severity)
            .sort(bySeverity)
            .map(alertView);
          return {
            modelVersion: RESTOCK_MODEL_VERSION,
            dataThrough: a.asOf,
            leadTimeDays: config.leadTimeDays,
            horizonDays: config.horizonDays,
            serviceLevel: config.serviceLevel,
            severityRules: ALERT_RULES,
            counts: { critical: alerts.filter((x) => x.severity === 'critical').length, high: alerts.filter((x) => x.severity === 'high').length, medium: alerts.filter((x) => x.severity === 'medium').length },
            alerts,
          };
        },
      }),
      defineEndpoint({
        method: 'GET',
        path: '/inventory/optimization-recommendations',
        summary: 'Units to buy (or sub-rent) where one more unit avoids the most expected stockout days, most severe alert first (an alerted class by its expected shortfall), then by stockout days avoided per dollar, with purchase ROI, reorder levels and velocity classes, and each class\'s open decision (proposed by the scheduled job or POST /decisions/propose; this read records nothing)',
        role: 'read',
        input: { query: z.object({ category: z.string().min(1).max(100).optional() }) },
        async handler({ query }) {
          const a = await analysis();
          const rows = inCategory(a.classes, query.category);
          const ranked = rows
            .filter((x) => x.recommendation.action !== 'none')
            .sort((x, y) => severityRank(y.severity) - severityRank(x.severity) || (x.severity ? y.expectedShortfall - x.expectedShortfall : 0) || valuePerDollar(y) - valuePerDollar(x) || y.recommendation.stockoutDaysAvoided - x.recommendation.stockoutDaysAvoided);
          // A read: the open decision of each class is looked up, nothing is recorded.
          const open = new Map((await ledger.listOpen({ type: 'restock', targetIds: ranked.map((c) => c.rentalClass) })).map((d) => [d.target.id, d]));
          const recommendations = ranked.map((c) => {
            const rec = c.recommendation;
            const decision: DecisionRecord | null = open.get(c.rentalClass) ?? null;
            return {
              ...alertView(c),
              action: rec.action,
              quantity: rec.quantity,
              stockoutDaysAvoided: r4(rec.stockoutDaysAvoided),
              stockoutDaysAvoidedPerThousandUsd: rec.purchaseCost > 0 ? r4((rec.stockoutDaysAvoided / rec.purchaseCost) * 1000) : null,
              /** The first ten units' stockout days avoided, and the next unit's beyond the recommendation (null: none avoids any). */
              marginalStockoutDaysAvoided: c.marginalAvoided.slice(0, 10).map(r4),
              nextUnitStockoutDaysAvoided: rec.action === 'buy' && c.marginalAvoided[rec.quantity] !== undefined ? r4(c.marginalAvoided[rec.quantity]!) : null,
              unitCost: c.unitCost,
              purchaseCost: r2(rec.purchaseCost),
              purchaseRoi: r2(rec.purchaseRoi),
              subRentCost: r2(rec.subRentCost),
              expectedProfit: r2(rec.expectedProfit),
              reason: rec.reason,
              decision: decision ? { id: decision.id, status: decision.status, verdict: decision.verdict, safeguards: decision.safeguards, action: decision.action, amountUsd: decision.amountUsd } : null,
            };
          });
          const velocity = rows.map((c) => ({
            rentalClass: c.rentalClass,
            category: c.category,
            abc: c.velocity?.abc ?? null,
            xyz: c.velocity?.xyz ?? null,
            mover: c.velocity?.mover ?? null,
            revenueLastYear: r2(c.revenueLastYear),
            cv: c.velocity && Number.isFinite(c.velocity.cv) ? r2(c.velocity.cv) : null,
            ...levelsView(c),
            expectedStockoutDays: r4(c.expectedStockoutDays),
          }));
          return {
            modelVersion: RESTOCK_MODEL_VERSION,
            dataThrough: a.asOf,
            policy: {
              leadTimeDays: config.leadTimeDays,
              horizonDays: config.horizonDays,
              serviceLevel: config.serviceLevel,
              minStockoutDaysAvoided: config.minStockoutDaysAvoided,
              budgetUnits: config.budgetUnits ?? null,
              budgetUsd: config.budgetUsd ?? null,
            },
            recommendations,
            velocity,
          };
        },
      }),
      defineEndpoint({
        method: 'POST',
        path: '/inventory/approve-restock/:item_id',
        summary: 'Approves (optionally with another quantity), rejects, or records the execution or failure of the open restock decision of a rental class; the ledger re-prices and re-checks every safeguard, and approving or executing needs an approve key',
        role: 'operate',
        input: {
          params: z.object({ item_id: z.string().min(1).max(255) }),
          body: z
            .object({
              action: z.enum(['approve', 'reject', 'execute', 'fail']),
              decision_id: z.number().int().positive().optional(),
              quantity: z.number().int().positive().max(1_000_000).optional(),
              reason: z.string().min(1).max(1000).optional(),
            })
            .refine((b) => b.action === 'approve' || b.action === 'execute' || b.reason, { message: 'a reason is required to reject or fail', path: ['reason'] })
            .refine((b) => b.quantity === undefined || b.action === 'approve', { message: 'a quantity can be changed only on approval', path: ['quantity'] }),
        },
        async handler({ params, body }, ctx) {
          const actor = actorOf(ctx.principal);
          let decision: DecisionRecord | null;
          if (body.decision_id) {
            decision = await ledger.get(body.decision_id);
            if (!decision || decision.decisionType !== 'restock' || decision.target.id !== params.item_id) {
              throw HttpProblem.notFound(`no restock decision ${body.decision_id} for ${params.item_id}`);
            }
          } else {
            const wanted = body.action === 'approve' || body.action === 'reject' ? 'pending' : 'approved';
            decision = (await ledger.listOpen({ type: 'restock', targetIds: [params.item_id] })).find((d) => d.status === wanted) ?? null;
            if (!decision) throw HttpProblem.notFound(`rental class ${params.item_id} has no ${wanted} restock decision`);
          }
          let updated: DecisionRecord;
          if (body.action === 'approve') updated = await ledger.approve(decision.id, actor, body.quantity ? { quantity: body.quantity, reason: body.reason ?? 'quantity changed on approval' } : undefined);
          else if (body.action === 'reject') updated = await ledger.reject(decision.id, actor, body.reason!);
          else if (body.action === 'execute') updated = await ledger.execute(decision.id, actor);
          else updated = await ledger.fail(decision.id, actor, body.reason!);
          return { decision: updated };
        },
      }),
    );
  },
});

export default restockPlugin;
