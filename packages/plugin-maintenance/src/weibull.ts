/**
 * The usage-based baseline: a discrete Weibull hazard over rentals since the last service,
 * P(fail on rental n | survived n − 1) = 1 − exp(((n − 1)/scale)^shape − (n/scale)^shape),
 * fitted by maximum likelihood to service spells (a spell starts at a completed repair, so its count
 * of rentals is known exactly; it ends in a failure or is censored at the data cut-off).
 */
export interface WeibullParams {
  shape: number;
  scale: number;
}

/** One service spell: rentals from a repair to a failure or the data cut-off. */
export interface Spell {
  /** Rentals completed in the spell. */
  rentals: number;
  /** Whether the last of them ended in a failure. */
  failed: boolean;
}

export interface WeibullFit extends WeibullParams {
  spells: number;
  failures: number;
  logLik: number;
}

/** P(failure on rental n | survived n − 1) under the discrete Weibull hazard. */
export function weibullHazard(n: number, p: WeibullParams): number {
  return 1 - Math.exp(((n - 1) / p.scale) ** p.shape - (n / p.scale) ** p.shape);
}

/** P(survive the first n rentals). */
export function weibullSurvival(n: number, p: WeibullParams): number {
  return Math.exp(-((n / p.scale) ** p.shape));
}

function logLik(spells: Spell[], shape: number, scale: number): number {
  let ll = 0;
  for (const s of spells) {
    const m = s.rentals;
    if (s.failed) {
      const a = ((m - 1) / scale) ** shape;
      const b = (m / scale) ** shape;
      // survived m − 1 rentals, failed on the m-th
      ll += -a + Math.log(Math.max(1e-300, 1 - Math.exp(a - b)));
    } else ll += -((m / scale) ** shape);
  }
  return ll;
}

/** Maximum likelihood by Nelder–Mead on (log shape, log scale). */
export function fitWeibull(spells: Spell[], start: WeibullParams = { shape: 1.3, scale: 40 }): WeibullFit | null {
  const failures = spells.filter((s) => s.failed).length;
  if (!failures) return null;
  const f = (v: number[]) => {
    const shape = Math.exp(v[0]!);
    const scale = Math.exp(v[1]!);
    if (shape < 0.2 || shape > 10 || scale < 0.5 || scale > 1e5) return Number.POSITIVE_INFINITY;
    return -logLik(spells, shape, scale);
  };
  let simplex = [
    [Math.log(start.shape), Math.log(start.scale)],
    [Math.log(start.shape) + 0.3, Math.log(start.scale)],
    [Math.log(start.shape), Math.log(start.scale) + 0.5],
  ];
  let values = simplex.map(f);
  for (let iter = 0; iter < 400; iter++) {
    const order = [0, 1, 2].sort((i, j) => values[i]! - values[j]!);
    simplex = order.map((i) => simplex[i]!);
    values = order.map((i) => values[i]!);
    if (Math.abs(values[2]! - values[0]!) < 1e-9 * (1 + Math.abs(values[0]!))) break;
    const c = [(simplex[0]![0]! + simplex[1]![0]!) / 2, (simplex[0]![1]! + simplex[1]![1]!) / 2];
    const w = simplex[2]!;
    const pt = (t: number) => [c[0]! + t * (w[0]! - c[0]!), c[1]! + t * (w[1]! - c[1]!)];
    const r = pt(-1);
    const fr = f(r);
    if (fr < values[0]!) {
      const e = pt(-2);
      const fe = f(e);
      if (fe < fr) [simplex[2], values[2]] = [e, fe];
      else [simplex[2], values[2]] = [r, fr];
    } else if (fr < values[1]!) [simplex[2], values[2]] = [r, fr];
    else {
      const k = pt(0.5);
      const fk = f(k);
      if (fk < values[2]!) [simplex[2], values[2]] = [k, fk];
      else {
        for (const i of [1, 2]) {
          simplex[i] = [(simplex[i]![0]! + simplex[0]![0]!) / 2, (simplex[i]![1]! + simplex[0]![1]!) / 2];
          values[i] = f(simplex[i]!);
        }
      }
    }
  }
  const best = values.indexOf(Math.min(...values));
  return { shape: Math.exp(simplex[best]![0]!), scale: Math.exp(simplex[best]![1]!), spells: spells.length, failures, logLik: -values[best]! };
}

/**
 * Rentals until the next failure given `since` rentals survived: the 10th, 50th and 90th percentiles
 * of the conditional distribution, with each future rental's hazard multiplied by `relativeRisk`
 * (the failure model's hazard over the baseline's, so the item's own condition shifts the curve).
 */
export function remainingRentals(since: number, p: WeibullParams, relativeRisk = 1, maxRentals = 5000): { p10: number; median: number; p90: number; mean: number } {
  let survive = 1;
  let mean = 0;
  let p10 = maxRentals;
  let median = maxRentals;
  let p90 = maxRentals;
  for (let k = 1; k <= maxRentals && survive > 1e-6; k++) {
    // rentals survived before the one that fails: k − 1, so the failure is on rental k
    mean += survive;
    survive *= 1 - Math.min(1, relativeRisk * weibullHazard(since + k, p));
    const dead = 1 - survive;
    if (p10 === maxRentals && dead >= 0.1) p10 = k;
    if (median === maxRentals && dead >= 0.5) median = k;
    if (p90 === maxRentals && dead >= 0.9) p90 = k;
  }
  return { p10, median, p90, mean };
}
