import type { Cache } from '../cache/cache.js';
import type { LoadedPlugin } from '../contracts/plugin.js';
import { createServiceRef } from '../contracts/service-ref.js';
import { baseServices } from './base-services.js';
import type { DecisionLedger } from '../decisions/decision-ledger.js';
import type { ExternalFactorStore } from '../external/external-factors.js';
import type { FeatureStore } from '../features/feature-store.js';
import type { InventoryData } from '../inventory/inventory-data.js';
import type { PredictionStore } from '../predictions/prediction-store.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import type { EventBus } from '../events/events.js';
import type { JobRunner } from '../jobs/jobs.js';
import type { Logger } from '../observability/logger.js';
import type { CoreMetrics } from '../observability/metrics.js';
import type { PredictionService } from '../predictions/prediction-service.js';

/** What the runtime says about itself: when it started and the plugins it loaded (core's status endpoints read it). */
export interface RuntimeInfo {
  readonly startedAt: Date;
  /** The plugins loaded so far, in loading order; the list grows while plugins register. */
  readonly plugins: readonly LoadedPlugin[];
}

/** References to the services core binds for every plugin. */
export const coreServices = {
  config: baseServices.config,
  clock: baseServices.clock,
  logger: createServiceRef<Logger>('core.logger'),
  database: baseServices.database,
  cache: createServiceRef<Cache>('core.cache'),
  metrics: createServiceRef<CoreMetrics>('core.metrics'),
  jobs: createServiceRef<JobRunner>('core.jobs'),
  modelRegistry: createServiceRef<ModelRegistry>('core.modelRegistry'),
  predictionStore: createServiceRef<PredictionStore>('core.predictionStore'),
  predictions: createServiceRef<PredictionService>('core.predictions'),
  featureStore: createServiceRef<FeatureStore>('core.featureStore'),
  inventory: createServiceRef<InventoryData>('core.inventory'),
  externalFactors: createServiceRef<ExternalFactorStore>('core.externalFactors'),
  decisions: createServiceRef<DecisionLedger>('core.decisions'),
  events: createServiceRef<EventBus>('core.events'),
  runtime: createServiceRef<RuntimeInfo>('core.runtime'),
} as const;
