import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alertSeverity, classAlert, onRentSurvival, onRentTail, severityRank, stockoutTable } from '../src/index.js';
import type { OnRentForecast } from '../src/index.js';

/** The simulator's weekday profile (Sunday first): the busy Friday and Saturday. */
const WEEKLY = [0.35, 0.55, 0.7, 0.9, 1.35, 1.85, 1.3].map((w, _, all) => (w * 7) / all.reduce((a, b) => a + b, 0));

/**
 * A rental class as the restock analysis sees it: a fleet of 1 to 400 units, rentals of lo … hi days, lines of
 * 1 + Poisson(m − 1) units, a demand rate at some utilisation of the fleet (up to 1.6: overloaded classes too), units
 * out now with their due dates, and a forecast whose interval is anything from exact to three times its mean wide.
 */
const simulatedClass = fc
  .record({
    units: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 13, max: 60 }), fc.integer({ min: 61, max: 400 })),
    onOrder: fc.integer({ min: 0, max: 3 }),
    days: fc.integer({ min: 1, max: 28 }),
    startWeekday: fc.integer({ min: 0, max: 6 }),
    lo: fc.integer({ min: 1, max: 5 }),
    extra: fc.integer({ min: 0, max: 10 }),
    utilisation: fc.double({ min: 0.01, max: 1.6, noNaN: true }),
    lineShare: fc.double({ min: 0, max: 0.25, noNaN: true }),
    outShare: fc.double({ min: 0, max: 1, noNaN: true }),
    errorShare: fc.double({ min: 0, max: 3, noNaN: true }),
    seasonSlope: fc.double({ min: -0.03, max: 0.03, noNaN: true }),
  })
  .map((c) => {
    const hi = c.lo + c.extra;
    const meanLen = (c.lo + hi) / 2;
    const meanQty = Math.max(1, Math.min(20, c.units * c.lineShare));
    // Units per line 1 + Poisson(m − 1): E[q²] / E[q] = (m² + m − 1) / m.
    const dispersion = (meanQty * meanQty + meanQty - 1) / meanQty;
    // P(a rental of j days ago is still out) = P(length > j), lengths uniform on [lo, hi].
    const stillOut = Array.from({ length: hi + 1 }, (_, j) => (j < c.lo ? 1 : (hi - j) / (hi - c.lo + 1)));
    const rate = (c.utilisation * c.units) / meanLen;
    const today = Array.from({ length: c.days }, (_, i) => Math.max(0, rate * WEEKLY[(c.startWeekday + i) % 7]! * (1 + c.seasonSlope * i)));
    const demandVar = today.map((t) => (c.errorShare * t) ** 2);
    // Units out now, due back evenly over the rental length.
    const out = Math.round(c.outShare * c.units);
    const known = Array.from({ length: c.days }, (_, i) => Math.max(0, Math.round(out * (1 - (i + 1) / (hi + 1)))));
    const carried = today.map((_, i) => {
      let m = 0;
      for (let j = 1; j <= i && j < stillOut.length; j++) m += today[i - j]! * stillOut[j]!;
      return m;
    });
    const carriedErrorVariance = today.map((_, i) => {
      let v = 0;
      for (let j = 1; j <= i && j < stillOut.length; j++) v += demandVar[i - j]! * stillOut[j]! ** 2;
      return v;
    });
    const errorVariance = carriedErrorVariance.map((v, i) => v + demandVar[i]!);
    const forecast: OnRentForecast = { known, carried, today, dispersion, meanQty, errorVariance, carriedErrorVariance };
    return { forecast, available: c.units + c.onOrder };
  });

