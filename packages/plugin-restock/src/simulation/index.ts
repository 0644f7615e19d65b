export { simulateFleet } from './fleet-simulation.js';
export type { FleetClass, FleetSimulationOptions, FleetSimulationResult, PolicyOutcome } from './fleet-simulation.js';
