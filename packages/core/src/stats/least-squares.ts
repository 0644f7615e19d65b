/**
 * Linear least squares by Householder QR: numerically sound (it never forms XᵀX), with standard errors,
 * R², optional observation weights and an optional ridge penalty per column. One implementation for every
 * plugin that regresses (demand's decomposable regression, pricing's log-log elasticities, …).
 */

export interface LeastSquaresOptions {
  /** Non-negative weight per observation (weighted least squares). Default: all 1. */
  weights?: ArrayLike<number>;
  /**
   * Ridge penalty λ added as λ·βⱼ² to the loss: one number for every column, or one per column (use 0 for
   * the intercept and any column that must not shrink). Default 0 (ordinary least squares).
   */
  ridge?: number | ArrayLike<number>;
  /** Column names, used in error messages and returned with the fit. */
  names?: string[];
}

/** A weighted (optionally ridge-penalised) least-squares fit: coefficients, standard errors and fit statistics. */
export interface LeastSquaresFit {
  coef: number[];
  /** Standard error of each coefficient (σ̂²·(XᵀWX + Λ)⁻¹ diagonal); NaN when no residual degrees of freedom. */
  se: number[];
  names: string[];
  /** Observations used (weight > 0) and columns. */
  n: number;
  p: number;
  /** Residual degrees of freedom, n − p. */
  dfResidual: number;
  /** Weighted sum of squared residuals on the data (not the penalty). */
  rss: number;
  /** σ̂² = rss / (n − p). */
  sigma2: number;
  /** 1 − rss / tss with tss about the weighted mean of y. */
  r2: number;
  /** The fitted value for one row of regressors. */
  predict(row: ArrayLike<number>): number;
}

/** A design the solver cannot fit (rank deficient, or bad input); the message names the column. */
export class LeastSquaresError extends Error {
  override name = 'LeastSquaresError';
}

/**
 * Solves min Σ wᵢ(yᵢ − xᵢβ)² + Σ λⱼβⱼ² for β. `rows[i]` is observation i's regressors (include a column of
 * ones for an intercept). Throws `LeastSquaresError` naming the column when the design is rank deficient
 * (a column that is a combination of others, or constant with an intercept) and no ridge penalty resolves it.
 */
