/**
 * Feature binning for histogram split finding. A column with at most `maxBins` distinct values gets one
 * bin per value and thresholds halfway between neighbours (the exact splits a presorted tree would try);
 * a column with more gets quantile edges. NaN goes to the top bin, and so goes right at prediction time,
 * where `x <= threshold` is false for NaN.
 */
export interface BinnedColumns {
  /** One array per feature: the bin of each row. */
  bins: Uint8Array[] | Uint16Array[];
  /** Per feature: edges[k] is the threshold of the split "bin ≤ k"; bins = edges.length + 1. */
  edges: Float64Array[];
  rows: number;
}

/** Bins every column for histogram splits (at most `maxBins` bins; quantile edges taken from up to `sampleSize` rows). */
export function binColumns(columns: ArrayLike<number>[], maxBins = 255, sampleSize = 200_000): BinnedColumns {
  if (maxBins < 2 || maxBins > 65_535) throw new RangeError(`maxBins must be between 2 and 65535 (got ${maxBins})`);
  const rows = columns.length ? columns[0]!.length : 0;
  const edges: Float64Array[] = [];
  const wide = maxBins > 256;
  const bins = columns.map((col, f) => {
    if (col.length !== rows) throw new RangeError(`feature ${f} has ${col.length} rows, expected ${rows}`);
    const e = columnEdges(col, maxBins, sampleSize);
    edges.push(e);
    const out = wide ? new Uint16Array(rows) : new Uint8Array(rows);
    const nb = e.length;
    for (let i = 0; i < rows; i++) {
      const x = col[i]!;
      if (Number.isNaN(x)) {
        out[i] = nb;
        continue;
      }
      let lo = 0;
      let hi = nb;
      // smallest k with x <= e[k]; nb when x is above every edge
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (x <= e[mid]!) hi = mid;
        else lo = mid + 1;
      }
      out[i] = lo;
    }
    return out;
  }) as Uint8Array[] | Uint16Array[];
  return { bins, edges, rows };
}

function columnEdges(col: ArrayLike<number>, maxBins: number, sampleSize: number): Float64Array {
  const n = col.length;
  const step = n > sampleSize ? n / sampleSize : 1;
  const vals: number[] = [];
  for (let k = 0; k < n; k += step) {
    const x = col[Math.floor(k)]!;
    if (!Number.isNaN(x)) vals.push(x);
  }
  const sorted = Float64Array.from(vals).sort();
  const distinct: number[] = [];
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]!);
  // One bin is kept for NaN, so at most maxBins - 1 value bins.
  const valueBins = maxBins - 1;
  if (distinct.length <= valueBins) {
    const e = new Float64Array(Math.max(0, distinct.length - 1));
    for (let i = 0; i < e.length; i++) e[i] = (distinct[i]! + distinct[i + 1]!) / 2;
    return e;
  }
  const e: number[] = [];
  for (let q = 1; q < valueBins; q++) {
    const pos = Math.floor((q * sorted.length) / valueBins);
    const a = sorted[pos - 1]!;
    const b = sorted[pos]!;
    const edge = a === b ? a : (a + b) / 2;
    if (!e.length || edge > e[e.length - 1]!) e.push(edge);
  }
  return Float64Array.from(e);
}
