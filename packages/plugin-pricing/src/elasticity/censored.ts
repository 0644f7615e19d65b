import { weekday } from '@rfid3/core';

/**
 * Elasticity from daily demand counts when the fleet sells out. On a day a class ran out, the rentals written
 * are a floor on what customers wanted (a censored observation: demand ≥ rentals); on other days they are the
 * demand. Reading sold-out days as demand flattens the price response (cheap periods sell out more, so their
 * demand is undercounted) and biases the elasticity towards zero.
 *
 * Model, per category: rentals (contract lines) of class c on day d ~ Poisson(μ), log μ = α_c + weekday +
 * month + trend·years + ε·log(p_cd / p_c), each sold-out day entering the likelihood as P(N ≥ n). Fitted by
 * Newton's method on the exact log-likelihood; the standard error of ε from the observed information, widened
 * by the Pearson dispersion of the uncensored days when the counts vary more than Poisson.
 */
export interface DailyDemandSeries {
  rentalClass: string;
  /** Days (YYYY-MM-DD), one per entry of the arrays below. */
  days: readonly string[];
  /** Rentals written that day (contract lines, or units when rented one at a time). */
  counts: ArrayLike<number>;
  /** Price charged that day. */
  prices: ArrayLike<number>;
  /** 1 when the class sold out that day (its count is a floor on demand). */
  censored: ArrayLike<number>;
}

/** Options of `fitCensoredElasticity`: what the daily count model controls for. */
export interface CensoredFitOptions {
  /** Take sold-out days as censored (default true); false reads them as demand (the naive fit, for comparison). */
  censoring?: boolean;
  /** Weekday and month effects (default true). */
  seasonControls?: boolean;
  /** A linear trend in years (default true). */
  trend?: boolean;
  /**
   * A slope per class whose price changed (the others share none) instead of one slope for all: each class's own
   * estimate and its standard error, for partial pooling towards the category's.
   */
  classSlopes?: boolean;
}

/** A censored Poisson elasticity fit: the price slope with its standard error, and what it was fitted on. */
export interface CensoredElasticityFit {
  elasticity: number;
  se: number;
  /** Days used and, of them, censored. */
  n: number;
  censored: number;
  /** Pearson χ² / df on the uncensored days (≥ 1 is used to widen se). */
  dispersion: number;
  /** log level of each class at its reference price (the last price), on the weekday/month baseline. */
  intercepts: Map<string, number>;
  converged: boolean;
  iterations: number;
  /** With `classSlopes`: each class's own elasticity and standard error (classes whose price changed). */
  classes: Map<string, { elasticity: number; se: number }>;
}

const LOG_FACT: number[] = [0];
function logFactorial(k: number): number {
  for (let i = LOG_FACT.length; i <= k; i++) LOG_FACT.push(LOG_FACT[i - 1]! + Math.log(i));
  return LOG_FACT[k]!;
}
const logPmf = (k: number, mu: number) => -mu + k * Math.log(mu) - logFactorial(k);

/** P(N ≥ l) for N ~ Poisson(μ), accurate in both tails. */
export function poissonUpperTail(l: number, mu: number): number {
  if (l <= 0) return 1;
  if (!(mu > 0)) return 0;
  if (l <= mu) {
    let below = 0;
    for (let k = 0; k < l; k++) below += Math.exp(logPmf(k, mu));
    return Math.max(1e-300, 1 - below);
  }
  let sum = 0;
  for (let k = l; k < l + 10_000; k++) {
    const t = Math.exp(logPmf(k, mu));
    sum += t;
    if (t < sum * 1e-17) break;
  }
  return Math.max(1e-300, sum);
}

interface Row {
  cls: number;
  y: number;
  cens: boolean;
  wd: number;
  mo: number;
  t: number;
  lp: number;
}

