import type { AnyEndpoint, DecisionLedger, DecisionRecord } from '@rfid3/core';
import { actorOf, decisionRecordSchema, defineEndpoint, HttpProblem, jsonObjectSchema, safeguardOutcomeSchema } from '@rfid3/core';
import { z } from 'zod';
import { ALERT_RULES, severityRank } from './alerts/class-alert.js';
import { RESTOCK_MODEL_VERSION } from './model-version.js';
import type { ClassRestock, RestockSettings } from './restock-analyzer.js';

export const r2 = (x: number) => Math.round(x * 100) / 100;

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

const levels = { reorderPoint: z.number(), orderUpTo: z.number(), safetyStock: z.number() };
const alertSchema = z.object({
  rentalClass: z.string(),
  commonName: z.string().nullable(),
  category: z.string(),
  severity: z.enum(['critical', 'high', 'medium']).nullable(),
  unitsOwned: z.number(),
  onOrder: z.number(),
  onRentNow: z.number(),
  peakDay: z.string().nullable(),
  peakOnRentP50: z.number(),
  peakOnRentP90: z.number(),
  shortfallProbability: z.number(),
  expectedShortfall: z.number(),
  shortfallP90: z.number(),
  shortDays: z.number(),
  expectedStockoutDays: z.number(),
  leadTimeStockoutDays: z.number(),
  ...levels,
});

/** Most severe first, then the larger expected shortfall, then the likelier one. */
const bySeverity = (x: ClassRestock, y: ClassRestock) =>
  severityRank(y.severity) - severityRank(x.severity) || y.expectedShortfall - x.expectedShortfall || y.shortfallProbability - x.shortfallProbability;

/** Value per dollar of a recommendation (stockout days avoided per dollar; a unit of no recorded cost ranks first). */
const valuePerDollar = (c: ClassRestock) => (c.recommendation.purchaseCost > 0 ? c.recommendation.stockoutDaysAvoided / c.recommendation.purchaseCost : Number.POSITIVE_INFINITY);

export interface RestockRouteContext {
  config: RestockSettings;
  ledger: DecisionLedger;
  /** The current restock analysis (kept for a minute at most). */
  analysis: () => Promise<{ asOf: string; classes: ClassRestock[] }>;
  /** The classes of a category as core's `matchCategory` reads the term. */
  inCategory: (classes: ClassRestock[], term?: string) => ClassRestock[];
}

/** The restock plugin's HTTP endpoints. */
export function restockRoutes({ config, ledger, analysis, inCategory }: RestockRouteContext): AnyEndpoint[] {
  return [
    defineEndpoint({
      method: 'GET',
      path: '/restock/restock-alerts',
      aliases: ['/inventory/restock-alerts'],
      summary:
        'Rental classes that may turn requests away within the lead time and horizon, most severe first: on the peak day, the chance of turning a request away with the units owned and on order, the expected units short and the units on rent at the median and 90th percentile; critical from a 50 % chance (or 20 % with 3 units expected short), high from 20 % (or 5 % with 1 unit), medium from 5 %',
      role: 'read',
      output: z.object({
        modelVersion: z.string(),
        dataThrough: z.string(),
        leadTimeDays: z.number(),
        horizonDays: z.number(),
        serviceLevel: z.number(),
        severityRules: z.unknown().describe('the thresholds of each severity'),
        counts: z.object({ critical: z.number().int(), high: z.number().int(), medium: z.number().int() }),
        alerts: z.array(alertSchema),
      }),
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
          counts: {
            critical: alerts.filter((x) => x.severity === 'critical').length,
            high: alerts.filter((x) => x.severity === 'high').length,
            medium: alerts.filter((x) => x.severity === 'medium').length,
          },
          alerts,
        };
      },
    }),
    defineEndpoint({
      method: 'GET',
      path: '/restock/optimization-recommendations',
      aliases: ['/inventory/optimization-recommendations'],
      summary:
        "Units to buy (or sub-rent) where one more unit avoids the most expected stockout days, most severe alert first (an alerted class by its expected shortfall), then by stockout days avoided per dollar, with purchase ROI, reorder levels and velocity classes, and each class's open decision (proposed by the scheduled job or POST /decisions/propose; this read records nothing)",
      role: 'read',
      output: z.object({
        modelVersion: z.string(),
        dataThrough: z.string(),
        policy: z.object({
          leadTimeDays: z.number(),
          horizonDays: z.number(),
          serviceLevel: z.number(),
          minStockoutDaysAvoided: z.number(),
          budgetUnits: z.number().nullable(),
          budgetUsd: z.number().nullable(),
        }),
        recommendations: z.array(
          alertSchema.extend({
            action: z.string(),
            quantity: z.number(),
            stockoutDaysAvoided: z.number(),
            stockoutDaysAvoidedPerThousandUsd: z.number().nullable(),
            marginalStockoutDaysAvoided: z.array(z.number()),
            nextUnitStockoutDaysAvoided: z.number().nullable(),
            unitCost: z.number(),
            purchaseCost: z.number(),
            purchaseRoi: z.number(),
            subRentCost: z.number(),
            expectedProfit: z.number(),
            reason: z.string(),
            decision: z
              .object({
                id: z.number().int(),
                status: z.string(),
                verdict: z.string(),
                safeguards: z.array(safeguardOutcomeSchema),
                action: jsonObjectSchema,
                amountUsd: z.number().nullable(),
              })
              .nullable(),
          }),
        ),
        velocity: z.array(
          z.object({
            rentalClass: z.string(),
            category: z.string(),
            abc: z.string().nullable(),
            xyz: z.string().nullable(),
            mover: z.string().nullable(),
            revenueLastYear: z.number(),
            cv: z.number().nullable(),
            ...levels,
            expectedStockoutDays: z.number(),
          }),
        ),
      }),
      input: { query: z.object({ category: z.string().min(1).max(100).optional() }) },
      async handler({ query }) {
        const a = await analysis();
        const rows = inCategory(a.classes, query.category);
        const ranked = rows
          .filter((x) => x.recommendation.action !== 'none')
          .sort(
            (x, y) =>
              severityRank(y.severity) - severityRank(x.severity) ||
              (x.severity ? y.expectedShortfall - x.expectedShortfall : 0) ||
              valuePerDollar(y) - valuePerDollar(x) ||
              y.recommendation.stockoutDaysAvoided - x.recommendation.stockoutDaysAvoided,
          );
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
            decision: decision
              ? { id: decision.id, status: decision.status, verdict: decision.verdict, safeguards: decision.safeguards, action: decision.action, amountUsd: decision.amountUsd }
              : null,
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
      path: '/restock/approve-restock/:item_id',
      aliases: ['/inventory/approve-restock/:item_id'],
      summary:
        'Approves (optionally with another quantity), rejects, or records the execution or failure of the open restock decision of a rental class; the ledger re-prices and re-checks every safeguard, and approving or executing needs an approve key',
      role: 'operate',
      output: z.object({ decision: decisionRecordSchema }),
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
        if (body.action === 'approve')
          updated = await ledger.approve(decision.id, actor, body.quantity ? { quantity: body.quantity, reason: body.reason ?? 'quantity changed on approval' } : undefined);
        else if (body.action === 'reject') updated = await ledger.reject(decision.id, actor, body.reason!);
        else if (body.action === 'execute') updated = await ledger.execute(decision.id, actor);
        else updated = await ledger.fail(decision.id, actor, body.reason!);
        return { decision: updated };
      },
    }),
  ];
}
