export { allocateBudget, concaveUnitValues, dayOnRent, expectedStockoutDays, onRentTail, onRentTails, stockoutTable, unitLayers } from './allocation.js';
export type { Allocation, AllocationClass, AllocationInput, OnRentForecast, StockoutTable } from './allocation.js';
export { leadTimeDemand, onRentDistribution, reorderLevels } from './reorder-policy.js';
export type { DemandDistribution, ForecastDay, ReorderLevels } from './reorder-policy.js';
