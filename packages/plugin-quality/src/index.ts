import type { Prediction } from '@rfid3/core';
import { coreServices, definePlugin, definePredictor } from '@rfid3/core';
import { z } from 'zod';
import pkg from '../package.json' with { type: 'json' };
import { G, GRADES, gradeIndex } from './grades.js';
import { qualityMigrations } from './migrations.js';
import { finite, qualityRoutes, round, tagId } from './routes.js';
import { GRADE_MODEL_NAME, QualityService } from './service.js';
import { matrixFor, rentalsUntilBelow } from './transitions.js';

export { GRADES, gradeIndex, loadItemGrades, countReturns } from './grades.js';
export type { ItemGrades, GradeObservation, Grade, LoadItemGradesOptions, GradeHistoryCounts } from './grades.js';
export { estimateTransitions, countTransitions, gradePath, rentalsUntilBelow, matrixFor, normalise } from './transitions.js';
export type { Matrix, TransitionTable } from './transitions.js';
export { replacementAdvice, gradeEconomics, classRates } from './economics.js';
export type { ReplacementAdvice, GradeEconomicsRow } from './economics.js';
export { QualityService, GRADE_MODEL_NAME } from './service.js';
export type { GradeModelState } from './service.js';

/** Prediction type of the rentals an item has left until it is unrentable. */
export const DEGRADATION_PREDICTION_TYPE = 'quality.rentals_until_unrentable';

const gradeEnum = z.enum(GRADES);
const configSchema = z.object({
  /** The worst grade that may still go out on rent. */
  minRentableGrade: gradeEnum.default('C'),
  /** Rentals it takes to get a replacement in: replace now when half the paths fall below within this. */
  leadRentals: z.number().int().min(1).max(100).default(3),
  /** Resale as a share of sell_price for an A+ item (falls with grade). */
  resaleShare: z.number().min(0).max(1).default(0.3),
});

/** Grade degradation per item, replacement timing on economics, inspection priorities and recorded inspections. */
export const qualityPlugin = definePlugin({
  id: 'quality',
  version: pkg.version,
  coreRange: pkg.peerDependencies['@rfid3/core'],
  description: 'Grade degradation, replacement timing and inspection scheduling',
  configSchema,
  migrations: qualityMigrations,
  requires: {
    inventory: coreServices.inventory,
    registry: coreServices.modelRegistry,
    clock: coreServices.clock,
    predictions: coreServices.predictions,
    database: coreServices.database,
  },
  register({ config, deps, endpoint, predictor, job }) {
    const service = new QualityService({ database: deps.database, inventory: deps.inventory, registry: deps.registry, clock: deps.clock });
    const minRentable = gradeIndex(config.minRentableGrade);
    deps.registry.onActivate((info) => {
      if (info.modelName === GRADE_MODEL_NAME) service.invalidate();
    });

    predictor(
      definePredictor({
        id: 'quality.degradation',
        description: 'Rentals until an item falls below the rentable grade (median, 80 % interval)',
        querySchema: z.object({
          itemId: tagId,
          grade: z
            .number()
            .int()
            .min(0)
            .max(G - 1),
        }),
        modelVersion: async () => (await service.activeModel()).versionTag,
        async predict(q): Promise<Prediction[]> {
          const { snap, item } = await service.item(q.itemId);
          const P = matrixFor(snap.state.table, item);
          const u = rentalsUntilBelow(P, q.grade, minRentable);
          return [
            {
              predictionType: DEGRADATION_PREDICTION_TYPE,
              target: { type: 'item', id: q.itemId },
              value: finite(u.median) ?? 2000,
              intervals: [{ level: 0.8, lower: finite(u.p10) ?? 2000, upper: finite(u.p90) ?? 2000 }],
              confidence: 0.8,
              model: { name: GRADE_MODEL_NAME, version: snap.versionTag, type: 'markov-chain' },
              source: snap.state.table.byClass[item.rentalClass] ? 'model' : 'historical_average',
              drivers: [
                { name: 'grade_now', effect: q.grade, detail: GRADES[q.grade] },
                {
                  name: 'p_drop_per_rental',
                  effect: round(1 - P[q.grade]![q.grade]!),
                  detail: `per rental, ${snap.state.table.byClass[item.rentalClass] ? 'rental class' : 'category'} matrix`,
                },
              ],
              inputFeatures: { grade: GRADES[q.grade]!, minRentable: GRADES[minRentable]! },
            },
          ];
        },
        cacheTtlSeconds: 600,
      }),
    );

    job('retrain', async () => {
      const r = await service.retrain();
      await deps.predictions.invalidate('quality.degradation');
      return { version: r.versionTag, activated: r.activated, reason: r.reason, validation: r.validation };
    });

    endpoint(...qualityRoutes({ config, deps, service, minRentable }));
  },
});

export default qualityPlugin;
