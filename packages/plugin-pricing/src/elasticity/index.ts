export { estimateElasticity } from './elasticity.js';
export type { ElasticityEstimate, ElasticityOptions, PriceObservation } from './elasticity.js';
export { categoryElasticities, dropSingletons, loadPriceHistory, pooledElasticity } from './history.js';
export type { PriceHistoryOptions, PricePeriod } from './history.js';
export { fitCensoredElasticity, poissonUpperTail } from './censored.js';
export type { CensoredElasticityFit, CensoredFitOptions, DailyDemandSeries } from './censored.js';