describe('restock alerts are internally consistent', () => {
  it('over 2,000 simulated classes: P50 ≤ P90 of the peak day, no critical alert with no shortfall at P90, the severity shown is the rule applied to the figures beside it', () => {
    let critical = 0;
    let alerted = 0;
    fc.assert(
      fc.property(simulatedClass, ({ forecast, available }) => {
        const a = classAlert(forecast, available);
        const survival = onRentSurvival(forecast, a.peakDay, available);
        for (let u = 1; u < survival.length; u++) expect(survival[u]!).toBeLessThanOrEqual(survival[u - 1]! + 1e-12);
        expect(a.onRentP50).toBeLessThanOrEqual(a.onRentP90);
        expect(a.shortfallProbability).toBeGreaterThanOrEqual(0);
        expect(a.shortfallProbability).toBeLessThanOrEqual(1);
        // A request is turned away only when the units on rent exceed the fleet.
        expect(a.shortfallProbability).toBeLessThanOrEqual(survival[available]! + 1e-12);
        expect(a.expectedShortfall).toBeGreaterThanOrEqual(a.shortfallProbability - 1e-12);
        expect(a.shortfallP90).toBe(Math.max(0, a.onRentP90 - available));
        if (a.shortfallP90 === 0) {
          expect(a.severity).not.toBe('critical');
          expect(a.shortfallProbability).toBeLessThanOrEqual(0.1 + 1e-12);
        }
        if (a.expectedShortfall === 0) expect(a.severity).toBeNull();
        expect(a.severity).toBe(alertSeverity(a.shortfallProbability, a.expectedShortfall));
        if (a.severity) alerted++;
        if (a.severity === 'critical') critical++;
      }),
      { numRuns: 2000, seed: 20261206 },
    );
    // The generator reaches every kind of class, alerted and critical ones included.
    expect(alerted).toBeGreaterThan(200);
    expect(critical).toBeGreaterThan(50);
  });

  it('severity never falls as the shortfall probability rises with the expected shortfall held, nor as the expected shortfall rises', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        (p1, p2, e1, e2) => {
          const [lo, hi] = p1 <= p2 ? [p1, p2] : [p2, p1];
          const [eLo, eHi] = e1 <= e2 ? [e1, e2] : [e2, e1];
          expect(severityRank(alertSeverity(hi, eLo))).toBeGreaterThanOrEqual(severityRank(alertSeverity(lo, eLo)));
          expect(severityRank(alertSeverity(lo, eHi))).toBeGreaterThanOrEqual(severityRank(alertSeverity(lo, eLo)));
        },
      ),
      { numRuns: 2000, seed: 7 },
    );
  });

  it('the reported case: 9 owned and 9 out, a quiet day with a wide forecast interval is not critical (a scaled-Poisson atom at zero is not spread above the units out)', () => {
    // Expected on rent 9.11: 9 out all day, 0.11 units of new rentals whose interval is wide (variance 4).
    const forecast: OnRentForecast = { known: [9], carried: [0], today: [0.11], dispersion: 1, meanQty: 1, errorVariance: [4], carriedErrorVariance: [0] };
    const a = classAlert(forecast, 9);
    expect(a.shortfallProbability).toBeLessThan(0.05);
    expect(a.severity).toBeNull();
    expect(a.onRentP50).toBe(9);
    // Whatever the scale, P(X > known) is at most P(at least one rental) = 1 − exp(−mean / scale).
    expect(onRentTail(9, 0.11, 4.11, 9)).toBeLessThanOrEqual(1 - Math.exp(-0.11 / (4.11 / 0.11)) + 1e-12);
    // Busy instead (2 units a day requested on top): now likely short, and the figures say so together.
    const busy = classAlert({ ...forecast, today: [2], errorVariance: [0.5] }, 9);
    expect(busy.severity).toBe('critical');
    expect(busy.shortfallP90).toBeGreaterThanOrEqual(1);
    expect(busy.expectedShortfall).toBeGreaterThan(busy.shortfallProbability);
  });

  it('the peak day is the window day with the highest stockout probability in the table the allocation uses', () => {
    fc.assert(
      fc.property(simulatedClass, ({ forecast, available }) => {
        const table = stockoutTable(forecast, 0);
        const a = classAlert(forecast, available, table);
        if (available < table.width) {
          const col = (i: number) => table.p[i * table.width + available]!;
          for (let i = 0; i < table.days; i++) expect(col(i)).toBeLessThanOrEqual(a.shortfallProbability);
          expect(col(a.peakDay)).toBe(a.shortfallProbability);
        }
      }),
      { numRuns: 300, seed: 11 },
    );
  });
});
