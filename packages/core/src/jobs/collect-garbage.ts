import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collector: (() => void) | null | undefined;

/**
 * Runs a full garbage collection now, and says whether it could. V8 lets a heap grow to several times what it
 * holds alive before it collects the old generation, so a process that runs one big job after another keeps the
 * garbage of the last one while the next one grows: a worker collects when its jobs end, so that each job starts
 * from what is alive. Uses `global.gc` when node runs with `--expose-gc`, else exposes it once.
 */
export function collectGarbage(): boolean {
  if (collector === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (typeof exposed === 'function') collector = exposed;
    else {
      try {
        setFlagsFromString('--expose-gc');
        collector = runInNewContext('gc') as () => void;
      } catch {
        collector = null;
      }
    }
  }
  if (!collector) return false;
  collector();
  return true;
}
