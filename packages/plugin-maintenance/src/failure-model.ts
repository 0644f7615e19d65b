import type { ForestState, RandomForestConfig } from '@rfid3/learn';
import {
  applyPlatt,
  averagePrecision,
  brier,
  DEFAULT_FOREST,
  explainForest,
  fitPlatt,
  forestSteps,
  predictForest,
  predictForestRaw,
  rocAuc,
  runSteps,
  runStepsAsync,
} from '@rfid3/learn';
import type { PlattCalibration } from '@rfid3/learn';
import type { BaselineTable } from './features.js';
import { baselineFor, FEATURE_NAMES, FEATURES, rateFor, writeFeatures } from './features.js';
import { freshState, step } from './history.js';
import type { ItemHistory } from './history.js';
import type { Spell, WeibullParams } from './weibull.js';
import { fitWeibull, remainingRentals, weibullHazard } from './weibull.js';

export interface RepairCosts {
  byClass: Record<string, number>;
  byCategory: Record<string, number>;
  overall: number;
}

export interface FailureValidation {
  /** Returns after the validation cut-off, scored by models fitted on the returns before it. */
  rows: number;
  failures: number;
  cutoff: string;
  forest: { prAuc: number; rocAuc: number; brier: number } | null;
  weibull: { prAuc: number; rocAuc: number; brier: number };
  /**
   * Platt scaling of the early forest's raw votes fitted on these later returns. The served model uses it,
   * because out-of-bag calibration on the past over-states risk when failure rates drift; its Brier score
   * here is in-sample for the calibration and so is reported apart from the figures above.
   */
  outOfTimeCalibration: { calibration: PlattCalibration; brierInSample: number } | null;
}

/** The fitted failure model: plain data, versioned by the model registry. */
export interface FailureModelState {
  kind: 'failure-forest';
  dataThrough: string;
  features: string[];
  forest: ForestState | null;
  baseline: BaselineTable;
  repairCosts: RepairCosts;
  validation: FailureValidation | null;
  trainingRows: number;
}

/** Options of the failure model: the forest's configuration, the validation window and the minimum failures to train. */
export interface FailureModelOptions {
  forest: Partial<RandomForestConfig>;
  /** Days at the end of the data held out to validate the forest against the Weibull baseline. */
  validationDays: number;
  /** Below this many failures in the training rows, only the Weibull baseline answers. */
  minFailures: number;
  /**
   * A fleet larger than this trains on a sample of this many items (the same ones on every run). Each tree sees at
   * most `forest.maxRowsPerTree` rows anyway; the sample bounds the histories and feature columns held while training.
   */
  maxTrainingItems?: number;
}

/** The failure model's default options. */
export const DEFAULT_FAILURE_OPTIONS: FailureModelOptions = {
  forest: { nEstimators: 40, minSamplesLeaf: 20, maxDepth: 12, maxFeatures: 'sqrt', maxRowsPerTree: 100_000, maxOobRows: 100_000, seed: 11 },
  validationDays: 90,
  minFailures: 20,
  maxTrainingItems: 10_000,
};

const isoDayOf = (at: string) => at.slice(0, 10);
const addDaysIso = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** Service spells (a known count of rentals since a completed repair), each ending in a failure or censored. */
export function serviceSpells(item: ItemHistory, through?: string): Spell[] {
  const spells: Spell[] = [];
  let open: number | null = null;
  for (const e of item.events) {
    if (through && e.at.slice(0, 10) > through) break;
    if (e.kind === 'service') {
      if (open !== null && open > 0) spells.push({ rentals: open, failed: false });
      open = 0;
      continue;
    }
    if (open === null) continue;
    open++;
    if (e.failed) {
      spells.push({ rentals: open, failed: true });
      open = null;
    }
  }
  if (open !== null && open > 0) spells.push({ rentals: open, failed: false });
  return spells;
}

