/** Revenue and demand history of one rental class, the input of the velocity classes. */
export interface VelocityInput {
  id: string;
  revenue: number;
  /** Units out per period (e.g. per week), oldest first. */
  demand: readonly number[];
}

/** ABC class by cumulative revenue share: A the classes making most of the revenue, C the tail. */
export type AbcClass = 'A' | 'B' | 'C';
/** XYZ class by the coefficient of variation of demand: X steady, Z erratic. */
export type XyzClass = 'X' | 'Y' | 'Z';

/** ABC/XYZ classification of one rental class and the figures behind it. */
export interface VelocityClass {
  id: string;
  abc: AbcClass;
  xyz: XyzClass;
  /** Share of total revenue, and the cumulative share up to and including this class (by revenue, descending). */
  revenueShare: number;
  cumulativeShare: number;
  /** Coefficient of variation of the per-period demand (sd / mean); Infinity when the mean is 0. */
  cv: number;
  meanDemand: number;
  /** Fast: in the top fifth by mean demand; slow: in the bottom fifth or never rented. */
  mover: 'fast' | 'normal' | 'slow';
}

/** Thresholds of `velocityClasses` (cumulative revenue shares for ABC, CV limits for XYZ). */
export interface VelocityOptions {
  /** Cumulative revenue share closing class A and B (default 0.8 and 0.95). */
  abc?: [number, number];
  /** CV limits of X and Y (default 0.5 and 1.0). */
  xyz?: [number, number];
}

/**
 * ABC by revenue (Pareto: the classes making the first 80 % of revenue are A, the next 15 % B, the rest C),
 * XYZ by demand variability (coefficient of variation below 0.5 X, below 1 Y, else Z), and fast/slow movers
 * by mean demand quintile.
 */
export function velocityClasses(items: readonly VelocityInput[], options: VelocityOptions = {}): VelocityClass[] {
  const [aCut, bCut] = options.abc ?? [0.8, 0.95];
  const [xCut, yCut] = options.xyz ?? [0.5, 1];
  const total = items.reduce((s, i) => s + Math.max(0, i.revenue), 0);
  const byRevenue = [...items].sort((a, b) => b.revenue - a.revenue || (a.id < b.id ? -1 : 1));
  const means = items.map((i) => mean(i.demand)).sort((a, b) => a - b);
  const q20 = means[Math.floor(0.2 * (means.length - 1))] ?? 0;
  const q80 = means[Math.ceil(0.8 * (means.length - 1))] ?? 0;
  let cumulative = 0;
  return byRevenue.map((i) => {
    const share = total > 0 ? Math.max(0, i.revenue) / total : 0;
    // A class is A while the revenue before it is under the cut: the one that crosses 80 % is still A.
    const before = cumulative;
    cumulative += share;
    const m = mean(i.demand);
    const sd = Math.sqrt(i.demand.reduce((s, v) => s + (v - m) ** 2, 0) / Math.max(1, i.demand.length - 1));
    const cv = m > 0 ? sd / m : Number.POSITIVE_INFINITY;
    return {
      id: i.id,
      abc: total > 0 && before < aCut ? 'A' : total > 0 && before < bCut ? 'B' : 'C',
      xyz: cv < xCut ? 'X' : cv < yCut ? 'Y' : 'Z',
      revenueShare: share,
      cumulativeShare: cumulative,
      cv,
      meanDemand: m,
      mover: m > 0 && m >= q80 && q80 > q20 ? 'fast' : m === 0 || m <= q20 ? 'slow' : 'normal',
    };
  });
}

function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : 0;
}
