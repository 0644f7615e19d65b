import type { Prediction } from '@rfid3/core';
import { coreServices, defineEndpoint, definePlugin, definePredictor, HttpProblem, keepSchedule, rejectedFieldErrors, sqlDateTime, validateRows } from '@rfid3/core';
import { z } from 'zod';
import pkg from '../package.json' with { type: 'json' };
import { matchFailureActuals } from './actuals.js';
import { DEFAULT_FAILURE_OPTIONS } from './failure-model.js';
import { maintenanceMigrations } from './migrations.js';
import { FAILURE_MODEL_NAME, FAILURE_PREDICTION_TYPE, MaintenanceService } from './service.js';

export { backtestClassify } from '@rfid3/learn';
export type { ClassifyBacktestOptions, ClassifyBacktestResult } from '@rfid3/learn';
export { fitWeibull, weibullHazard, weibullSurvival, remainingRentals } from './weibull.js';
export type { Spell, WeibullFit, WeibullParams } from './weibull.js';
export { loadItemHistories, WEAR_FLAGS, GRADES } from './history.js';
export type { ItemEvent, ItemHistory, FeedbackRow } from './history.js';
export { FEATURE_NAMES } from './features.js';
export {
  trainFailureModel,
  fitBaseline,
  serviceSpells,
  scoreItems,
  failureWithinDays,
  failureWithinRentals,
  trainingRows,
  DEFAULT_FAILURE_OPTIONS,
} from './failure-model.js';
export type { FailureModelState, FailureRisk, FailureModelOptions } from './failure-model.js';
export { planMaintenance } from './schedule.js';
export { matchFailureActuals } from './actuals.js';
export type { Schedule, WorkOrder, ScheduleCosts } from './schedule.js';
export { MaintenanceService, FAILURE_MODEL_NAME, FAILURE_PREDICTION_TYPE } from './service.js';

const configSchema = z.object({
  /** Services the workshop can do per day. */
  capacityPerDay: z.number().int().min(1).max(10_000).default(12),
  /** A planned service costs this multiple of the class's mean repair cost … */
  preventiveFactor: z.number().min(0).max(10).default(0.35),
  /** … and a failure in the field (repair, rush handling, the lost rental) this multiple. */
  emergencyFactor: z.number().min(0).max(20).default(1.8),
  /** Trees in the failure forest. */
  trees: z.number().int().min(10).max(500).default(DEFAULT_FAILURE_OPTIONS.forest.nEstimators ?? 60),
  validationDays: z.number().int().min(14).max(365).default(DEFAULT_FAILURE_OPTIONS.validationDays),
  /** How often stored failure probabilities are matched with what happened (a fraction of a minute is allowed); 0 turns the schedule off. */
  matchActualsEveryMinutes: z.number().min(0).default(60),
});

const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;
const tagId = z.string().min(1).max(64).regex(/^[A-Za-z0-9._:-]+$/, 'a tag_id (letters, digits, . _ : -)');

const feedbackRow = z.object({
  item_id: tagId,
  outcome: z.enum(['failed', 'no_failure', 'repaired']),
  observed_at: z.union([z.iso.datetime({ local: true }), z.iso.datetime(), z.iso.date()]).optional(),
  repair_cost: z.number().min(0).max(1_000_000).optional(),
  notes: z.string().max(1000).optional(),
});

/**
 * Failure probability within N days or rentals, remaining useful life in rentals, and a maintenance
 * schedule that minimises expected cost within the workshop's daily capacity.
 */