/** Weibull hazards per rental class (≥ 15 failures), category (≥ 5) and overall, and smoothed failure rates. */
export function fitBaseline(items: ItemHistory[], through?: string): BaselineTable {
  const byClassSpells = new Map<string, Spell[]>();
  const byCatSpells = new Map<string, Spell[]>();
  const all: Spell[] = [];
  const classCount = new Map<string, { f: number; n: number; category: string }>();
  const catCount = new Map<string, { f: number; n: number }>();
  let F = 0;
  let N = 0;
  for (const item of items) {
    const spells = serviceSpells(item, through);
    if (spells.length) {
      (byClassSpells.get(item.rentalClass) ?? byClassSpells.set(item.rentalClass, []).get(item.rentalClass)!).push(...spells);
      (byCatSpells.get(item.category) ?? byCatSpells.set(item.category, []).get(item.category)!).push(...spells);
      all.push(...spells);
    }
    const cc = classCount.get(item.rentalClass) ?? classCount.set(item.rentalClass, { f: 0, n: 0, category: item.category }).get(item.rentalClass)!;
    const kc = catCount.get(item.category) ?? catCount.set(item.category, { f: 0, n: 0 }).get(item.category)!;
    for (const e of item.events) {
      if (e.kind !== 'return' || (through && e.at.slice(0, 10) > through)) continue;
      const f = e.failed ? 1 : 0;
      cc.f += f;
      cc.n++;
      kc.f += f;
      kc.n++;
      F += f;
      N++;
    }
  }
  const overallFit = fitWeibull(all);
  const overall: WeibullParams = overallFit ? { shape: overallFit.shape, scale: overallFit.scale } : { shape: 1, scale: N && F ? N / F : 100 };
  const byCategory: Record<string, WeibullParams> = {};
  for (const [cat, spells] of byCatSpells) {
    if (spells.filter((s) => s.failed).length < 5) continue;
    const fit = fitWeibull(spells, overall);
    if (fit) byCategory[cat] = { shape: fit.shape, scale: fit.scale };
  }
  const byClass: Record<string, WeibullParams> = {};
  for (const [cls, spells] of byClassSpells) {
    if (spells.filter((s) => s.failed).length < 15) continue;
    const fit = fitWeibull(spells, overall);
    if (fit) byClass[cls] = { shape: fit.shape, scale: fit.scale };
  }
  const overallRate = N ? F / N : 0;
  const categoryRate: Record<string, number> = {};
  for (const [cat, c] of catCount) categoryRate[cat] = (c.f + 50 * overallRate) / (c.n + 50);
  const classRate: Record<string, number> = {};
  for (const [cls, c] of classCount) classRate[cls] = (c.f + 20 * (categoryRate[c.category] ?? overallRate)) / (c.n + 20);
  return { byClass, byCategory, overall, classRate, categoryRate, overallRate, classCounts: Object.fromEntries([...classCount].map(([k, v]) => [k, { f: v.f, n: v.n }])) };
}

/** Mean repair estimate per class and category from failed returns (RFID3 notes or feedback), else repair_cost_ltd. */
export function repairCosts(items: ItemHistory[]): RepairCosts {
  const cls = new Map<string, number[]>();
  const cat = new Map<string, number[]>();
  const all: number[] = [];
  for (const item of items) {
    for (const e of item.events) {
      if (!e.failed) continue;
      const c = e.repairEstimate ?? null;
      if (c === null || !(c > 0)) continue;
      (cls.get(item.rentalClass) ?? cls.set(item.rentalClass, []).get(item.rentalClass)!).push(c);
      (cat.get(item.category) ?? cat.set(item.category, []).get(item.category)!).push(c);
      all.push(c);
    }
  }
  if (!all.length) {
    for (const item of items) {
      const repairs = item.events.filter((e) => e.failed).length;
      if (repairs && item.repairCostLtd > 0) all.push(item.repairCostLtd / repairs);
    }
  }
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  return {
    byClass: Object.fromEntries([...cls].filter(([, v]) => v.length >= 3).map(([k, v]) => [k, mean(v)])),
    byCategory: Object.fromEntries([...cat].map(([k, v]) => [k, mean(v)])),
    overall: all.length ? mean(all) : 50,
  };
}

export const repairCostFor = (c: RepairCosts, item: Pick<ItemHistory, 'rentalClass' | 'category'>) => c.byClass[item.rentalClass] ?? c.byCategory[item.category] ?? c.overall;

/**
 * One row per completed rental (a return), with the features of the item as it stood before that rental
 * and the label "it came back broken". `from`/`to` select returns by day.
 */
export function trainingRows(items: ItemHistory[], baseline: BaselineTable, range: { from?: string; to?: string } = {}, leaveOneOut = false) {
  return runSteps(trainingRowSteps(items, baseline, range, leaveOneOut));
}

/** Feature columns and labels of training rows. */
interface TrainingRows {
  x: Float64Array[];
  y: Float64Array;
  rows: number;
}

