export { allocateBudget, onRentTail, onRentTails } from './allocation.js';
export type { Allocation, AllocationClass, AllocationInput } from './allocation.js';
export { leadTimeDemand, onRentDistribution, reorderLevels } from './reorder-policy.js';
export type { DemandDistribution, ForecastDay, ReorderLevels } from './reorder-policy.js';
