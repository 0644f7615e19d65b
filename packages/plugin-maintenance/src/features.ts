import type { ItemEvent, ItemHistory, ItemState } from './history.js';
import { WEAR_FLAGS } from './history.js';
import type { WeibullParams } from './weibull.js';
import { weibullHazard } from './weibull.js';

/** Names of the features the failure model reads from an item's history, in column order. */
export const FEATURE_NAMES = [
  'rentals_since_service',
  'days_since_service',
  'age_days',
  'rentals_observed',
  'rentals_per_30_days',
  'repairs_observed',
  'repair_cost_ltd',
  'turnover_ltd',
  'grade',
  'grade_change_last_5',
  'flags_last_return',
  'rip_or_tear_recent',
  'grommet_rope_buckle_recent',
  'mold_stain_recent',
  'oxidation_oil_recent',
  'service_required_recent',
  'sewing_repair_recent',
  'weibull_hazard_next',
  'class_failure_rate',
  'service_known',
] as const;
export const FEATURES = FEATURE_NAMES.length;

const DAY = 86_400_000;
const ms = (at: string) => Date.parse(`${at.replace(' ', 'T')}Z`);
const bit = (f: (typeof WEAR_FLAGS)[number]) => 1 << WEAR_FLAGS.indexOf(f);
const mask = (...fs: (typeof WEAR_FLAGS)[number][]) => fs.reduce((m, f) => m | bit(f), 0);
const popcount = (x: number) => {
  let c = 0;
  for (; x; x &= x - 1) c++;
  return c;
};
const GROUPS = [mask('rip_or_tear'), mask('grommet', 'rope', 'buckle'), mask('mold', 'stain'), mask('oxidation', 'oil'), mask('service_required'), mask('sewing_repair_needed')];

/** The Weibull baseline an item falls back on: its rental class's, else its category's, else everyone's. */
export interface BaselineTable {
  byClass: Record<string, WeibullParams>;
  byCategory: Record<string, WeibullParams>;
  overall: WeibullParams;
  /** Failures per completed rental, smoothed towards the category's. */
  classRate: Record<string, number>;
  categoryRate: Record<string, number>;
  overallRate: number;
  /** Failures and returns per class, for leave-one-out rates on the rows the table was fitted on. */
  classCounts?: Record<string, { f: number; n: number }>;
}

export function baselineFor(t: BaselineTable, item: Pick<ItemHistory, 'rentalClass' | 'category'>): WeibullParams {
  return t.byClass[item.rentalClass] ?? t.byCategory[item.category] ?? t.overall;
}

export function rateFor(t: BaselineTable, item: Pick<ItemHistory, 'rentalClass' | 'category'>): number {
  return t.classRate[item.rentalClass] ?? t.categoryRate[item.category] ?? t.overallRate;
}

/** The most returns the features look back over: an item's last this many returns and what followed make its features now. */
export const LOOKBACK_RETURNS = 5;

/**
 * Writes the features of `item` as it stood after its first `k` events into column arrays at `row`.
 * Every feature uses only those events (and the item's catalogue figures), never what came after.
 */
export function writeFeatures(out: Float64Array[], row: number, item: ItemHistory, k: number, state: ItemState, baseline: BaselineTable, classRate: number): void {
  const events = item.events;
  const ref = state.lastAt ?? item.created;
  const refMs = ref ? ms(ref) : Number.NaN;
  const firstMs = state.firstAt ? ms(state.firstAt) : Number.NaN;
  const createdMs = item.created ? ms(item.created) : firstMs;
  const observedDays = Math.max(30, (refMs - firstMs) / DAY || 0);
  let lastReturn: ItemEvent | null = null;
  let gradeNow = item.grade;
  let grade5: number | null = null;
  let seen = 0;
  const recent = new Array<number>(GROUPS.length).fill(0);
  for (let j = k - 1; j >= 0; j--) {
    const e = events[j]!;
    if (e.kind !== 'return') continue;
    if (!lastReturn) {
      lastReturn = e;
      if (Number.isFinite(e.grade)) gradeNow = e.grade;
    }
    if (seen < 3) GROUPS.forEach((g, gi) => (recent[gi]! += e.flags & g ? 1 : 0));
    seen++;
    if (seen === LOOKBACK_RETURNS) {
      grade5 = e.grade;
      break;
    }
  }
  const values = [
    state.since,
    state.lastServiceAt && ref ? (refMs - ms(state.lastServiceAt)) / DAY : Number.NaN,
    Number.isFinite(createdMs) && Number.isFinite(refMs) ? (refMs - createdMs) / DAY : Number.NaN,
    state.returns,
    (30 * state.returns) / observedDays,
    state.repairs,
    item.repairCostLtd,
    item.turnoverLtd,
    gradeNow,
    grade5 !== null && Number.isFinite(gradeNow) ? gradeNow - grade5 : 0,
    lastReturn ? popcount(lastReturn.flags) : 0,
    ...recent,
    weibullHazard(state.since + 1, baselineFor(baseline, item)),
    classRate,
    state.serviceKnown ? 1 : 0,
  ];
  for (let f = 0; f < FEATURES; f++) out[f]![row] = values[f]!;
}
