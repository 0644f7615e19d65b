export { simulate, expectedDailyUnits, demandFactor, weibullHazard } from './simulate.js';
export type { SimulationOptions, SimulationResult, SimulationTruth, ClassTruth, CategoryTruth } from './simulate.js';
export { GRADES, STORES, CATEGORIES, type Grade, type CategorySpec } from './catalog.js';
export { HOLIDAY_EFFECTS, OTHER_HOLIDAY_MULTIPLIER, type CalendarEffect, type WeatherDay } from './calendar.js';
export { Rng } from './rng.js';
export { replayClass, oracleSchedule, oracleTieredSchedule } from './replay.js';
export type { ReplayOptions, ReplayOutcome, PriceSchedule, TieredPrices } from './replay.js';
