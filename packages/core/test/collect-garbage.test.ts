import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../src/jobs/collect-garbage.js';

describe('collectGarbage', () => {
  it('collects the garbage of the last job at once: the heap it held comes back down', () => {
    let garbage: { i: number; s: string }[] | null = [];
    for (let i = 0; i < 1_000_000; i++) garbage.push({ i, s: `item ${i}` });
    const held = process.memoryUsage().heapUsed;
    garbage = null;
    expect(collectGarbage()).toBe(true);
    const after = process.memoryUsage().heapUsed;
    // A million small objects are some 60 MB; after the collection at least 40 MB of that is gone.
    expect(held - after).toBeGreaterThan(40 * 2 ** 20);
    expect(garbage).toBeNull();
  });
});
