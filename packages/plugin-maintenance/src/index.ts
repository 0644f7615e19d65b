import type { Prediction } from '@rfid3/core';
import { coreServices, definePlugin, definePredictor, keepSchedule } from '@rfid3/core';
import { z } from 'zod';
import pkg from '../package.json' with { type: 'json' };
import { matchFailureActuals } from './actuals.js';
import { DEFAULT_FAILURE_OPTIONS } from './failure-model.js';
import { maintenanceMigrations } from './migrations.js';
import { maintenanceRoutes, round, tagId } from './routes.js';
import { FAILURE_MODEL_NAME, FAILURE_PREDICTION_TYPE, MaintenanceService } from './service.js';

export { backtestClassify } from '@rfid3/learn';
export type { ClassifyBacktestOptions, ClassifyBacktestResult } from '@rfid3/learn';
export { fitWeibull, weibullHazard, weibullSurvival, remainingRentals } from './weibull.js';
export type { Spell, WeibullFit, WeibullParams } from './weibull.js';
export { loadItemHistories, WEAR_FLAGS, GRADES } from './history.js';
export type { ItemEvent, ItemHistory, ItemState, FeedbackRow, HistoryOptions } from './history.js';
export { FEATURE_NAMES } from './features.js';
export {
  trainFailureModel,
  trainFailureModelAsync,
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
  trees: z
    .number()
    .int()
    .min(10)
    .max(500)
    .default(DEFAULT_FAILURE_OPTIONS.forest.nEstimators ?? 60),
  validationDays: z.number().int().min(14).max(365).default(DEFAULT_FAILURE_OPTIONS.validationDays),
  /** How often stored failure probabilities are matched with what happened (a fraction of a minute is allowed); 0 turns the schedule off. */
  matchActualsEveryMinutes: z.number().min(0).default(60),
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
      return {
        version: result.versionTag,
        activated: result.activated,
        reason: result.reason,
        trainMs: result.trainMs,
        trainingRows: result.trainingRows,
        validation: result.validation,
      };
    });

    job('match-actuals', async () => ({
      matched: await matchFailureActuals({ database: deps.database, inventory: deps.inventory, store: deps.store }, await service.dataThrough(), await service.feedback()),
    }));
    // Through the job runner: a timer in this process in-process, a BullMQ job scheduler (one run per period
    // whatever the number of hosts and workers) in BullMQ mode. Not awaited: a slow Redis must not hold the start.
    // A period of 0 removes a scheduler an earlier run left in Redis.
    onStart(() => void keepSchedule(deps.jobs, 'maintenance.match-actuals', config.matchActualsEveryMinutes * 60_000, logger));

    endpoint(...maintenanceRoutes({ config, deps, service }));
  },
});

export default maintenancePlugin;
