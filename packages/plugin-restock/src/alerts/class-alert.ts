import { dayOnRent, onRentTails, stockoutTable } from '../policy/allocation.js';
import type { OnRentForecast, StockoutTable } from '../policy/allocation.js';

/** How urgent a class's restock alert is (`ALERT_RULES` gives each level's thresholds). */
export type Severity = 'critical' | 'high' | 'medium';

/** Most severe first. */
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium'];

/** 3 critical, 2 high, 1 medium, 0 no alert: sort by it, most severe first. */
export const severityRank = (s: Severity | null): number => (s === 'critical' ? 3 : s === 'high' ? 2 : s === 'medium' ? 1 : 0);

/**
 * A class reaches a severity when the peak day's shortfall probability reaches `probability`, or reaches
 * `orProbability` while the expected shortfall that day reaches `orExpectedShortfall` units (a less likely but large
 * shortfall). Both conditions rise with either figure, so more probability never lowers the severity.
 */
export const ALERT_RULES: Readonly<Record<Severity, { probability: number; orProbability: number; orExpectedShortfall: number }>> = {
  critical: { probability: 0.5, orProbability: 0.2, orExpectedShortfall: 3 },
  high: { probability: 0.2, orProbability: 0.05, orExpectedShortfall: 1 },
  medium: { probability: 0.05, orProbability: 0.05, orExpectedShortfall: 0 },
};

/** The severity of a shortfall probability and an expected shortfall (units), or null below every rule. */
export function alertSeverity(shortfallProbability: number, expectedShortfall: number): Severity | null {
  for (const s of SEVERITIES) {
    const r = ALERT_RULES[s];
    if (shortfallProbability >= r.probability || (shortfallProbability >= r.orProbability && expectedShortfall >= r.orExpectedShortfall)) return s;
  }
  return null;
}

/** One class's alert: every figure read from the same distribution of units on rent on the same day. */
export interface ClassAlert {
  /** Index of the window's day with the highest chance of turning a request away with the units available. */
  peakDay: number;
  /** P(a request goes unserved) that day. */
  shortfallProbability: number;
  /** Units on rent that day (rentals out, still out and requested, not limited by the fleet): median and 90th percentile. */
  onRentP50: number;
  onRentP90: number;
  /** E[max(0, units on rent − units available)] that day. */
  expectedShortfall: number;
  /** max(0, onRentP90 − units available): units short at the 90th percentile. */
  shortfallP90: number;
  severity: Severity | null;
}

/** P(X > u) for u = 0, 1, … of day i's units on rent, up to where it falls below 1e-12 (at least through `through`). */
export function onRentSurvival(f: OnRentForecast, i: number, through = 0): Float64Array {
  const d = dayOnRent(f, i);
  let n = Math.max(through + 1, Math.ceil(d.known + d.mean + 12 * Math.sqrt(Math.max(d.variance, 1)) + 16));
  for (;;) {
    const out = new Float64Array(n);
    onRentTails(d.known, d.mean, d.variance, 0, n, out);
    if (out[n - 1]! < 1e-12 || n > 10_000_000) return out;
    n *= 2;
  }
}

/** Smallest u with P(X > u) ≤ 1 − q (the survival function never rises with u). */
function quantile(survival: Float64Array, q: number): number {
  for (let u = 0; u < survival.length; u++) if (survival[u]! <= 1 - q) return u;
  return survival.length;
}

/**
 * The alert of one class over a window, a pure function of its forecast of units on rent and the units it has
 * (owned and on order). The peak day is the one most likely to turn a request away; its shortfall probability is
 * at most P(units on rent > units available) (a request must come too), so it never exceeds the expected shortfall
 * nor, above 10 %, leaves the 90th percentile within the fleet: a shortfall of 0 at P90 is never critical.
 */
export function classAlert(f: OnRentForecast, unitsAvailable: number, table: StockoutTable = stockoutTable(f, 0)): ClassAlert {
  const u = Math.max(0, Math.floor(unitsAvailable));
  const days = f.today.length;
  if (days === 0) return { peakDay: 0, shortfallProbability: 0, onRentP50: 0, onRentP90: 0, expectedShortfall: 0, shortfallP90: 0, severity: null };
  // The table's columns stop where even a busy day is served; beyond them the chance is computed, not clamped.
  const probabilityOn = (i: number) => {
    const j = u - table.from;
    if (j >= 0 && j < table.width) return table.p[i * table.width + j]!;
    const d = dayOnRent(f, i);
    const all = new Float64Array(1);
    const carried = new Float64Array(1);
    onRentTails(d.known, d.mean, d.variance, u, 1, all);
    onRentTails(d.known, d.carriedMean, d.carriedVariance, u, 1, carried);
    return Math.max(0, all[0]! - d.noRequest * carried[0]!);
  };
  let peakDay = 0;
  let shortfallProbability = probabilityOn(0);
  for (let i = 1; i < days; i++) {
    const p = probabilityOn(i);
    if (p > shortfallProbability) {
      peakDay = i;
      shortfallProbability = p;
    }
  }
  const survival = onRentSurvival(f, peakDay, u);
  let expectedShortfall = 0;
  for (let v = u; v < survival.length; v++) expectedShortfall += survival[v]!;
  const onRentP90 = quantile(survival, 0.9);
  return {
    peakDay,
    shortfallProbability,
    onRentP50: quantile(survival, 0.5),
    onRentP90,
    expectedShortfall,
    shortfallP90: Math.max(0, onRentP90 - u),
    severity: alertSeverity(shortfallProbability, expectedShortfall),
  };
}
