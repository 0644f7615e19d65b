export * from './contracts/json.js';
export * from './contracts/model.js';
export * from './contracts/prediction.js';
export * from './contracts/predictor.js';
export * from './contracts/feature.js';
export * from './contracts/decision.js';
export * from './contracts/endpoint.js';
export * from './contracts/problem.js';
export * from './contracts/plugin.js';
export * from './contracts/service-ref.js';
export { CORE_VERSION } from './version.js';

export * from './runtime/clock.js';
export * from './runtime/config.js';
export * from './runtime/dates.js';
export * from './runtime/events.js';
export * from './runtime/jobs.js';
export * from './runtime/logger.js';
export * from './runtime/metrics.js';
export * from './runtime/services.js';
export * from './runtime/prediction-service.js';
export * from './runtime/invoke.js';
export * from './runtime/validation.js';
export { checkPlugins, PluginLoadError, type PluginEntry, type CheckedPlugin } from './runtime/plugin-loader.js';
export { createRuntime, Runtime, type RuntimeOptions, type LoadedPlugin } from './runtime/runtime.js';

export * from './storage/schema.js';
export * from './storage/database.js';
export * from './storage/migration.js';
export { coreMigrations } from './storage/migrations/index.js';
export { createIfMissing } from './storage/migrations/design-tables.js';

export * from './cache/cache.js';
export * from './registry/model-registry.js';
export * from './predictions/prediction-store.js';
export * from './features/feature-store.js';
export * from './external/external-factors.js';
export * from './external/factor-providers.js';
export * from './decisions/decision-ledger.js';
export * from './inventory/inventory-data.js';

export * from './evaluation/metrics.js';
export * from './forecasting/series.js';
export * from './forecasting/baselines.js';
export * from './forecasting/conformal.js';
export * from './forecasting/backtest.js';
export * from './calendar/holidays.js';
export * from './calendar/events.js';
export * from './stats/least-squares.js';
