export { estimateElasticity } from './elasticity.js';
export type { ElasticityEstimate, ElasticityOptions, PriceObservation } from './elasticity.js';
