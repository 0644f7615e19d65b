import type { Answer } from './api.js';
import { about, num, pct0 } from './format.js';

/** An accuracy row as the API reports it (`demand/accuracy`; `health/prediction-accuracy` has the same rows). */
export type AccuracyRow = Answer<'demand/accuracy'>['byModel'][number];

/** Ranges that hold this much more (or less) often than they say are called too wide (too narrow). */
const COVERAGE_TOLERANCE = 0.05;

/** Whether the ranges hold about as often as they say: 'wide', 'narrow' or 'right'. */
export function coverageVerdict(coverage: number, level: number): 'wide' | 'narrow' | 'right' {
  if (coverage > level + COVERAGE_TOLERANCE) return 'wide';
  if (coverage < level - COVERAGE_TOLERANCE) return 'narrow';
  return 'right';
}

const VERDICT_WORDS = {
  wide: 'wider than needed',
  narrow: 'too narrow: more surprises than they promise',
  right: 'about as often as they promise',
};

/**
 * "Forecasts are off by about 5 units a day; the 80 % ranges held 94 % of the time — wider than needed."
 * The error is the mean absolute error of matched forecasts; the share is the interval coverage.
 */
export function accuracySentence(r: Pick<AccuracyRow, 'mae' | 'coverage' | 'intervalLevel'>, what = 'Forecasts', unit = 'units a day'): string {
  const error = `${what} are off by about ${about(r.mae)} ${unit}`;
  if (r.coverage === null || r.intervalLevel === null) return `${error}.`;
  return `${error}; the ${pct0(r.intervalLevel)} ranges held ${pct0(r.coverage)} of the time — ${VERDICT_WORDS[coverageVerdict(r.coverage, r.intervalLevel)]}.`;
}

/** Per-day-ahead rows pooled into weeks ahead (weighted by how many forecasts each day has). */
export function byWeekAhead(rows: AccuracyRow[]): { week: number; n: number; mae: number; coverage: number | null; intervalLevel: number | null }[] {
  const weeks = new Map<number, { n: number; ae: number; covN: number; cov: number; level: number | null }>();
  for (const r of rows) {
    if (typeof r.horizon !== 'number' || !(r.n > 0)) continue;
    const w = Math.ceil(r.horizon / 7);
    const acc = weeks.get(w) ?? { n: 0, ae: 0, covN: 0, cov: 0, level: r.intervalLevel };
    acc.n += r.n;
    acc.ae += r.mae * r.n;
    if (typeof r.coverage === 'number') {
      acc.covN += r.n;
      acc.cov += r.coverage * r.n;
    }
    weeks.set(w, acc);
  }
  return [...weeks.entries()].sort(([a], [b]) => a - b).map(([week, a]) => ({ week, n: a.n, mae: a.ae / a.n, coverage: a.covN ? a.cov / a.covN : null, intervalLevel: a.level }));
}

/** "demand.units_out" → "units going out"; unknown types humanized. */
export function predictionWhat(type: string | undefined): string {
  switch (type) {
    case 'demand.units_out':
      return 'units going out a day';
    case 'demand.on_rent':
      return 'units on rent at once';
    default:
      return type ? type.replace(/[._]/g, ' ') : 'predictions';
  }
}

/** How a forecast was made, in words: `model`, `ensemble`, `historical_average`, `manual`. */
export function sourceWords(source: unknown): string {
  switch (source) {
    case 'model':
      return 'forecast by the trained model';
    case 'ensemble':
      return 'forecast by several models combined';
    case 'historical_average':
      return 'too little history for a model: the historical average';
    case 'manual':
      return 'a figure entered by hand';
    default:
      return typeof source === 'string' ? source : '';
  }
}

export const forecastsCount = (n: number): string => `${num(n, 0)} forecast${n === 1 ? '' : 's'}`;
