import { normalQuantile } from '@rfid3/core';
import { describe, expect, it } from 'vitest';
import {
  allocateBudget,
  concaveUnitValues,
  expectedStockoutDays,
  leadTimeDemand,
  movingAverageLevels,
  onRentDemand,
  onRentDistribution,
  onRentTail,
  onRentTails,
  reorderLevels,
  simulateFleet,
  stockoutTable,
  unitLayers,
  velocityClasses,
} from '../src/index.js';
import type { FleetClass } from '../src/index.js';

describe('reorder levels', () => {
  it('ROP = μ_L + z·σ_L and S = ROP + review demand (textbook: μ 100, σ 20, 95 % → 132.9 → 133)', () => {
    const l = reorderLevels({ mean: 100, variance: 400 }, 50, 0.95);
    expect(l.reorderPoint).toBe(Math.ceil(100 + normalQuantile(0.95) * 20));
    expect(l.reorderPoint).toBe(133);
    expect(l.orderUpTo).toBe(183);
    expect(l.safetyStock).toBe(33);
    expect(reorderLevels({ mean: 100, variance: 400 }, 50, 0.5).reorderPoint).toBe(100);
  });

  it('sums daily forecasts with intervals into lead-time demand (σ from each 80 % interval)', () => {
    const z80 = normalQuantile(0.9);
    const d = leadTimeDemand([
      { value: 10, lower: 10 - 2 * z80, upper: 10 + 2 * z80, level: 0.8 },
      { value: 20, lower: 20 - 3 * z80, upper: 20 + 3 * z80, level: 0.8 },
    ]);
    expect(d.mean).toBe(30);
    expect(d.variance).toBeCloseTo(4 + 9, 10);
  });

  it('on rent at once: units already out plus future rentals that will not be back', () => {
    // Rentals of exactly 2 days: of the 3 days to come, only the last two days' rentals are still out on day 3.
    const stillOut = (k: number) => (k < 2 ? 1 : 0);
    const d = onRentDistribution(5, [4, 4, 4], stillOut, 1);
    expect(d.mean).toBe(5 + 8);
    expect(d.variance).toBe(8);
  });
});

describe('moving-average (s, S) baseline', () => {
  it('counts each requested line on the days of its rental, lost or not, and no later than the data', () => {
    const x = onRentDemand([[{ qty: 2, days: 3 }], [], [{ qty: 1, days: 1 }], [{ qty: 5, days: 4 }]]);
    expect(Array.from(x)).toEqual([2, 2, 3, 5]);
  });

  it('s = S = ⌈mean + z·sd⌉ of the last weeks of units on rent (z at the service level)', () => {
    const onRent = Array.from({ length: 70 }, (_, d) => (d < 14 ? 100 : d % 2 === 0 ? 8 : 12));
    const l = movingAverageLevels(onRent, 69, { weeks: 8, serviceLevel: 0.95 });
    // The last 56 days alternate 8 and 12: mean 10, sample sd √(56 · 4 / 55); the 100s before them are not seen.
    expect(l.reorderPoint).toBe(Math.ceil(10 + normalQuantile(0.95) * Math.sqrt((56 * 4) / 55)));
    expect(l.orderUpTo).toBe(l.reorderPoint);
    expect(movingAverageLevels(onRent, 13, { weeks: 8 }).reorderPoint).toBe(100);
    expect(movingAverageLevels(onRent, 69, { weeks: 8, serviceLevel: 0.5 }).reorderPoint).toBe(10);
  });
});

