import { dummyCoding, leastSquares, LeastSquaresError, tQuantile } from '@rfid3/core';

/** One observation of a price and the quantity sold or rented at it, with optional categorical controls. */
export interface PriceObservation {
  price: number;
  quantity: number;
  /** Group the elasticity is estimated for (rental class, category, SELL_ID, …). */
  group?: string;
  /** Categorical controls by name (season, weekday, category, store, …); each becomes dummy columns. */
  controls?: Record<string, string>;
}

/** A log-log price elasticity estimate with its standard error, 95 % interval and fit. */
export interface ElasticityEstimate {
  group: string;
  /** ∂log q / ∂log p: the coefficient of log price. */
  elasticity: number;
  se: number;
  ci95: [number, number];
  /** Observations used (positive price and quantity). */
  n: number;
  r2: number;
  intercept: number;
  /** Observations skipped because price or quantity was not positive (log undefined). */
  skipped: number;
  controls: string[];
  /** Why the estimate should not be trusted, if it should not. */
  warnings: string[];
}

/** Options of `estimateElasticity`: the controls and the thresholds below which an estimate is flagged. */
export interface ElasticityOptions {
  /** Names of the controls to use (keys of `PriceObservation.controls`). Default none. */
  controls?: string[];
  /** Below this coefficient of variation of log price the data cannot identify an elasticity. Default 0.02. */
  minLogPriceSd?: number;
  /** Below this many observations the estimate is flagged. Default 10. */
  minObservations?: number;
}

/**
 * Own-price elasticity by ordinary least squares of log(quantity) on log(price) plus dummy-coded controls
 * (treatment coding, first level in sorted order dropped), one regression per group. The textbook
 * log-log model: the price coefficient is the constant elasticity, its interval from Student's t.
 */
export function estimateElasticity(observations: readonly PriceObservation[], options: ElasticityOptions = {}): ElasticityEstimate[] {
  const groups = new Map<string, PriceObservation[]>();
  for (const o of observations) {
    const g = o.group ?? 'all';
    let list = groups.get(g);
    if (!list) groups.set(g, (list = []));
    list.push(o);
  }
  return [...groups.keys()].sort().map((g) => estimateOne(g, groups.get(g)!, options));
}

function estimateOne(group: string, all: PriceObservation[], options: ElasticityOptions): ElasticityEstimate {
  const controls = options.controls ?? [];
  const minSd = options.minLogPriceSd ?? 0.02;
  const minN = options.minObservations ?? 10;
  const rows = all.filter((o) => o.price > 0 && o.quantity > 0 && Number.isFinite(o.price) && Number.isFinite(o.quantity));
  const skipped = all.length - rows.length;
  const warnings: string[] = [];
  const empty = (reason: string): ElasticityEstimate => ({
    group,
    elasticity: Number.NaN,
    se: Number.NaN,
    ci95: [Number.NaN, Number.NaN],
    n: rows.length,
    r2: Number.NaN,
    intercept: Number.NaN,
    skipped,
    controls,
    warnings: [...warnings, reason],
  });
  if (rows.length < 3) return empty(`only ${rows.length} observations with positive price and quantity: the elasticity cannot be estimated`);

  const logP = rows.map((o) => Math.log(o.price));
  const meanLogP = logP.reduce((s, v) => s + v, 0) / logP.length;
  const sdLogP = Math.sqrt(logP.reduce((s, v) => s + (v - meanLogP) ** 2, 0) / Math.max(1, logP.length - 1));
  if (logP.every((v) => v === logP[0])) return empty('the price never changes: the data cannot identify an elasticity');
  if (sdLogP < minSd) warnings.push(`too little price variation (sd of log price ${sdLogP.toFixed(4)} < ${minSd}): the estimate is weakly identified`);
  if (rows.length < minN) warnings.push(`only ${rows.length} observations`);

  const codings = controls.map((c) =>
    dummyCoding(
      rows.map((o) => o.controls?.[c] ?? ''),
      `${c}=`,
    ),
  );
  const names = ['intercept', 'log_price', ...codings.flatMap((c) => c.names)];
  const design = rows.map((o, i) => [1, logP[i]!, ...codings.flatMap((c, k) => c.encode(o.controls?.[controls[k]!] ?? ''))]);
  const y = rows.map((o) => Math.log(o.quantity));
  let fit;
  try {
    fit = leastSquares(design, y, { names });
  } catch (err) {
    if (err instanceof LeastSquaresError) return empty(`the regression cannot be solved: ${err.message}`);
    throw err;
  }
  const elasticity = fit.coef[1]!;
  const se = fit.se[1]!;
  const t = fit.dfResidual > 0 ? tQuantile(0.975, fit.dfResidual) : Number.NaN;
  if (elasticity > 0) warnings.push('positive elasticity (demand rising with price): the price is probably confounded with demand; add controls');
  if (Number.isFinite(se) && Math.abs(elasticity) < 2 * se) warnings.push('the elasticity is not distinguishable from zero at 95 %');
  return {
    group,
    elasticity,
    se,
    ci95: [elasticity - t * se, elasticity + t * se],
    n: fit.n,
    r2: fit.r2,
    intercept: fit.coef[0]!,
    skipped,
    controls,
    warnings,
  };
}
