export { movingAverageLevels, onRentDemand, simulateFleet } from './fleet-simulation.js';
export type { FleetClass, FleetSimulationOptions, FleetSimulationResult, MovingAverageRule, PolicyOutcome } from './fleet-simulation.js';