/** `trainingRows`, yielding every few hundred items (`trainFailureModelAsync` gives the event loop a turn there). */
function* trainingRowSteps(items: ItemHistory[], baseline: BaselineTable, range: { from?: string; to?: string }, leaveOneOut: boolean): Generator<void, TrainingRows> {
  let n = 0;
  for (const item of items) for (const e of item.events) if (e.kind === 'return' && (!range.from || isoDayOf(e.at) >= range.from) && (!range.to || isoDayOf(e.at) <= range.to)) n++;
  const x = Array.from({ length: FEATURES }, () => new Float64Array(n));
  const y = new Float64Array(n);
  const counts = baseline.classCounts ?? {};
  let row = 0;
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && i % 250 === 0) yield;
    const item = items[i]!;
    const state = freshState();
    const cc = counts[item.rentalClass];
    const catRate = baseline.categoryRate[item.category] ?? baseline.overallRate;
    for (let k = 0; k < item.events.length; k++) {
      const e = item.events[k]!;
      if (e.kind === 'return' && (!range.from || isoDayOf(e.at) >= range.from) && (!range.to || isoDayOf(e.at) <= range.to)) {
        const yi = e.failed ? 1 : 0;
        // leave this row's own label out of its class rate
        const rate = cc && leaveOneOut ? (cc.f - yi + 20 * catRate) / Math.max(1, cc.n - 1 + 20) : rateFor(baseline, item);
        writeFeatures(x, row, item, k, state, baseline, rate);
        y[row] = yi;
        row++;
      }
      step(state, e);
    }
  }
  return { x, y, rows: n };
}

/** Features of each item now (after all its events). */
export function currentRows(items: ItemHistory[], baseline: BaselineTable) {
  const x = Array.from({ length: FEATURES }, () => new Float64Array(items.length));
  const since: number[] = [];
  items.forEach((item, i) => {
    let state = item.standing;
    if (!state) {
      state = freshState();
      for (const e of item.events) step(state, e);
    }
    writeFeatures(x, i, item, item.events.length, state, baseline, rateFor(baseline, item));
    since.push(state.since);
  });
  return { x, since };
}

const scoreOf = (y: Float64Array, p: ArrayLike<number>) => ({ prAuc: averagePrecision(y, p), rocAuc: rocAuc(y, p), brier: brier(y, p) });

/**
 * Fits the failure model through `through`: validates a forest fitted on all but the last
 * `validationDays` against the Weibull baseline on those days, then refits both on everything.
 */
export function trainFailureModel(items: ItemHistory[], through: string, options: FailureModelOptions = DEFAULT_FAILURE_OPTIONS): FailureModelState {
  return runSteps(failureModelSteps(items, through, options));
}

/** `trainFailureModel` with a turn of the event loop after every tree of its two forests (the same model). */
export function trainFailureModelAsync(items: ItemHistory[], through: string, options: FailureModelOptions = DEFAULT_FAILURE_OPTIONS): Promise<FailureModelState> {
  return runStepsAsync(failureModelSteps(items, through, options));
}

function* failureModelSteps(items: ItemHistory[], through: string, options: FailureModelOptions): Generator<void, FailureModelState> {
  const cfg: RandomForestConfig = { ...DEFAULT_FOREST, ...options.forest, task: 'classification' };
  const cutoff = addDaysIso(through, -options.validationDays);
  let validation: FailureValidation | null = null;
  const earlyBaseline = fitBaseline(items, cutoff);
  let early: TrainingRows | null = yield* trainingRowSteps(items, earlyBaseline, { to: cutoff }, true);
  const late = yield* trainingRowSteps(items, earlyBaseline, { from: addDaysIso(cutoff, 1), to: through }, false);
  const lateFailures = late.y.reduce((a, b) => a + b, 0);
  const earlyFailures = early.y.reduce((a, b) => a + b, 0);
  if (late.rows && lateFailures) {
    const weibullP = late.x[FEATURE_NAMES.indexOf('weibull_hazard_next')]!;
    let forest: FailureValidation['forest'] = null;
    let outOfTime: FailureValidation['outOfTimeCalibration'] = null;
    if (earlyFailures >= options.minFailures) {
      const state = yield* forestSteps({ x: early.x, y: early.y, featureNames: [...FEATURE_NAMES] }, cfg);
      forest = scoreOf(late.y, predictForest(state, late.x));
      const raw = predictForestRaw(state, late.x);
      const calibration = fitPlatt(late.y, raw, 0.5 / state.trees.length);
      outOfTime = {
        calibration,
        brierInSample: brier(
          late.y,
          raw.map((v) => applyPlatt(calibration, v)),
        ),
      };
    }
    validation = { rows: late.rows, failures: lateFailures, cutoff, forest, weibull: scoreOf(late.y, weibullP), outOfTimeCalibration: outOfTime };
  }
  // The validation's columns are let go before the final fit's are made.
  early = null;
  const baseline = fitBaseline(items, through);
  const all = yield* trainingRowSteps(items, baseline, { to: through }, true);
  const failures = all.y.reduce((a, b) => a + b, 0);
  yield;
  const forest = failures >= options.minFailures ? yield* forestSteps({ x: all.x, y: all.y, featureNames: [...FEATURE_NAMES] }, cfg) : null;
  if (forest && validation?.outOfTimeCalibration) forest.calibration = validation.outOfTimeCalibration.calibration;
  return { kind: 'failure-forest', dataThrough: through, features: [...FEATURE_NAMES], forest, baseline, repairCosts: repairCosts(items), validation, trainingRows: all.rows };
}

