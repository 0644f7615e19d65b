import { definePlugin } from '@rfid3/core';
import pkg from '../package.json' with { type: 'json' };

export * from './rules/index.js';

/**
 * Pack performance, co-rental rules and create/dissolve recommendations.
 * This first version registers no endpoints yet; it loads, so hosts can depend on it today.
 */
export const packPlugin = definePlugin({
  id: 'pack',
  version: pkg.version,
  coreRange: pkg.peerDependencies['@rfid3/core'],
  description: 'Pack performance, co-rental rules and create/dissolve recommendations',
  register() {},
});

export default packPlugin;