export const maintenancePlugin = definePlugin({
  id: 'maintenance',
  version: pkg.version,
  coreRange: pkg.peerDependencies['@rfid3/core'],
  description: 'Failure probability, remaining useful life and cost-minimising maintenance schedules',
  configSchema,
  migrations: maintenanceMigrations,
  requires: {
    inventory: coreServices.inventory,
    registry: coreServices.modelRegistry,
    clock: coreServices.clock,
    predictions: coreServices.predictions,
    database: coreServices.database,
    jobs: coreServices.jobs,
    store: coreServices.predictionStore,
  },
  register({ config, deps, endpoint, predictor, job, logger, onStart, onStop }) {
    const service = new MaintenanceService(
      { database: deps.database, inventory: deps.inventory, registry: deps.registry, clock: deps.clock, logger },
      { ...DEFAULT_FAILURE_OPTIONS, forest: { ...DEFAULT_FAILURE_OPTIONS.forest, nEstimators: config.trees }, validationDays: config.validationDays },
    );
    deps.registry.onActivate((info) => {
      if (info.modelName === FAILURE_MODEL_NAME) service.invalidate();
    });

    predictor(
      definePredictor({
        id: 'maintenance.failure',
        description: 'Probability that an item needs repair within the next N days',
        querySchema: z.object({ itemId: tagId, days: z.number().int().min(1).max(365).default(30), asOf: z.string().optional() }),
        modelVersion: () => service.versionTag(),
        async predict(q): Promise<Prediction[]> {
          const r = await service.itemRisk(q.itemId, q.days, 1);
          const targetDate = new Date(Date.parse(`${r.dataThrough}T00:00:00Z`) + q.days * 86_400_000).toISOString().slice(0, 10);
          return [
            {
              predictionType: FAILURE_PREDICTION_TYPE,
              target: { type: 'item', id: q.itemId },
              targetDate,
              horizon: q.days,
              value: r.withinDays,
              probability: r.withinDays,
              confidence: Math.max(r.withinDays, 1 - r.withinDays),
              model: { name: FAILURE_MODEL_NAME, version: r.versionTag, type: r.risk.source === 'model' ? 'random-forest' : 'weibull' },
              source: r.risk.source,
              drivers: r.drivers,
              inputFeatures: { rentalsSinceService: r.risk.since, rentalsPerDay: round(r.risk.rentalsPerDay), relativeRisk: round(r.risk.relativeRisk) },
            },
          ];
        },
        cacheTtlSeconds: 600,
      }),
    );

    job('retrain', async (_payload, ctx) => {
      ctx.progress(0.1, 'training the failure forest and validating it against the Weibull baseline');
      const result = await service.retrain();
      await deps.predictions.invalidate('maintenance.failure');
      return { version: result.versionTag, activated: result.activated, reason: result.reason, trainMs: result.trainMs, trainingRows: result.trainingRows, validation: result.validation };
    });

    job('match-actuals', async () => ({
      matched: await matchFailureActuals({ database: deps.database, inventory: deps.inventory, store: deps.store }, await service.dataThrough(), await service.feedback()),
    }));
    // Through the job runner: a timer in this process in-process, a BullMQ job scheduler (one run per period
    // whatever the number of hosts and workers) in BullMQ mode. Not awaited: a slow Redis must not hold the start.
    // A period of 0 removes a scheduler an earlier run left in Redis.
    onStart(() => void keepSchedule(deps.jobs, 'maintenance.match-actuals', config.matchActualsEveryMinutes * 60_000, logger));

    endpoint(
      defineEndpoint({
        method: 'GET',
        path: '/maintenance/probability/:item_id',
        summary: 'Probability that an item needs repair within N days and within N rentals, its remaining useful life in rentals (80 % interval) and the drivers',
        role: 'read',
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
            probability: { withinDays: round(p.value), days: query.days, expectedRentals: round(r.expectedRentals, 2), withinRentals: round(r.withinRentals), rentals: query.rentals, nextRental: round(r.risk.nextRental) },
            baseline: { model: 'weibull', shape: round(r.risk.baseline.shape, 3), scale: round(r.risk.baseline.scale, 2), nextRental: round(r.risk.baselineNextRental), relativeRisk: round(r.risk.relativeRisk, 3) },
            rentalsSinceService: r.risk.since,
            remainingUsefulLife: { unit: 'rentals', median: r.remainingLife.median, lower: r.remainingLife.p10, upper: r.remainingLife.p90, level: 0.8, mean: round(r.remainingLife.mean, 1) },
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
        input: { body: z.object({ items: z.array(z.unknown()).min(1).max(5000) }) },
        async handler({ body }) {
          const checked = validateRows(feedbackRow, body.items);
          const valid = checked.valid.map((v) => v.row);
          const errors = rejectedFieldErrors(checked.rejected, 'body.items');
          const { accepted, unknown } = await service.recordFeedback(valid);
          for (const u of unknown) errors.push({ field: `body.items.${body.items.indexOf(body.items.find((r) => (r as { item_id?: string }).item_id === u.item_id)!)}.item_id`, message: `no item with tag_id '${u.item_id}'` });
          if (accepted.length) await deps.predictions.invalidate('maintenance.failure');
          if (errors.length) {
            throw new HttpProblem({ status: 400, title: 'Bad Request', detail: `${errors.length} problem(s); ${accepted.length} valid row(s) were recorded`, errors, extensions: { recorded: accepted.length } });
          }
          return { recorded: accepted.length, note: 'outcomes become labels at the next retraining (POST /models/retrain/maintenance)' };
        },
      }),
    );
  },
});

export default maintenancePlugin;
