export { createApp, PREFIX_PLUGINS, type AppOptions, type HostState } from './app.js';
export { startServer, type ServerHandle, type StartServerOptions } from './server.js';
export {
  loadHostConfig,
  hostConfigFileSchema,
  ConfigError,
  FIRST_PARTY_PLUGINS,
  DEFAULT_BODY_LIMIT_BYTES,
  type HostConfig,
  type HostConfigFile,
  type LoadHostConfigOptions,
  type PluginSpec,
} from './config.js';
export { loadPlugins, PluginPackageError, type LoadPluginsOptions } from './plugins.js';
export { ApiKeyStore, isRole, type ApiKeyRecord, type CreatedApiKey } from './keys.js';
export { buildOpenApiDocument, toOpenApiPath, API_PREFIX, type OpenApiDocument } from './openapi.js';
export { runCli } from './run-cli.js';
export { CliError, type CliIo } from './cli-io.js';
export { readSeriesCsv, type SeriesCsvOptions } from './series-csv.js';
