import { definePlugin } from '@rfid3/core';
import pkg from '../package.json' with { type: 'json' };

export * from './policy/index.js';
export * from './simulation/index.js';
export * from './velocity/index.js';

/**
 * Velocity classes, reorder decisions, restock alerts and approvals.
 * This first version registers no endpoints yet; it loads, so hosts can depend on it today.
 */
export const restockPlugin = definePlugin({
  id: 'restock',
  version: pkg.version,
  coreRange: pkg.peerDependencies['@rfid3/core'],
  description: 'Velocity classes, reorder decisions, restock alerts and approvals',
  register() {},
});

export default restockPlugin;