export function leastSquares(rows: ArrayLike<ArrayLike<number>>, y: ArrayLike<number>, options: LeastSquaresOptions = {}): LeastSquaresFit {
  const nData = rows.length;
  if (nData !== y.length) throw new LeastSquaresError(`rows (${nData}) and y (${y.length}) differ in length`);
  if (nData === 0) throw new LeastSquaresError('no observations');
  const p = rows[0]!.length;
  const names = options.names ?? Array.from({ length: p }, (_, j) => `x${j}`);
  if (names.length !== p) throw new LeastSquaresError(`${names.length} names for ${p} columns`);
  const weights = options.weights;
  const ridge = options.ridge ?? 0;
  const lambda = (j: number) => (typeof ridge === 'number' ? ridge : (ridge[j] ?? 0));

  // Rows with weight 0 drop out; penalised columns add a row √λⱼ·eⱼ with target 0.
  const used: number[] = [];
  for (let i = 0; i < nData; i++) {
    const w = weights ? weights[i]! : 1;
    if (!(w >= 0) || !Number.isFinite(w)) throw new LeastSquaresError(`weight ${i} is ${w}: weights must be finite and ≥ 0`);
    if (w > 0) used.push(i);
  }
  const penalised: number[] = [];
  for (let j = 0; j < p; j++) {
    const l = lambda(j);
    if (!(l >= 0)) throw new LeastSquaresError(`ridge penalty of ${names[j]} is ${l}: it must be ≥ 0`);
    if (l > 0) penalised.push(j);
  }
  const n = used.length;
  const m = n + penalised.length;
  if (m < p) throw new LeastSquaresError(`${n} weighted observations cannot determine ${p} coefficients`);

  // Column-major copy of √W·X (plus penalty rows) and √W·y.
  const a = new Float64Array(m * p);
  const b = new Float64Array(m);
  for (let r = 0; r < n; r++) {
    const i = used[r]!;
    const sw = weights ? Math.sqrt(weights[i]!) : 1;
    const row = rows[i]!;
    if (row.length !== p) throw new LeastSquaresError(`row ${i} has ${row.length} values, expected ${p}`);
    for (let j = 0; j < p; j++) {
      const v = row[j]!;
      if (!Number.isFinite(v)) throw new LeastSquaresError(`${names[j]} is ${v} in row ${i}`);
      a[j * m + r] = sw * v;
    }
    const yi = y[i]!;
    if (!Number.isFinite(yi)) throw new LeastSquaresError(`y is ${yi} in row ${i}`);
    b[r] = sw * yi;
  }
  penalised.forEach((j, k) => (a[j * m + n + k] = Math.sqrt(lambda(j))));

  // Householder QR, applying each reflection to b as we go.
  const diag = new Float64Array(p);
  let maxNorm = 0;
  for (let j = 0; j < p; j++) {
    let norm = 0;
    for (let r = 0; r < m; r++) norm += a[j * m + r]! ** 2;
    maxNorm = Math.max(maxNorm, Math.sqrt(norm));
  }
  const tol = Math.max(m, p) * Number.EPSILON * 16 * (maxNorm || 1);
  for (let k = 0; k < p; k++) {
    const col = k * m;
    let norm = 0;
    for (let r = k; r < m; r++) norm += a[col + r]! ** 2;
    norm = Math.sqrt(norm);
    if (norm <= tol) throw new LeastSquaresError(`column ${names[k]} is (nearly) a linear combination of the columns before it: the design is rank deficient`);
    const alpha = a[col + k]! > 0 ? -norm : norm;
    // v = x − αe₁, stored in place; R's diagonal entry is α.
    a[col + k] = a[col + k]! - alpha;
    let vnorm2 = 0;
    for (let r = k; r < m; r++) vnorm2 += a[col + r]! ** 2;
    diag[k] = alpha;
    if (vnorm2 === 0) continue;
    for (let j = k + 1; j < p; j++) {
      const cj = j * m;
      let dot = 0;
      for (let r = k; r < m; r++) dot += a[col + r]! * a[cj + r]!;
      const f = (2 * dot) / vnorm2;
      for (let r = k; r < m; r++) a[cj + r] = a[cj + r]! - f * a[col + r]!;
    }
    let dot = 0;
    for (let r = k; r < m; r++) dot += a[col + r]! * b[r]!;
    const f = (2 * dot) / vnorm2;
    for (let r = k; r < m; r++) b[r] = b[r]! - f * a[col + r]!;
  }
  // R (upper triangle above the diagonal lives in a[j*m + i], i < j; the diagonal in diag).
  const R = (i: number, j: number) => (i === j ? diag[i]! : a[j * m + i]!);
  const coef = new Array<number>(p).fill(0);
  for (let i = p - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let j = i + 1; j < p; j++) s -= R(i, j) * coef[j]!;
    coef[i] = s / R(i, i);
  }

  // Residuals on the data rows only (the penalty rows are not observations).
  let rss = 0;
  let sw = 0;
  let swy = 0;
  for (const i of used) {
    const w = weights ? weights[i]! : 1;
    sw += w;
    swy += w * y[i]!;
  }
  const ybar = swy / sw;
  let tss = 0;
  const predict = (row: ArrayLike<number>) => {
    let s = 0;
    for (let j = 0; j < p; j++) s += coef[j]! * row[j]!;
    return s;
  };
  for (const i of used) {
    const w = weights ? weights[i]! : 1;
    rss += w * (y[i]! - predict(rows[i]!)) ** 2;
    tss += w * (y[i]! - ybar) ** 2;
  }
  const dfResidual = n - p;
  const sigma2 = dfResidual > 0 ? rss / dfResidual : Number.NaN;

  // (RᵀR)⁻¹ = R⁻¹R⁻ᵀ: invert R (upper triangular), then the diagonal of R⁻¹R⁻ᵀ is the row sums of squares.
  const rinv = new Float64Array(p * p); // row-major
  for (let j = 0; j < p; j++) {
    rinv[j * p + j] = 1 / R(j, j);
    for (let i = j - 1; i >= 0; i--) {
      let s = 0;
      for (let k = i + 1; k <= j; k++) s += R(i, k) * rinv[k * p + j]!;
      rinv[i * p + j] = -s / R(i, i);
    }
  }
  const se = Array.from({ length: p }, (_, i) => {
    let s = 0;
    for (let j = i; j < p; j++) s += rinv[i * p + j]! ** 2;
    return Math.sqrt(sigma2 * s);
  });
  return { coef, se, names, n, p, dfResidual, rss, sigma2, r2: tss > 0 ? 1 - rss / tss : Number.NaN, predict };
}

/**
 * A design matrix stored row-major in one Float64Array: row i, column j at `data[i * p + j]`. Building it once
 * and solving on it avoids an array per row in the fits that run thousands of times (rolling-origin backtests).
 */
export interface DenseDesign {
  data: Float64Array;
  n: number;
  p: number;
}

/**
 * The fast path of `leastSquares` for penalised fits: solves (XᵀWX + Λ)β = XᵀWy by Cholesky on the normal
 * equations, with X a row-major `DenseDesign`. Forming XᵀWX squares the condition number, which is harmless when
 * the ridge penalty keeps the system well conditioned (penalise every column but a few well-scaled ones, e.g. an
 * intercept and a trend on [0, 1]); for unpenalised or ill-conditioned designs use `leastSquares` (QR). About
 * four times fewer operations than QR and no allocation per row; returns the coefficients only. Throws
 * `LeastSquaresError` naming the column where the system is not positive definite.
 */
