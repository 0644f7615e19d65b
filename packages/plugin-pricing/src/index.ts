import { definePlugin } from '@rfid3/core';
import pkg from '../package.json' with { type: 'json' };

export * from './elasticity/index.js';

/**
 * Price elasticity, revenue-optimal prices within safeguards, and price tests.
 * This first version registers no endpoints yet; it loads, so hosts can depend on it today.
 */
export const pricingPlugin = definePlugin({
  id: 'pricing',
  version: pkg.version,
  coreRange: pkg.peerDependencies['@rfid3/core'],
  description: 'Price elasticity, revenue-optimal prices within safeguards, and price tests',
  register() {},
});

export default pricingPlugin;