/** Cholesky solve of (A + ridge) x = b, and the inverse's diagonal entry j if asked. */
function choleskySolve(a: Float64Array, p: number, b: Float64Array): { x: Float64Array; inverse: (j: number) => number } | null {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * p + j]!;
      for (let k = 0; k < j; k++) s -= l[i * p + k]! * l[j * p + k]!;
      if (i === j) {
        if (!(s > 0)) return null;
        l[i * p + i] = Math.sqrt(s);
      } else l[i * p + j] = s / l[j * p + j]!;
    }
  }
  const solve = (rhs: Float64Array) => {
    const z = new Float64Array(p);
    for (let i = 0; i < p; i++) {
      let s = rhs[i]!;
      for (let k = 0; k < i; k++) s -= l[i * p + k]! * z[k]!;
      z[i] = s / l[i * p + i]!;
    }
    const x = new Float64Array(p);
    for (let i = p - 1; i >= 0; i--) {
      let s = z[i]!;
      for (let k = i + 1; k < p; k++) s -= l[k * p + i]! * x[k]!;
      x[i] = s / l[i * p + i]!;
    }
    return x;
  };
  return {
    x: solve(b),
    inverse: (j) => {
      const e = new Float64Array(p);
      e[j] = 1;
      return solve(e)[j]!;
    },
  };
}

/**
 * One elasticity shared by the given classes (a category), with a level per class, weekday, month and trend
 * effects, and sold-out days as censored observations. Classes whose counts are all zero are left out.
 */
