import type { ItemGrades } from './grades.js';
import { G } from './grades.js';

/** A row-stochastic matrix: row i is the distribution of the next grade from grade i. */
export type Matrix = number[][];

/** One-rental grade-transition matrices per class, per category and overall, with the counts behind them. */
export interface TransitionTable {
  byClass: Record<string, Matrix>;
  byCategory: Record<string, Matrix>;
  overall: Matrix;
  /** Observed one-rental transitions per category (row sums of the counts). */
  counts: Record<string, number[]>;
}

const zeros = (): Matrix => Array.from({ length: G }, () => new Array<number>(G).fill(0));

/**
 * Counts one-rental grade transitions: each return's grade against the grade observed just before that
 * rental (the previous return, completed repair or inspection). Repairs and inspections are not rentals,
 * so they only set the starting grade.
 */
export function countTransitions(items: ItemGrades[], key: (i: ItemGrades) => string): Map<string, Matrix> {
  const out = new Map<string, Matrix>();
  for (const item of items) {
    const k = key(item);
    let m = out.get(k);
    if (!m) out.set(k, (m = zeros()));
    for (let j = 1; j < item.observations.length; j++) {
      const o = item.observations[j]!;
      const prev = item.observations[j - 1]!;
      if (o.kind !== 'return' || prev.grade < 0 || o.grade < 0) continue;
      m[prev.grade]![o.grade]!++;
    }
  }
  return out;
}

/** Rows normalised with a Dirichlet prior of `strength` pseudo-transitions drawn from `prior` (identity when none). */
export function normalise(counts: Matrix, prior: Matrix | null, strength: number): Matrix {
  return counts.map((row, i) => {
    const pr = prior ? prior[i]! : row.map((_, j) => (i === j ? 1 : 0));
    const n = row.reduce((a, b) => a + b, 0);
    return row.map((c, j) => (c + strength * pr[j]!) / (n + strength));
  });
}

export function sumMatrices(ms: Iterable<Matrix>): Matrix {
  const s = zeros();
  for (const m of ms) for (let i = 0; i < G; i++) for (let j = 0; j < G; j++) s[i]![j] += m[i]![j]!;
  return s;
}

/**
 * Grade-transition matrices per rental class (with ≥ `minClassTransitions`, shrunk by 300 pseudo-transitions, since
 * classes of one category usually wear alike), per category and overall,
 * each shrunk towards the level above it.
 */
export function estimateTransitions(items: ItemGrades[], minClassTransitions = 1000): TransitionTable {
  const byCat = countTransitions(items, (i) => i.category);
  const byCls = countTransitions(items, (i) => i.rentalClass);
  return tableOfCounts(byCat, byCls, new Map(items.map((i) => [i.rentalClass, i.category])), minClassTransitions);
}

/**
 * One-rental transition counts per category and per rental class, added item by item in the items' order: the
 * counts `estimateTransitions` makes, without holding every item's observations at once.
 */
export class TransitionCounts {
  private readonly byCategory = new Map<string, Matrix>();
  private readonly byClass = new Map<string, Matrix>();
  private readonly categoryOf = new Map<string, string>();

  /** Adds the item (its category and class count even without transitions); then `add` its transitions. */
  item(item: Pick<ItemGrades, 'rentalClass' | 'category'>): { add(from: number, to: number): void } {
    const cat = this.matrix(this.byCategory, item.category);
    const cls = this.matrix(this.byClass, item.rentalClass);
    this.categoryOf.set(item.rentalClass, item.category);
    return {
      add(from, to) {
        cat[from]![to]!++;
        cls[from]![to]!++;
      },
    };
  }

  /** The matrices `estimateTransitions` fits on the same transitions. */
  table(minClassTransitions = 1000): TransitionTable {
    return tableOfCounts(this.byCategory, this.byClass, this.categoryOf, minClassTransitions);
  }

  private matrix(of: Map<string, Matrix>, key: string): Matrix {
    let m = of.get(key);
    if (!m) of.set(key, (m = zeros()));
    return m;
  }
}

