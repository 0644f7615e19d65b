import { describe, expect, it } from 'vitest';
import { coreMigrations, createDatabase, migrate } from '../src/index.js';
import { oracleSchedule, oracleTieredSchedule, replayClass, simulate } from '../src/simulator/index.js';

describe('replaying a held-out period under a price schedule', () => {
  it('is reproducible, capacity-bound, follows the true price response, and the oracle picks each block’s price from the grid', async () => {
    const database = createDatabase('sqlite::memory:');
    try {
      await migrate(database, 'core', coreMigrations);
      const { truth } = await simulate(database, { seed: 5, items: 300, days: 120, end: '2025-12-31' });
      const opts = { from: '2026-01-01', days: 84, blockDays: 28, seed: 3 };
      const cls = [...truth.classes].sort((a, b) => b.baseDailyUnits - a.baseDailyUnits)[0]!;
      const p0 = cls.prices.at(-1)!.price;
      const today = replayClass(truth, cls.rentalClass, [p0], opts);
      expect(replayClass(truth, cls.rentalClass, [p0], opts)).toEqual(today);
      expect(today.units).toBeGreaterThan(0);
      expect(today.revenue).toBeCloseTo(today.units * p0, 6);
      // Unlimited units: nothing is turned away; no units: nothing is rented and every request is lost.
      const unlimited = replayClass(truth, cls.rentalClass, [p0], { ...opts, capacity: new Map([[cls.rentalClass, 1e6]]) });
      expect(unlimited.lostUnits).toBe(0);
      expect(unlimited.units).toBeGreaterThanOrEqual(today.units);
      const none = replayClass(truth, cls.rentalClass, [p0], { ...opts, capacity: new Map([[cls.rentalClass, 0]]) });
      expect(none.units).toBe(0);
      expect(none.stockoutDays).toBeGreaterThan(0);
      // With common random numbers and no capacity limit, a 20 % higher price never rents more units.
      const big = new Map([[cls.rentalClass, 1e6]]);
      const dear = replayClass(truth, cls.rentalClass, [p0 * 1.2], { ...opts, capacity: big });
      expect(dear.units).toBeLessThanOrEqual(unlimited.units);
      // The oracle's block prices come from the grid and earn at least as much as today's price on its own seeds.
      const grid = [p0 * 0.8, p0, p0 * 1.2];
      const oracle = oracleSchedule(truth, new Map([[cls.rentalClass, grid]]), { ...opts, seed: 99, reps: 4 }).get(cls.rentalClass)!;
      expect(oracle).toHaveLength(3);
      for (const p of oracle) expect(grid).toContain(p);
      // Peak and off-peak prices: the same price in both tiers is the one-price replay; every weekday peak is the peak price.
      expect(replayClass(truth, cls.rentalClass, { peakWeekdays: [5, 6], peak: [p0], offPeak: [p0] }, opts)).toEqual(today);
      const allPeak = replayClass(truth, cls.rentalClass, { peakWeekdays: [0, 1, 2, 3, 4, 5, 6], peak: [p0 * 1.2], offPeak: [p0 * 0.8] }, { ...opts, capacity: big });
      expect(allPeak).toEqual(dear);
      // A dearer weekend alone earns between the all-cheap and all-dear schedules' unit counts (common customers).
      const weekend = replayClass(truth, cls.rentalClass, { peakWeekdays: [5, 6], peak: [p0 * 1.2], offPeak: [p0] }, { ...opts, capacity: big });
      expect(weekend.units).toBeLessThanOrEqual(unlimited.units);
      expect(weekend.units).toBeGreaterThanOrEqual(dear.units);
      const tiered = oracleTieredSchedule(truth, new Map([[cls.rentalClass, grid]]), { ...opts, seed: 99, reps: 4, peakWeekdays: [5, 6] }).get(cls.rentalClass)!;
      expect(tiered.peak).toHaveLength(3);
      expect(tiered.offPeak).toHaveLength(3);
      for (const p of [...tiered.peak, ...tiered.offPeak]) expect(grid).toContain(p);
    } finally {
      await database.close();
    }
  }, 120_000);
});