export function fitCensoredElasticity(series: readonly DailyDemandSeries[], options: CensoredFitOptions = {}): CensoredElasticityFit {
  const censoring = options.censoring ?? true;
  const season = options.seasonControls ?? true;
  const withTrend = options.trend ?? true;
  const used = series.filter((s) => Array.from(s.counts).some((c) => c > 0));
  const rows: Row[] = [];
  const t0 = used.length ? Date.parse(`${used[0]!.days[0]}T00:00:00Z`) : 0;
  used.forEach((s, ci) => {
    let ref = 0;
    for (let d = s.days.length - 1; d >= 0 && !(ref > 0); d--) ref = s.prices[d]!;
    for (let d = 0; d < s.days.length; d++) {
      const p = s.prices[d]!;
      if (!(p > 0) || !(ref > 0)) continue;
      const day = s.days[d]!;
      rows.push({
        cls: ci,
        y: Math.max(0, Math.round(s.counts[d]!)),
        cens: censoring && s.censored[d]! > 0,
        wd: weekday(day),
        mo: Number(day.slice(5, 7)) - 1,
        t: (Date.parse(`${day}T00:00:00Z`) - t0) / (365.25 * 86_400_000),
        lp: Math.log(p / ref),
      });
    }
  });
  const k = used.length;
  // Columns: class levels, log price (one, or one per class whose price changed), weekdays 1–6, months 1–11, trend.
  const slopeOf = new Int32Array(k).fill(-1);
  let slopes = 0;
  if (options.classSlopes) {
    for (let c = 0; c < k; c++) {
      const lps = new Set(rows.filter((r) => r.cls === c).map((r) => r.lp));
      if (lps.size > 1) slopeOf[c] = k + slopes++;
    }
  } else {
    slopeOf.fill(k);
    slopes = 1;
  }
  const iEps = k;
  const iWd = k + slopes;
  const iMo = iWd + (season ? 6 : 0);
  const iTr = iMo + (season ? 11 : 0);
  const p = iTr + (withTrend ? 1 : 0);
  const cols = (r: Row): [number, number][] => {
    const out: [number, number][] = [[r.cls, 1]];
    if (slopeOf[r.cls]! >= 0) out.push([slopeOf[r.cls]!, r.lp]);
    if (season && r.wd > 0) out.push([iWd + r.wd - 1, 1]);
    if (season && r.mo > 0) out.push([iMo + r.mo - 1, 1]);
    if (withTrend) out.push([iTr, r.t]);
    return out;
  };
  const empty: CensoredElasticityFit = {
    elasticity: Number.NaN,
    se: Number.NaN,
    n: rows.length,
    censored: rows.filter((r) => r.cens).length,
    dispersion: Number.NaN,
    intercepts: new Map(),
    converged: false,
    iterations: 0,
    classes: new Map(),
  };
  if (k === 0 || slopes === 0 || rows.length < p + 3 || rows.every((r) => r.lp === rows[0]!.lp)) return empty;
  const beta = new Float64Array(p);
  for (let c = 0; c < k; c++) {
    const rs = rows.filter((r) => r.cls === c);
    beta[c] = Math.log(Math.max(1e-3, rs.reduce((s, r) => s + r.y, 0) / Math.max(1, rs.length)));
  }
  // Each row's non-zero columns, laid out once (at most 5 per row).
  const W = 5;
  const colIdx = new Int32Array(rows.length * W).fill(-1);
  const colVal = new Float64Array(rows.length * W);
  rows.forEach((r, i) =>
    cols(r).forEach(([j, x], m) => {
      colIdx[i * W + m] = j;
      colVal[i * W + m] = x;
    }),
  );
  const etaAt = (i: number) => {
    let s = 0;
    for (let m = 0; m < W; m++) {
      const j = colIdx[i * W + m]!;
      if (j < 0) break;
      s += beta[j]! * colVal[i * W + m]!;
    }
    return s;
  };
  const loglik = () => {
    let ll = 0;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const mu = Math.exp(etaAt(i));
      ll += r.cens ? Math.log(poissonUpperTail(r.y, mu)) : r.y * Math.log(mu) - mu;
    }
    return ll;
  };
  let ll = loglik();
  let converged = false;
  let it = 0;
  let info: Float64Array = new Float64Array(p * p);
  for (; it < 100; it++) {
    const grad = new Float64Array(p);
    info = new Float64Array(p * p);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const mu = Math.exp(etaAt(i));
      let g: number;
      let w: number;
      if (!r.cens) {
        g = r.y - mu;
        w = mu;
      } else if (r.y === 0) {
        continue;
      } else {
        const s = poissonUpperTail(r.y, mu);
        const f = Math.exp(logPmf(r.y - 1, mu));
        g = (mu * f) / s;
        w = Math.max(1e-12, -(g * (r.y - mu) - g * g));
      }
      for (let a = 0; a < W; a++) {
        const j = colIdx[i * W + a]!;
        if (j < 0) break;
        const xj = colVal[i * W + a]!;
        grad[j] += g * xj;
        for (let b = 0; b < W; b++) {
          const m = colIdx[i * W + b]!;
          if (m < 0) break;
          info[j * p + m] += w * xj * colVal[i * W + b]!;
        }
      }
    }
    for (let j = 0; j < p; j++) info[j * p + j] += 1e-8;
    const sol = choleskySolve(info, p, grad);
    if (!sol) break;
    let step = 1;
    const old = beta.slice();
    let next = ll;
    for (let h = 0; h < 30; h++) {
      for (let j = 0; j < p; j++) beta[j] = old[j]! + step * sol.x[j]!;
      next = loglik();
      if (next >= ll - 1e-9) break;
      step /= 2;
    }
    if (!(next >= ll - 1e-9)) {
      beta.set(old);
      break;
    }
    const change = next - ll;
    ll = next;
    if (change < 1e-8 * (1 + Math.abs(ll))) {
      converged = true;
      it++;
      break;
    }
  }
  const sol = choleskySolve(info, p, new Float64Array(p));
  const varEps = sol ? sol.inverse(iEps) : Number.NaN;
  let chi = 0;
  let nu = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r.cens) continue;
    const mu = Math.exp(etaAt(i));
    chi += (r.y - mu) ** 2 / mu;
    nu++;
  }
  const dispersion = nu > p ? chi / (nu - p) : 1;
  const inflate = Math.max(1, dispersion);
  const classes = new Map<string, { elasticity: number; se: number }>();
  if (options.classSlopes && sol) {
    used.forEach((s, c) => {
      const j = slopeOf[c]!;
      if (j >= 0) classes.set(s.rentalClass, { elasticity: beta[j]!, se: Math.sqrt(sol.inverse(j) * inflate) });
    });
  }
  return {
    elasticity: options.classSlopes ? Number.NaN : beta[iEps]!,
    se: options.classSlopes ? Number.NaN : Math.sqrt(varEps * inflate),
    n: rows.length,
    censored: rows.filter((r) => r.cens).length,
    dispersion,
    intercepts: new Map(used.map((s, c) => [s.rentalClass, beta[c]!])),
    converged,
    iterations: it,
    classes,
  };
}
