import type { AnyEndpoint, Clock, PredictionService } from '@rfid3/core';
import { defineEndpoint, driverSchema, jsonObjectSchema, recordItemRows, sqlDateTime } from '@rfid3/core';
import { z } from 'zod';
import type { MaintenanceService } from './service.js';

export const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;
export const tagId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._:-]+$/, 'a tag_id (letters, digits, . _ : -)');

const feedbackRow = z.object({
  item_id: tagId,
  outcome: z.enum(['failed', 'no_failure', 'repaired']),
  observed_at: z.union([z.iso.datetime({ local: true }), z.iso.datetime(), z.iso.date()]).optional(),
  repair_cost: z.number().min(0).max(1_000_000).optional(),
  notes: z.string().max(1000).optional(),
});

export interface MaintenanceRouteContext {
  config: { capacityPerDay: number; preventiveFactor: number; emergencyFactor: number };
  deps: { clock: Clock; predictions: PredictionService };
  service: MaintenanceService;
}

/** The maintenance plugin's HTTP endpoints. */
export function maintenanceRoutes({ config, deps, service }: MaintenanceRouteContext): AnyEndpoint[] {
  return [
    defineEndpoint({
      method: 'GET',
      path: '/maintenance/probability/:item_id',
      summary: 'Probability that an item needs repair within N days and within N rentals, its remaining useful life in rentals (80 % interval) and the drivers',
      role: 'read',
      output: z.object({
        itemId: z.string(),
        rentalClass: z.string(),
        category: z.string(),
        commonName: z.string().nullable(),
        status: z.string().nullable(),
        dataThrough: z.string(),
        modelVersion: z.string(),
        cached: z.boolean(),
        source: z.string(),
        probability: z.object({
          withinDays: z.number(),
          days: z.number().int(),
          expectedRentals: z.number(),
          withinRentals: z.number(),
          rentals: z.number().int(),
          nextRental: z.number(),
        }),
        baseline: z.object({ model: z.literal('weibull'), shape: z.number(), scale: z.number(), nextRental: z.number(), relativeRisk: z.number() }),
        rentalsSinceService: z.number(),
        remainingUsefulLife: z.object({
          unit: z.literal('rentals'),
          median: z.number().nullable(),
          lower: z.number().nullable(),
          upper: z.number().nullable(),
          level: z.number(),
          mean: z.number().nullable(),
        }),
        expectedRepairCost: z.number(),
        drivers: z.array(driverSchema),
        validation: jsonObjectSchema.nullable().describe("the active model's validation beside the Weibull baseline"),
        note: z.string().optional(),
      }),
      input: {
        params: z.object({ item_id: tagId }),
        query: z.object({ days: z.coerce.number().int().min(1).max(365).default(30), rentals: z.coerce.number().int().min(1).max(500).default(10) }),
      },
      async handler({ params, query }) {
        const answer = await deps.predictions.predict('maintenance.failure', { itemId: params.item_id, days: query.days });
        const r = await service.itemRisk(params.item_id, query.days, query.rentals);
        const p = answer.predictions[0]!;
        return {
          itemId: params.item_id,
          rentalClass: r.item.rentalClass,
          category: r.item.category,
          commonName: r.item.commonName,
          status: r.item.status,
          dataThrough: r.dataThrough,
          modelVersion: answer.modelVersion,
          cached: answer.cached,
          source: p.source,
          probability: {
            withinDays: round(p.value),
            days: query.days,
            expectedRentals: round(r.expectedRentals, 2),
            withinRentals: round(r.withinRentals),
            rentals: query.rentals,
            nextRental: round(r.risk.nextRental),
          },
          baseline: {
            model: 'weibull',
            shape: round(r.risk.baseline.shape, 3),
            scale: round(r.risk.baseline.scale, 2),
            nextRental: round(r.risk.baselineNextRental),
            relativeRisk: round(r.risk.relativeRisk, 3),
          },
          rentalsSinceService: r.risk.since,
          remainingUsefulLife: {
            unit: 'rentals',
            median: r.remainingLife.median,
            lower: r.remainingLife.p10,
            upper: r.remainingLife.p90,
            level: 0.8,
            mean: round(r.remainingLife.mean, 1),
          },
          expectedRepairCost: round(r.repairCost, 2),
          drivers: p.drivers.map((d) => ({ ...d, effect: round(d.effect) })),
          validation: r.validation,
          ...(r.item.status === 'Repair' ? { note: 'the item is in repair now; figures are for after it returns to service' } : {}),
        };
      },
    }),
    defineEndpoint({
      method: 'GET',
      path: '/maintenance/schedule',
      summary: 'Work orders that minimise expected cost (preventive cost vs emergency repair × probability) within the daily workshop capacity, with the expected saving',
      role: 'read',
      output: z.object({
        generatedAt: z.string(),
        dataThrough: z.string(),
        modelVersion: z.string(),
        from: z.string(),
        days: z.number().int(),
        capacityPerDay: z.number().int(),
        costs: z.object({ preventiveFactor: z.number(), emergencyFactor: z.number(), basis: z.string() }),
        expectedSaving: z.number(),
        expectedCostWithoutPlan: z.number(),
        expectedCostWithPlan: z.number(),
        scheduled: z.number().int(),
        slots: z.number().int(),
        unscheduledWithPositiveSaving: z.number().int(),
        orders: z.array(
          z.object({
            day: z.string(),
            itemId: z.string(),
            rentalClass: z.string(),
            commonName: z.string().nullable(),
            category: z.string(),
            probability: z.number(),
            probabilityAfterService: z.number(),
            urgency7Days: z.number(),
            preventiveCost: z.number(),
            expectedEmergencyCost: z.number(),
            expectedSaving: z.number(),
          }),
        ),
      }),
      input: {
        query: z.object({
          days: z.coerce.number().int().min(1).max(180).default(30),
          capacity: z.coerce.number().int().min(1).max(10_000).optional(),
          limit: z.coerce.number().int().min(1).max(5000).default(200),
        }),
      },
      async handler({ query }) {
        const capacityPerDay = query.capacity ?? config.capacityPerDay;
        const costs = { preventiveFactor: config.preventiveFactor, emergencyFactor: config.emergencyFactor };
        const { plan, snap, startDay } = await service.schedule(query.days, capacityPerDay, costs);
        const byTag = snap.byTag;
        return {
          generatedAt: sqlDateTime(deps.clock.now()),
          dataThrough: snap.state.dataThrough,
          modelVersion: snap.versionTag,
          from: startDay,
          days: query.days,
          capacityPerDay,
          costs: { ...costs, basis: 'multiples of the rental class mean repair cost (from repair estimates)' },
          expectedSaving: round(plan.expectedSaving, 2),
          expectedCostWithoutPlan: round(plan.expectedCostWithoutPlan, 2),
          expectedCostWithPlan: round(plan.expectedCostWithPlan, 2),
          scheduled: plan.orders.length,
          slots: plan.slots,
          unscheduledWithPositiveSaving: plan.unscheduledPositive,
          orders: plan.orders.slice(0, query.limit).map((o) => {
            const item = snap.items[byTag.get(o.tagId)!]!;
            return {
              day: o.day,
              itemId: o.tagId,
              rentalClass: item.rentalClass,
              commonName: item.commonName,
              category: item.category,
              probability: round(o.probability),
              probabilityAfterService: round(o.probabilityAfterService),
              urgency7Days: round(o.urgency),
              preventiveCost: round(o.preventiveCost, 2),
              expectedEmergencyCost: round(o.expectedEmergencyCost, 2),
              expectedSaving: round(o.expectedSaving, 2),
            };
          }),
        };
      },
    }),
    defineEndpoint({
      method: 'POST',
      path: '/maintenance/feedback',
      summary: 'Records actual outcomes (failed, no_failure, repaired) per item; they relabel returns for the next training. Valid rows are kept even when others are rejected.',
      role: 'ingest',
      output: z.object({ recorded: z.number().int(), note: z.string() }),
      input: { body: z.object({ items: z.array(z.unknown()).min(1).max(5000) }) },
      async handler({ body }) {
        const recorded = await recordItemRows(
          body.items,
          feedbackRow,
          (rows) => service.recordFeedback(rows),
          () => deps.predictions.invalidate('maintenance.failure'),
        );
        return { recorded, note: 'outcomes become labels at the next retraining (POST /models/retrain/maintenance)' };
      },
    }),
  ];
}
