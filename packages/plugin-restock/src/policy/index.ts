export { leadTimeDemand, onRentDistribution, reorderLevels } from './reorder-policy.js';
export type { DemandDistribution, ForecastDay, ReorderLevels } from './reorder-policy.js';
