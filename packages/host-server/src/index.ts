export { createApp, type AppOptions, type HostState } from './app.js';
export { startServer, type ServerHandle, type StartServerOptions } from './server.js';
export { startWorker, type StartWorkerOptions, type WorkerHandle } from './worker.js';
export {
  loadHostConfig,
  hostConfigFileSchema,
  ConfigError,
  FIRST_PARTY_PLUGINS,
  PLUGINS_MODES,
  DEFAULT_BODY_LIMIT_BYTES,
  type HostConfig,
  type HostConfigFile,
  type LoadHostConfigOptions,
  type PluginSpec,
  type PluginsMode,
} from './config.js';
export { loadPlugins, PluginPackageError, type LoadPluginsOptions } from './plugins.js';
export { ApiKeyStore, isRole, type ApiKeyRecord, type CreatedApiKey } from './keys.js';
export { buildOpenApiDocument, hostOpenApiDocument, toOpenApiPath, API_PREFIX, type OpenApiDocument } from './openapi.js';
export { runCli } from './run-cli.js';
export { CliError, type CliIo } from './cli-io.js';
export { readSeriesCsv, type SeriesCsvOptions } from './series-csv.js';
export { ingestScans, ingestPos, scanEventSchema, posContractSchema, MAX_BATCH, type IngestResult, type ScanIngestResult, type RejectedRow } from './ingest/index.js';
export { importPorDirectory, type PorImportReport, type FileReport } from './import/por-import.js';
export { VendorPoller, type VendorPollerConfig, type PollResult } from './poller/rfidpro.js';
export { WebhookNotifier, signWebhook, type WebhookConfig, type Delivery } from './ops/webhooks.js';
export { ANSWER_JOB, HostScheduler, NIGHTLY_JOB, PRECOMPUTE_JOB, registerHostJobs, type SchedulerOptions, type PrecomputeResult } from './ops/scheduler.js';
export { hostMigrations } from './host-tables.js';
