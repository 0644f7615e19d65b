import type { AnyPlugin } from '../../src/index.js';

export function queuePlugin(core: typeof import('../../src/index.js'), options?: { stepMs?: number; steps?: number; label?: string; onTick?: () => void }): AnyPlugin;
