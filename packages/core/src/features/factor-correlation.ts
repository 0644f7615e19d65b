/** The correlation of demand with a factor `lag` days earlier (lag 0 = the same day). */
export interface LaggedCorrelation {
  lag: number;
  /** Pearson correlation over the days where both values are known. */
  r: number;
  n: number;
  /** |r| above 1.96 / √n: unlikely (about 5 %) under no correlation for independent days; a guide, not a test. */
  notable: boolean;
}

/**
 * Correlations of a demand series with a factor series (aligned by day, `null` where the factor is
 * unknown) at lags 0…maxLag: demand on day t against the factor on day t − lag. Which factors move demand,
 * and how far ahead, before any of them is let into a model.
 */
export function laggedCorrelations(demand: ArrayLike<number>, factor: ArrayLike<number | null>, maxLag = 7): LaggedCorrelation[] {
  if (demand.length !== factor.length) throw new RangeError(`demand has ${demand.length} days, the factor ${factor.length}`);
  if (!(Number.isInteger(maxLag) && maxLag >= 0)) throw new RangeError('maxLag must be a non-negative integer');
  const out: LaggedCorrelation[] = [];
  for (let lag = 0; lag <= maxLag; lag++) {
    let n = 0;
    let sx = 0;
    let sy = 0;
    for (let t = lag; t < demand.length; t++) {
      const x = factor[t - lag];
      if (x === null || x === undefined || !Number.isFinite(x) || !Number.isFinite(demand[t]!)) continue;
      n++;
      sx += x;
      sy += demand[t]!;
    }
    if (n < 3) {
      out.push({ lag, r: Number.NaN, n, notable: false });
      continue;
    }
    const mx = sx / n;
    const my = sy / n;
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let t = lag; t < demand.length; t++) {
      const x = factor[t - lag];
      if (x === null || x === undefined || !Number.isFinite(x) || !Number.isFinite(demand[t]!)) continue;
      const dx = x - mx;
      const dy = demand[t]! - my;
      sxy += dx * dy;
      sxx += dx * dx;
      syy += dy * dy;
    }
    const r = sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : Number.NaN;
    out.push({ lag, r, n, notable: Number.isFinite(r) && Math.abs(r) > 1.96 / Math.sqrt(n) });
  }
  return out;
}
