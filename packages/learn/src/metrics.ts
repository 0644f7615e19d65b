/**
 * Measures for a rare positive class, where accuracy means nothing (96.6 % of AI4I rows are "no failure").
 * Scores are probabilities or any score where higher means more likely positive.
 */
export interface BinaryScores {
  f1: number;
  precision: number;
  recall: number;
  /** Average precision: Σ (recall_k − recall_{k−1}) · precision_k over thresholds, as scikit-learn's average_precision_score. */
  prAuc: number;
  rocAuc: number;
  threshold: number;
  positives: number;
  rows: number;
}

function check(y: ArrayLike<number>, s: ArrayLike<number>): void {
  if (y.length !== s.length) throw new RangeError(`${y.length} labels but ${s.length} scores`);
}

/** Precision, recall and F1 of the positive class at `score >= threshold`. */
export function confusionAt(y: ArrayLike<number>, score: ArrayLike<number>, threshold: number) {
  check(y, score);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < y.length; i++) {
    const pos = score[i]! >= threshold;
    if (y[i] === 1) pos ? tp++ : fn++;
    else if (pos) fp++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { tp, fp, fn, precision, recall, f1 };
}

/** Indices sorted by descending score. */
function descending(score: ArrayLike<number>): Uint32Array {
  const idx = Uint32Array.from({ length: score.length }, (_, i) => i);
  return idx.sort((i, j) => score[j]! - score[i]!);
}

/** Average precision (area under the precision–recall step curve); ties share one threshold. */
export function averagePrecision(y: ArrayLike<number>, score: ArrayLike<number>): number {
  check(y, score);
  const idx = descending(score);
  let P = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === 1) P++;
  if (!P) return Number.NaN;
  let tp = 0;
  let fp = 0;
  let ap = 0;
  let lastRecall = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    if (y[i] === 1) tp++;
    else fp++;
    if (k + 1 < idx.length && score[idx[k + 1]!] === score[i]) continue;
    const recall = tp / P;
    ap += (recall - lastRecall) * (tp / (tp + fp));
    lastRecall = recall;
  }
  return ap;
}

/** Area under the ROC curve (Mann–Whitney, ties counted as half). */
export function rocAuc(y: ArrayLike<number>, score: ArrayLike<number>): number {
  check(y, score);
  const idx = Uint32Array.from({ length: score.length }, (_, i) => i).sort((i, j) => score[i]! - score[j]!);
  let P = 0;
  let rankSum = 0;
  let k = 0;
  while (k < idx.length) {
    let m = k;
    while (m + 1 < idx.length && score[idx[m + 1]!] === score[idx[k]!]) m++;
    const avgRank = (k + m) / 2 + 1;
    for (let t = k; t <= m; t++)
      if (y[idx[t]!] === 1) {
        P++;
        rankSum += avgRank;
      }
    k = m + 1;
  }
  const N = y.length - P;
  if (!P || !N) return Number.NaN;
  return (rankSum - (P * (P + 1)) / 2) / (P * N);
}

/** The threshold that maximises F1 (chosen on data the model was not fitted on: out-of-bag or a validation split). */
export function bestF1Threshold(y: ArrayLike<number>, score: ArrayLike<number>): { threshold: number; f1: number } {
  check(y, score);
  const idx = descending(score);
  let P = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === 1) P++;
  let tp = 0;
  let fp = 0;
  let best = { threshold: 0.5, f1: 0 };
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    if (y[i] === 1) tp++;
    else fp++;
    if (k + 1 < idx.length && score[idx[k + 1]!] === score[i]) continue;
    const f1 = (2 * tp) / (P + tp + fp);
    if (f1 > best.f1) {
      // halfway to the next lower score, so a new row scored like the last positive one is caught
      const next = k + 1 < idx.length ? score[idx[k + 1]!]! : score[i]!;
      best = { threshold: (score[i]! + next) / 2, f1 };
    }
  }
  return best;
}

/** F1, precision and recall at `threshold`, PR-AUC and ROC-AUC of 0/1 labels against scores. */
export function binaryScores(y: ArrayLike<number>, score: ArrayLike<number>, threshold = 0.5): BinaryScores {
  const c = confusionAt(y, score, threshold);
  let positives = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === 1) positives++;
  return {
    f1: c.f1,
    precision: c.precision,
    recall: c.recall,
    prAuc: averagePrecision(y, score),
    rocAuc: rocAuc(y, score),
    threshold,
    positives,
    rows: y.length,
  };
}

/** Brier score: mean squared error of probabilities. */
export function brier(y: ArrayLike<number>, p: ArrayLike<number>): number {
  check(y, p);
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (p[i]! - y[i]!) ** 2;
  return s / y.length;
}

/** Expected calibration error over `bins` equal-width probability bins, and the bins themselves. */
export function calibrationTable(y: ArrayLike<number>, p: ArrayLike<number>, bins = 10) {
  check(y, p);
  const n = new Array<number>(bins).fill(0);
  const sp = new Array<number>(bins).fill(0);
  const sy = new Array<number>(bins).fill(0);
  for (let i = 0; i < y.length; i++) {
    const b = Math.min(bins - 1, Math.floor(p[i]! * bins));
    n[b]++;
    sp[b] += p[i]!;
    sy[b] += y[i]!;
  }
  let ece = 0;
  const table = [];
  for (let b = 0; b < bins; b++) {
    if (!n[b]) continue;
    ece += (n[b]! / y.length) * Math.abs(sp[b]! / n[b]! - sy[b]! / n[b]!);
    table.push({ from: b / bins, to: (b + 1) / bins, rows: n[b]!, meanPredicted: sp[b]! / n[b]!, observed: sy[b]! / n[b]! });
  }
  return { ece, bins: table };
}
