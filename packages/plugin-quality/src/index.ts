import { definePlugin } from '@rfid3/core';
import pkg from '../package.json' with { type: 'json' };

/**
 * Grade degradation, replacement timing and inspection scheduling.
 * This first version registers no endpoints yet; it loads, so hosts can depend on it today.
 */
export const qualityPlugin = definePlugin({
  id: 'quality',
  version: pkg.version,
  coreRange: pkg.peerDependencies['@rfid3/core'],
  description: 'Grade degradation, replacement timing and inspection scheduling',
  register() {},
});

export default qualityPlugin;
