import { definePlugin } from '@rfid3/core';
import pkg from '../package.json' with { type: 'json' };

export { backtestClassify } from '@rfid3/learn';
export type { ClassifyBacktestOptions, ClassifyBacktestResult } from '@rfid3/learn';

/**
 * Failure probability, remaining useful life and cost-minimising maintenance schedules.
 */
export const maintenancePlugin = definePlugin({
  id: 'maintenance',
  version: pkg.version,
  coreRange: pkg.peerDependencies['@rfid3/core'],
  description: 'Failure probability, remaining useful life and cost-minimising maintenance schedules',
  register() {},
});

export default maintenancePlugin;
