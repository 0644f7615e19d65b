import type { BinnedColumns } from './binning.js';
import type { SeededRandom } from './rng.js';

/**
 * One fitted tree as plain arrays (it serialises as JSON). Node 0 is the root; a leaf has feature -1.
 * Every node keeps its value, so a prediction can be explained by the change along its path.
 */
export interface TreeState {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

/** How one tree grows: depth, leaf size, child weight and the features tried per split. */
export interface GrowOptions {
  maxDepth: number;
  minSamplesLeaf: number;
  /** Minimum sum of the denominator (`b`) in each child: sample weight for a forest, hessian for boosting. */
  minChildWeight: number;
  /** Features tried per split; more are tried only when none of those gave a valid split (as scikit-learn does). */
  maxFeatures: number;
  /** L2 penalty on leaf values (boosting); 0 for a forest. */
  lambda: number;
}

/** Scratch buffers reused across the trees of one fit. */
export interface Workspace {
  histA: Float64Array;
  histB: Float64Array;
  histC: Int32Array;
  order: Int32Array;
}

/** Allocates the scratch buffers one fit reuses across its trees (histograms sized for `maxBins`). */
export function createWorkspace(features: number, maxBins: number): Workspace {
  return {
    histA: new Float64Array(maxBins + 1),
    histB: new Float64Array(maxBins + 1),
    histC: new Int32Array(maxBins + 1),
    order: Int32Array.from({ length: features }, (_, i) => i),
  };
}

/**
 * Grows one tree by histogram split finding. Each row i carries a numerator a[i] and a denominator b[i];
 * a node's value is Σa / (Σb + λ) and a split's gain is the rise in Σ(Σa)²/(Σb + λ) over the children.
 * With a = w·y, b = w and λ = 0 this is weighted variance reduction (for 0/1 labels, the Gini
 * decrease); with a = −gradient, b = hessian it is the second-order boosting gain.
 * `rows[0..count)` are the rows in the tree (permuted in place). `target`, when given, lets a node whose
 * rows all share one target stop at once instead of scanning every feature.
 */
export function growTree(
  data: BinnedColumns,
  a: Float64Array,
  b: Float64Array,
  rows: Uint32Array,
  count: number,
  opts: GrowOptions,
  rng: SeededRandom,
  ws: Workspace,
  importance?: Float64Array,
  target?: ArrayLike<number>,
): TreeState {
  const { bins, edges } = data;
  const F = bins.length;
  const lambda = opts.lambda;
  const tree: TreeState = { feature: [], threshold: [], left: [], right: [], value: [] };
  const { histA, histB, histC, order } = ws;

  let A0 = 0;
  let B0 = 0;
  for (let k = 0; k < count; k++) {
    const r = rows[k]!;
    A0 += a[r]!;
    B0 += b[r]!;
  }
  const addNode = (A: number, B: number) => {
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(B + lambda > 0 ? A / (B + lambda) : 0);
    return tree.value.length - 1;
  };
  addNode(A0, B0);
  // stack of [node, start, end, depth, A, B]
  const stack: number[] = [0, 0, count, 0, A0, B0];
  while (stack.length) {
    const B = stack.pop()!;
    const A = stack.pop()!;
    const depth = stack.pop()!;
    const end = stack.pop()!;
    const start = stack.pop()!;
    const node = stack.pop()!;
    const n = end - start;
    if (depth >= opts.maxDepth || n < 2 * opts.minSamplesLeaf || B < 2 * opts.minChildWeight) continue;
    if (target) {
      const t0 = target[rows[start]!]!;
      let pure = true;
      for (let k = start + 1; k < end; k++) {
        if (target[rows[k]!] !== t0) {
          pure = false;
          break;
        }
      }
      if (pure) continue;
    }
    const parent = (A * A) / (B + lambda);
    const minGain = 1e-10 * Math.abs(parent) + 1e-14;
    let bestGain = minGain;
    let bestF = -1;
    let bestBin = -1;
    let bestAL = 0;
    let bestBL = 0;
    let tried = 0;
    for (let j = 0; j < F; j++) {
      const pick = j + Math.floor(rng.next() * (F - j));
      const f = order[pick]!;
      order[pick] = order[j]!;
      order[j] = f;
      const col = bins[f]!;
      const nb = edges[f]!.length + 1;
      if (nb < 2) continue;
      histA.fill(0, 0, nb);
      histB.fill(0, 0, nb);
      histC.fill(0, 0, nb);
      for (let k = start; k < end; k++) {
        const r = rows[k]!;
        const bin = col[r]!;
        histA[bin] += a[r]!;
        histB[bin] += b[r]!;
        histC[bin]++;
      }
      let AL = 0;
      let BL = 0;
      let CL = 0;
      let nonEmpty = 0;
      for (let bin = 0; bin < nb - 1; bin++) {
        const c = histC[bin]!;
        if (c === 0) continue;
        nonEmpty++;
        AL += histA[bin]!;
        BL += histB[bin]!;
        CL += c;
        const CR = n - CL;
        if (CR === 0) break;
        if (CL < opts.minSamplesLeaf || CR < opts.minSamplesLeaf) continue;
        const BR = B - BL;
        if (BL < opts.minChildWeight || BR < opts.minChildWeight) continue;
        const AR = A - AL;
        const gain = (AL * AL) / (BL + lambda) + (AR * AR) / (BR + lambda) - parent;
        if (gain > bestGain) {
          bestGain = gain;
          bestF = f;
          bestBin = bin;
          bestAL = AL;
          bestBL = BL;
        }
      }
      if (histC[nb - 1]! > 0) nonEmpty++;
      if (nonEmpty > 1) tried++;
      if (tried >= opts.maxFeatures && bestF >= 0) break;
    }
    if (bestF < 0) continue;
    const col = bins[bestF]!;
    let i = start;
    let j = end - 1;
    while (i <= j) {
      if (col[rows[i]!]! <= bestBin) i++;
      else {
        const t = rows[i]!;
        rows[i] = rows[j]!;
        rows[j] = t;
        j--;
      }
    }
    const mid = i;
    tree.feature[node] = bestF;
    tree.threshold[node] = edges[bestF]![bestBin]!;
    const left = addNode(bestAL, bestBL);
    const right = addNode(A - bestAL, B - bestBL);
    tree.left[node] = left;
    tree.right[node] = right;
    if (importance) importance[bestF] += bestGain - minGain;
    stack.push(right, mid, end, depth + 1, A - bestAL, B - bestBL);
    stack.push(left, start, mid, depth + 1, bestAL, bestBL);
  }
  return tree;
}

/** The value of the leaf that row i of the columns falls in. NaN goes right, as in binning. */
export function treeValue(tree: TreeState, x: ArrayLike<number>[], i: number): number {
  const { feature, threshold, left, right, value } = tree;
  let k = 0;
  let f = feature[0]!;
  while (f >= 0) {
    k = x[f]![i]! <= threshold[k]! ? left[k]! : right[k]!;
    f = feature[k]!;
  }
  return value[k]!;
}

/** Adds each split's change in node value along row i's path to contributions[feature] (Saabas); returns the root value. */
export function treeContributions(tree: TreeState, x: ArrayLike<number>[], i: number, contributions: Float64Array): number {
  const { feature, threshold, left, right, value } = tree;
  let k = 0;
  while (feature[k]! >= 0) {
    const f = feature[k]!;
    const next = x[f]![i]! <= threshold[k]! ? left[k]! : right[k]!;
    contributions[f] += value[next]! - value[k]!;
    k = next;
  }
  return value[0]!;
}