describe('velocity classes', () => {
  it('ABC by cumulative revenue, XYZ by coefficient of variation, fast and slow movers', () => {
    const v = velocityClasses([
      { id: 'chairs', revenue: 700, demand: [10, 11, 9, 10] },
      { id: 'tables', revenue: 200, demand: [5, 1, 9, 5] },
      { id: 'tents', revenue: 80, demand: [0, 0, 8, 0] },
      { id: 'linen', revenue: 20, demand: [0, 0, 0, 0] },
      { id: 'napkin', revenue: 0, demand: [1, 1, 1, 1] },
    ]);
    const by = Object.fromEntries(v.map((x) => [x.id, x]));
    expect([by.chairs!.abc, by.tables!.abc, by.tents!.abc, by.linen!.abc]).toEqual(['A', 'A', 'B', 'C']);
    expect(by.chairs!.xyz).toBe('X');
    expect(by.tables!.xyz).toBe('Y');
    expect(by.tents!.xyz).toBe('Z');
    expect(by.chairs!.mover).toBe('fast');
    expect(by.linen!.mover).toBe('slow');
    expect(by.tents!.cumulativeShare).toBeCloseTo(0.98, 12);
  });
});

describe('allocation', () => {
  it('P(on rent > u) is the Poisson tail for one-unit rentals, shifted by the units known to be out', () => {
    const tail = (u: number) => onRentTail(3, 0.5, 0.5, u);
    const p = (k: number) => (Math.exp(-0.5) * 0.5 ** k) / [1, 1, 2, 6][k]!;
    expect(tail(2)).toBe(1);
    expect(tail(3)).toBeCloseTo(1 - p(0), 12);
    expect(tail(5)).toBeCloseTo(1 - p(0) - p(1) - p(2), 12);
    // A normal approximation puts the last one near 0.002; the Poisson tail is six times that.
    expect(tail(5)).toBeGreaterThan(0.014);
    const out = new Float64Array(4);
    onRentTails(3, 0.5, 0.5, 2, 4, out);
    expect([...out]).toEqual([tail(2), tail(3), tail(4), tail(5)]);
    // Lines of several units: the tail falls with every extra unit, not in steps of the line size.
    const lumpy = [20, 21, 22, 23].map((u) => onRentTail(0, 12, 60, u));
    for (let i = 1; i < lumpy.length; i++) expect(lumpy[i]!).toBeLessThan(lumpy[i - 1]!);
  });

  // Two classes, four weekly blocks to day 28: a busy class whose units each avoid a lot, a quiet one.
  const input = {
    blockStarts: [0, 7, 14, 21],
    end: 28,
    classes: [
      {
        layers: [
          [0.5, 0.5, 0.9, 0.9],
          [0.2, 0.2, 0.6, 0.6],
          [0.05, 0.05, 0.3, 0.3],
        ],
      },
      {
        layers: [
          [0.02, 0.02, 0.02, 0.02],
          [0.01, 0.01, 0.01, 0.01],
        ],
      },
    ],
  };

  it('spends the budget where a unit-day avoids the most stockout days, and never more than the budget', () => {
    const at = (budget: number) => allocateBudget({ ...input, committed: 100, budget });
    let avoided = 0;
    for (const budget of [100, 114, 128, 142, 156, 170, 200, 1000]) {
      const a = at(budget);
      expect(a.unitDays).toBeLessThanOrEqual(budget);
      expect(a.avoided).toBeGreaterThanOrEqual(avoided);
      avoided = a.avoided;
    }
    // 14 unit-days: one unit for the busy weeks (arriving on day 14), not one held from now.
    expect(at(114).planned).toEqual([[2], []]);
    expect(at(114).buyNow).toEqual([0, 0]);
    // 28: two units for the busy weeks beat one held for four weeks (3.0 against 2.8 stockout days avoided).
    expect(at(128).planned).toEqual([[2, 2], []]);
    expect(at(128).avoided).toBeCloseTo(3, 12);
    expect(at(142).buyNow).toEqual([1, 0]);
    // The quiet class gets units only once nothing better is left.
    expect(at(200).planned[1]).toEqual([]);
    expect(at(1000).buyNow).toEqual([3, 2]);
    // Nothing left: nothing bought.
    expect(allocateBudget({ ...input, committed: 200, budget: 150 }).buyNow).toEqual([0, 0]);
  });
  it('a stockout table: one-unit rentals with nothing out are short when a Poisson day exceeds the units, and the layers sum to the stockout days avoided', () => {
    // One day, 2 units expected, one unit per line, nothing out or carried: short iff N > u, with N ~ Poisson(2).
    const t = stockoutTable({ known: [0], carried: [0], today: [2], dispersion: 1, meanQty: 1 }, 0);
    const poissonAbove = (u: number) => 1 - Array.from({ length: u + 1 }, (_, k) => (Math.exp(-2) * 2 ** k) / [1, 1, 2, 6, 24, 120, 720][k]!).reduce((a, b) => a + b, 0);
    for (let u = 0; u <= 5; u++) expect(expectedStockoutDays(t, u)).toBeCloseTo(poissonAbove(u), 10);
    // Two such days: the layers (one block) add up to what the units avoid.
    const t2 = stockoutTable({ known: [1, 0], carried: [0, 0], today: [2, 2], dispersion: 1, meanQty: 1 }, 0);
    const layers = unitLayers(t2, 2, 0, 1);
    const sum = layers.reduce((a, l) => a + l[0]!, 0);
    expect(sum).toBeCloseTo(expectedStockoutDays(t2, 1) - expectedStockoutDays(t2, t2.width - 1), 3);
  });

  it('values the units of a class far short of its peak together (concave envelope), not at nothing', () => {
    // 40 units expected on rent every day with 2 owned: one more unit alone avoids almost nothing.
    const days = 10;
    const t = stockoutTable({ known: new Array(days).fill(0), carried: new Array(days).fill(38), today: new Array(days).fill(2), dispersion: 1, meanQty: 1 }, 0);
    const raw = expectedStockoutDays(t, 2) - expectedStockoutDays(t, 3);
    expect(raw).toBeLessThan(1e-4);
    expect(unitLayers(t, days, 0, 2)).toHaveLength(0);
    const v = concaveUnitValues(t, 2);
    expect(v.length).toBeGreaterThan(38);
    for (let k = 1; k < v.length; k++) expect(v[k]!).toBeLessThanOrEqual(v[k - 1]! + 1e-12);
    // The envelope never promises more than the units avoid: k units avoid at least the envelope's sum at its corners.
    const total = v.reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(expectedStockoutDays(t, 2) + 1e-9);
    expect(total).toBeGreaterThan(0.9 * expectedStockoutDays(t, 2));
  });

  it('a minimum price buys only the units worth it, and a budget the most valuable first', () => {
    const classes = [{ layers: [[0.5], [0.2], [0.04]] }, { layers: [[0.3], [0.06], [0.01]] }];
    const input = { classes, blockStarts: [0], end: 1, committed: 0 };
    expect(allocateBudget({ ...input, budget: Number.POSITIVE_INFINITY, minPrice: 0.05 }).buyNow).toEqual([2, 2]);
    expect(allocateBudget({ ...input, budget: 2, minPrice: 0.05 }).buyNow).toEqual([1, 1]);
    expect(allocateBudget({ ...input, budget: 3, minPrice: 0.05 }).buyNow).toEqual([2, 1]);
  });
});