export function penalisedLeastSquares(
  x: DenseDesign,
  y: ArrayLike<number>,
  options: { weights?: ArrayLike<number>; ridge: number | ArrayLike<number>; names?: string[] },
): Float64Array {
  const { data, n, p } = x;
  if (data.length < n * p) throw new LeastSquaresError(`design of ${data.length} values cannot hold ${n} × ${p}`);
  if (y.length !== n) throw new LeastSquaresError(`rows (${n}) and y (${y.length}) differ in length`);
  const weights = options.weights;
  const ridge = options.ridge;
  const name = (j: number) => options.names?.[j] ?? `x${j}`;
  // Upper triangle of XᵀWX (row-major p × p) and XᵀWy, accumulated row by row.
  // Only a row's non-zero entries are visited: indicator columns (weekday, calendar, hinge terms) are mostly zero.
  const a = new Float64Array(p * p);
  const b = new Float64Array(p);
  const nz = new Int32Array(p);
  const nzv = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i]! : 1;
    if (!(w >= 0) || !Number.isFinite(w)) throw new LeastSquaresError(`weight ${i} is ${w}: weights must be finite and ≥ 0`);
    if (w === 0) continue;
    const yi = y[i]!;
    if (!Number.isFinite(yi)) throw new LeastSquaresError(`y is ${yi} in row ${i}`);
    const off = i * p;
    let count = 0;
    for (let j = 0; j < p; j++) {
      const v = data[off + j]!;
      if (v !== 0) {
        nz[count] = j;
        nzv[count++] = v;
      }
    }
    for (let u = 0; u < count; u++) {
      const wv = w * nzv[u]!;
      const j = nz[u]!;
      b[j] += wv * yi;
      const rowJ = j * p;
      for (let q = u; q < count; q++) a[rowJ + nz[q]!] += wv * nzv[q]!;
    }
  }
  let scale = 0;
  for (let j = 0; j < p; j++) {
    const l = typeof ridge === 'number' ? ridge : (ridge[j] ?? 0);
    if (!(l >= 0)) throw new LeastSquaresError(`ridge penalty of ${name(j)} is ${l}: it must be ≥ 0`);
    a[j * p + j] += l;
    scale = Math.max(scale, a[j * p + j]!);
  }
  // In-place Cholesky: A = LLᵀ, L stored in the lower triangle (read from the upper one by symmetry).
  const tol = p * Number.EPSILON * 16 * (scale || 1);
  for (let j = 0; j < p; j++) {
    let d = a[j * p + j]!;
    for (let k = 0; k < j; k++) d -= a[j * p + k]! ** 2;
    if (!(d > tol)) throw new LeastSquaresError(`column ${name(j)} is (nearly) a linear combination of the columns before it: the design is rank deficient`);
    const ljj = Math.sqrt(d);
    a[j * p + j] = ljj;
    for (let i = j + 1; i < p; i++) {
      let s = a[j * p + i]!;
      const ri = i * p;
      const rj = j * p;
      for (let k = 0; k < j; k++) s -= a[ri + k]! * a[rj + k]!;
      a[ri + j] = s / ljj;
    }
  }
  // Forward then back substitution.
  const z = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= a[i * p + k]! * z[k]!;
    z[i] = s / a[i * p + i]!;
  }
  const coef = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let k = i + 1; k < p; k++) s -= a[k * p + i]! * coef[k]!;
    coef[i] = s / a[i * p + i]!;
  }
  return coef;
}

/**
 * Dummy (treatment) coding of a categorical column: one 0/1 column per level but the first in sorted order,
 * which the intercept absorbs. Returns the levels kept and a function from a value to its columns.
 */
export function dummyCoding(values: ArrayLike<string>, prefix = ''): { levels: string[]; names: string[]; encode(value: string): number[] } {
  const all = [...new Set(Array.from(values))].sort();
  const levels = all.slice(1);
  const index = new Map(levels.map((l, i) => [l, i]));
  return {
    levels,
    names: levels.map((l) => `${prefix}${l}`),
    encode(value) {
      const out = new Array<number>(levels.length).fill(0);
      const i = index.get(value);
      if (i !== undefined) out[i] = 1;
      return out;
    },
  };
}

/** Two-sided Student-t quantile (for confidence intervals of coefficients); normal beyond 200 df. */
export function tQuantile(p: number, df: number): number {
  const z = normalQuantile(p);
  if (!Number.isFinite(df) || df > 200) return z;
  // Cornish-Fisher expansion of the t quantile in 1/df (Abramowitz & Stegun 26.7.5): accurate to ~1e-4 for df ≥ 3.
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  const z9 = z ** 9;
  return (
    z +
    (z3 + z) / (4 * df) +
    (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) +
    (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3) +
    (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92160 * df ** 4)
  );
}

/** The standard normal quantile (Acklam's rational approximation, refined by one Newton step). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  let x: number;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p > 1 - lo) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  }
  // One Newton step on Φ(x) − p with Φ from erfc.
  const e = 0.5 * erfc(-x / Math.SQRT2) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** Complementary error function (Numerical Recipes' erfcc, relative error < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