/** The failure risk of one item on its next rental, the Weibull baseline beside it, and which of the two answered. */
export interface FailureRisk {
  tagId: string;
  /** P(failure on the next rental). */
  nextRental: number;
  /** The Weibull baseline's P(failure on the next rental) for this class and count. */
  baselineNextRental: number;
  since: number;
  /** Forest hazard over baseline hazard; multiplies the baseline curve for later rentals. */
  relativeRisk: number;
  rentalsPerDay: number;
  source: 'model' | 'historical_average';
  baseline: WeibullParams;
}

/** Next-rental failure probability of each item, and what it rests on. */
export function scoreItems(state: FailureModelState, items: ItemHistory[]): FailureRisk[] {
  const { x, since } = currentRows(items, state.baseline);
  const p = state.forest ? predictForest(state.forest, x) : null;
  const rateCol = x[FEATURE_NAMES.indexOf('rentals_per_30_days')]!;
  return items.map((item, i) => {
    const base = baselineFor(state.baseline, item);
    const h0 = weibullHazard(since[i]! + 1, base);
    const h = p ? p[i]! : h0;
    return {
      tagId: item.tagId,
      nextRental: h,
      baselineNextRental: h0,
      since: since[i]!,
      relativeRisk: Math.min(20, Math.max(0.05, h / Math.max(1e-6, h0))),
      rentalsPerDay: rateCol[i]! / 30,
      source: p ? 'model' : 'historical_average',
      baseline: base,
    };
  });
}

/** P(at least one failure within the next m rentals), the baseline curve scaled by the item's relative risk. */
export function failureWithinRentals(r: Pick<FailureRisk, 'since' | 'relativeRisk' | 'baseline'>, m: number): number {
  let survive = 1;
  for (let j = 1; j <= m; j++) survive *= 1 - Math.min(1, r.relativeRisk * weibullHazard(r.since + j, r.baseline));
  return 1 - survive;
}

/** P(failure within `days`): rentals in that time are Poisson with the item's own rate. */
export function failureWithinDays(r: FailureRisk, days: number): { probability: number; expectedRentals: number } {
  const lambda = r.rentalsPerDay * days;
  let prob = 0;
  let pm = Math.exp(-lambda);
  let cdf = 0;
  let survive = 1;
  for (let m = 0; m < 2000 && cdf < 1 - 1e-9; m++) {
    if (m > 0) {
      pm *= lambda / m;
      survive *= 1 - Math.min(1, r.relativeRisk * weibullHazard(r.since + m, r.baseline));
    }
    prob += pm * (1 - survive);
    cdf += pm;
  }
  return { probability: prob, expectedRentals: lambda };
}

/** Remaining useful life in rentals (10th, 50th, 90th percentile) from the item's hazard curve. */
export function remainingLife(r: FailureRisk) {
  return remainingRentals(r.since, r.baseline, r.relativeRisk);
}

/** The features behind an item's score, as signed contributions to its next-rental probability. */
export function failureDrivers(state: FailureModelState, item: ItemHistory, top = 6) {
  const { x } = currentRows([item], state.baseline);
  if (!state.forest) return [];
  const ex = explainForest(state.forest, x, 0);
  return ex.contributions.slice(0, top).map((c) => ({
    name: c.feature,
    effect: c.contribution,
    detail: `value ${Number.isFinite(c.value) ? Math.round(c.value * 1000) / 1000 : 'unknown'}; effect on the forest's vote share before calibration`,
  }));
}