function tableOfCounts(byCat: Map<string, Matrix>, byCls: Map<string, Matrix>, catOf: Map<string, string>, minClassTransitions: number): TransitionTable {
  const overallCounts = sumMatrices(byCat.values());
  const overall = normalise(overallCounts, null, 1);
  const byCategory: Record<string, Matrix> = {};
  const counts: Record<string, number[]> = {};
  for (const [cat, m] of byCat) {
    byCategory[cat] = normalise(m, overall, 5);
    counts[cat] = m.map((r) => r.reduce((a, b) => a + b, 0));
  }
  const byClass: Record<string, Matrix> = {};
  for (const [cls, m] of byCls) {
    const n = m.reduce((a, r) => a + r.reduce((x, y) => x + y, 0), 0);
    if (n < minClassTransitions) continue;
    byClass[cls] = normalise(m, byCategory[catOf.get(cls) ?? ''] ?? overall, 300);
  }
  return { byClass, byCategory, overall, counts };
}

/** The transition matrix that answers for an item: its class's, else its category's, else the overall one. */
export function matrixFor(t: TransitionTable, item: Pick<ItemGrades, 'rentalClass' | 'category'>): Matrix {
  return t.byClass[item.rentalClass] ?? t.byCategory[item.category] ?? t.overall;
}

/** Distribution of the grade after each of 1…k rentals, from a known grade. */
export function gradePath(P: Matrix, grade: number, k: number): number[][] {
  let v = new Array<number>(G).fill(0);
  v[grade] = 1;
  const out: number[][] = [];
  for (let s = 0; s < k; s++) {
    const next = new Array<number>(G).fill(0);
    for (let i = 0; i < G; i++) if (v[i]) for (let j = 0; j < G; j++) next[j] += v[i]! * P[i]![j]!;
    v = next;
    out.push(v);
  }
  return out;
}

/**
 * Rentals until the grade first falls below `minRentable` (an index; worse grades have larger indices):
 * 10th, 50th, 90th percentiles and mean, by absorbing the chain at the unrentable grades.
 */
export function rentalsUntilBelow(P: Matrix, grade: number, minRentable: number, maxRentals = 2000): RentalsUntil {
  // The answer depends only on the matrix and the start, and every item of a rental class shares its class's
  // matrix (one object): scoring every item walks each class's chain once per grade, not once per item.
  let byStart = untilBelow.get(P);
  if (!byStart) untilBelow.set(P, (byStart = new Map()));
  const key = `${grade}/${minRentable}/${maxRentals}`;
  let answer = byStart.get(key);
  if (!answer) {
    answer = walkUntilBelow(P, grade, minRentable, maxRentals);
    Object.freeze(answer.survival);
    byStart.set(key, Object.freeze(answer));
  }
  return answer;
}

export interface RentalsUntil {
  p10: number;
  median: number;
  p90: number;
  mean: number;
  survival: readonly number[];
}

const untilBelow = new WeakMap<Matrix, Map<string, RentalsUntil>>();

function walkUntilBelow(P: Matrix, grade: number, minRentable: number, maxRentals: number): RentalsUntil {
  if (grade > minRentable) return { p10: 0, median: 0, p90: 0, mean: 0, survival: [] as number[] };
  let v = new Array<number>(G).fill(0);
  v[grade] = 1;
  let mean = 0;
  let p10 = Number.POSITIVE_INFINITY;
  let median = Number.POSITIVE_INFINITY;
  let p90 = Number.POSITIVE_INFINITY;
  const survival: number[] = [];
  for (let k = 1; k <= maxRentals; k++) {
    const alive = v.reduce((a, b, i) => (i <= minRentable ? a + b : a), 0);
    if (alive < 1e-6) break;
    mean += alive;
    const next = new Array<number>(G).fill(0);
    for (let i = 0; i <= minRentable; i++) if (v[i]) for (let j = 0; j < G; j++) next[j] += v[i]! * P[i]![j]!;
    v = next;
    const below = 1 - next.reduce((a, b, i) => (i <= minRentable ? a + b : a), 0);
    survival.push(1 - below);
    if (p10 === Number.POSITIVE_INFINITY && below >= 0.1) p10 = k;
    if (median === Number.POSITIVE_INFINITY && below >= 0.5) median = k;
    if (p90 === Number.POSITIVE_INFINITY && below >= 0.9) p90 = k;
  }
  return { p10, median, p90, mean, survival };
}
