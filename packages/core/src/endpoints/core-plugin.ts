import { definePlugin } from '../contracts/plugin.js';
import { decisionEndpoints } from '../decisions/endpoints.js';
import { kpiEndpoints, registerImpactMatching } from '../kpis/endpoints.js';
import { coreServices } from '../runtime/services.js';
import { CORE_VERSION } from '../version.js';
import { coreEndpoints } from './core-endpoints.js';
import { CORE_OWNER } from './invoke.js';

/**
 * Core's own endpoints (`models/*`, `health/*`, `jobs/*`, `decisions/*`, `kpis`, `rental-classes`) and the
 * impact-matching job, registered as a plugin is: they name the services they use in `requires` and the runtime
 * resolves them, so nothing here reaches into the runtime. The runtime registers it before the plugins it loads
 * and does not list it among them.
 */
export const coreEndpointsPlugin = definePlugin({
  id: CORE_OWNER,
  version: CORE_VERSION,
  coreRange: '*',
  description: "core's own endpoints",
  requires: {
    cache: coreServices.cache,
    clock: coreServices.clock,
    config: coreServices.config,
    database: coreServices.database,
    decisions: coreServices.decisions,
    inventory: coreServices.inventory,
    jobs: coreServices.jobs,
    logger: coreServices.logger,
    metrics: coreServices.metrics,
    predictionStore: coreServices.predictionStore,
    predictions: coreServices.predictions,
    registry: coreServices.modelRegistry,
    runtime: coreServices.runtime,
  },
  register({ deps, endpoint, onStart }) {
    endpoint(...decisionEndpoints({ ledger: deps.decisions, jobs: deps.jobs, plugins: () => deps.runtime.plugins }), ...kpiEndpoints(deps), ...coreEndpoints(deps));
    registerImpactMatching(deps, deps.config.kpis.matchImpactEveryMinutes, onStart);
  },
});