describe('fleet simulation', () => {
  // Eight seasonal classes over two years: lumpy linens, chairs in lines of several, tents rented for days.
  const days = 730;
  const season = (d: number, peak: number, amp: number) => 1 + amp * Math.cos((2 * Math.PI * (d - peak)) / 365);
  const make = (id: string, category: string, units: number, meanQty: number, rentalDays: [number, number], daily: number, peak: number, amp: number): FleetClass => ({
    id,
    category,
    units,
    reorderMin: Math.max(1, Math.round(units * 0.1)),
    reorderMax: Math.max(2, Math.round(units * 0.3)),
    meanQty,
    rentalDays,
    expected: Array.from({ length: days }, (_, d) => daily * season(d, peak, amp) * (d % 7 >= 5 ? 1.6 : 0.76) * (1 + 0.05 * (d / 365))),
  });
  const kinds: FleetClass[] = [
    make('chairs', 'seating', 120, 10, [1, 3], 16, 185, 0.4),
    make('tables', 'seating', 30, 3, [1, 3], 4, 185, 0.4),
    make('linen-a', 'linen', 12, 3, [2, 4], 0.9, 175, 0.45),
    make('linen-b', 'linen', 6, 1.5, [2, 4], 0.45, 175, 0.45),
    make('linen-c', 'linen', 3, 1, [2, 4], 0.2, 175, 0.45),
    make('tent', 'tents', 4, 1, [3, 5], 0.25, 185, 0.8),
    make('sidewall', 'tents', 10, 2.5, [3, 5], 0.6, 185, 0.75),
    make('heater', 'heaters', 5, 1, [2, 5], 0.3, 330, 0.65),
  ];
  // Three variants of each, busier than their fleets were sized for (1.3×, 1.56×, 1.82×).
  const classes = [0, 1, 2].flatMap((r) => kinds.map((c) => ({ ...c, id: `${c.id}-${r}`, expected: (c.expected as number[]).map((x) => x * 1.3 * (1 + 0.2 * r)) })));

  it('replays the same requests for both policies; the forecast policy stocks out less within its budget', () => {
    const r = simulateFleet(classes, { evalFrom: 365, seed: 3 });
    // The budget is the static rule's forecast inventory less half a standard deviation of its replays.
    expect(r.budget.avgUnits).toBeLessThan(r.budget.staticForecastMean);
    expect(r.policy.avgInventory).toBeLessThanOrEqual(r.budget.avgUnits + 1e-9);
    expect(r.policy.stockoutDays).toBeLessThan(r.baseline.stockoutDays);
    // Given exactly the baseline's inventory: same draws, same baseline, the KPI holds on this small fleet.
    const given = simulateFleet(classes, { evalFrom: 365, seed: 3, inventoryBudget: r.baseline.avgInventory });
    expect(given.baseline).toEqual(r.baseline);
    expect(given.policy.avgInventory).toBeLessThanOrEqual(r.baseline.avgInventory);
    expect(given.policy.stockoutDays).toBeLessThanOrEqual(0.6 * r.baseline.stockoutDays);
  });

  it('the moving-average (s, S) baseline replays the same requests beside the static rule, without changing either policy', () => {
    const plain = simulateFleet(classes, { evalFrom: 365, seed: 5 });
    const r = simulateFleet(classes, { evalFrom: 365, seed: 5, movingAverageBaseline: { weeks: 8, serviceLevel: 0.95 } });
    expect(plain.movingAverageBaseline).toBeUndefined();
    expect(r.baseline).toEqual(plain.baseline);
    expect(r.policy).toEqual(plain.policy);
    const ma = r.movingAverageBaseline!;
    // These classes are busier than their fleets were sized for: the rule buys.
    expect(ma.unitsPurchased).toBeGreaterThan(0);
    expect(ma.stockoutDays).toBeGreaterThan(0);
    // A higher service level holds more units and stocks out less.
    const higher = simulateFleet(classes, { evalFrom: 365, seed: 5, movingAverageBaseline: { weeks: 8, serviceLevel: 0.99 } }).movingAverageBaseline!;
    expect(higher.avgInventory).toBeGreaterThan(ma.avgInventory);
    expect(higher.stockoutDays).toBeLessThan(ma.stockoutDays);
  });

  it('a larger budget buys more and stocks out less; the stockout model is roughly calibrated', () => {
    const base = simulateFleet(classes, { evalFrom: 365, seed: 4 }).baseline.avgInventory;
    const small = simulateFleet(classes, { evalFrom: 365, seed: 4, inventoryBudget: 0.9 * base });
    const large = simulateFleet(classes, { evalFrom: 365, seed: 4, inventoryBudget: 1.1 * base });
    expect(small.policy.avgInventory).toBeLessThanOrEqual(0.9 * base);
    expect(large.policy.avgInventory).toBeLessThanOrEqual(1.1 * base);
    expect(large.policy.unitsPurchased).toBeGreaterThan(small.policy.unitsPurchased);
    expect(large.policy.stockoutDays).toBeLessThan(small.policy.stockoutDays);
    const c = small.calibration;
    expect(c.expectedStockoutDays).toBeGreaterThan(0.4 * c.stockoutDays);
    expect(c.expectedStockoutDays).toBeLessThan(2.5 * c.stockoutDays + 3);
  });
});
