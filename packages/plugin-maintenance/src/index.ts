import { definePlugin } from '@rfid3/core';
import pkg from '../package.json' with { type: 'json' };

/**
 * Failure probability, remaining useful life and cost-minimising maintenance schedules.
 * This first version registers no endpoints yet; it loads, so hosts can depend on it today.
 */
export const maintenancePlugin = definePlugin({
  id: 'maintenance',
  version: pkg.version,
  coreRange: pkg.peerDependencies['@rfid3/core'],
  description: 'Failure probability, remaining useful life and cost-minimising maintenance schedules',
  register() {},
});

export default maintenancePlugin;
