import type { ForecastModel, ForecastOutput, SeriesInput } from '@rfid3/core';
import { conformalIntervals, sliceSeries } from '@rfid3/core';
import { quantileSorted } from 'simple-statistics';
import { fitNegativeBinomialSize, nearestCountInterval } from '../counts.js';

/**
 * A forecast ensemble whose weights come from rolling-origin backtests inside the training data of
 * each series (never shuffled, never fixed): every member is fitted on the rows before each inner
 * origin and scored on the rows after it; the weighting with the lowest inner error wins. The same
 * inner forecasts calibrate the intervals: empirical quantiles of the ensemble's errors by horizon
 * (split-conformal), so a forecast made at an origin uses nothing after it.
 */
export interface EnsembleOptions {
  /** Longest horizon calibrated; longer ones widen with √h. */
  horizon: number;
  levels?: number[];
  /** Rows between inner origins, and how many of the most recent to use. */
  step?: number;
  maxOrigins?: number;
  /** Fewest training rows at an inner origin. */
  minTrain?: number;
  /** Clip forecasts and lower bounds at zero (counts). */
  nonNegative?: boolean;
  /** Fewest errors behind one horizon's quantiles; neighbouring horizons are pooled to reach it. */
  minResiduals?: number;
  /**
   * How inner errors become weights: `search` tries the best single member, inverse-MAE powers and the
   * best two, and keeps the lowest inner MAE; `softmax` weighs member i by exp(−(MAEᵢ/MAE_best − 1)/τ).
   */
  weighting?: 'search' | { softmax: number; orBest?: boolean };
  /**
   * How the intervals are made: `conformal` (empirical quantiles of the inner errors by horizon) or `counts`
   * (a negative binomial around the forecast whose size, and a scale on its mean, are fitted by maximum
   * likelihood on the same inner errors, one pair per week of horizon): for daily counts of a few units.
   */
  intervals?: 'conformal' | 'counts';
  name?: string;
}

/** One week of horizon's count distribution: mean × `scale`, variance m + m²/`size`, fitted on `n` inner forecasts. */
export interface CountBucket {
  scale: number;
  size: number;
  n: number;
}

/** Days of horizon per count bucket, and the fewest inner forecasts one is fitted on alone (else all are pooled). */
const COUNT_BUCKET_DAYS = 7;
const COUNT_BUCKET_MIN = 30;
/** Half-life, in days before the end of the training data, of an inner forecast's weight in the count fit. */
const COUNT_HALF_LIFE_DAYS = 21;

/** One member's inner-backtest error and the weight it got. */
export interface MemberScore {
  name: string;
  /** Inner rolling-origin MAE and the number of errors behind it. */
  mae: number;
  n: number;
  weight: number;
}

/** A fitted ensemble as plain data: each member's weight and state, their scores and the interval quantiles. */
export interface EnsembleState {
  members: { name: string; weight: number; state: unknown }[];
  scores: MemberScore[];
  /** How the weights were chosen (e.g. `inverse-mae^2`, `best:regression`). */
  weighting: string;
  horizon: number;
  quantiles: { level: number; lower: number[]; upper: number[] }[];
  counts: number[];
  origins: number;
  /** Fitted on fewer rows than any member needs: the members that could not fit are left out. */
  skipped: string[];
  /** With `intervals: 'counts'`: the count distribution per week of horizon (the last serves any longer horizon). */
  countBuckets?: CountBucket[];
}

function weightings(maes: number[]): { label: string; w: number[] }[] {
  const out: { label: string; w: number[] }[] = [];
  const finite = maes.map((m) => Number.isFinite(m));
  maes.forEach((_, i) => {
    if (finite[i]) out.push({ label: `best`, w: maes.map((_, j) => (j === i ? 1 : 0)) });
  });
  for (const p of [1, 2, 4]) {
    const raw = maes.map((m, i) => (finite[i] && m > 0 ? m ** -p : 0));
    const s = raw.reduce((a, b) => a + b, 0);
    if (s > 0) out.push({ label: `inverse-mae^${p}`, w: raw.map((r) => r / s) });
  }
  // The best two, equally.
  const order = maes
    .map((m, i) => i)
    .filter((i) => finite[i])
    .sort((a, b) => maes[a]! - maes[b]!);
  if (order.length >= 2) out.push({ label: 'top-2 equal', w: maes.map((_, i) => (i === order[0] || i === order[1] ? 0.5 : 0)) });
  return out;
}

/** Combines `members` into one forecast model, weighted and calibrated by inner rolling-origin backtests. */
export function forecastEnsemble(members: ForecastModel[], options: EnsembleOptions): ForecastModel<EnsembleState> {
  const levels = options.levels ?? [0.8, 0.95];
  const H = options.horizon;
  const step = options.step ?? 7;
  const maxOrigins = options.maxOrigins ?? 26;
  const minResiduals = options.minResiduals ?? 40;
  if (members.length === 0) throw new RangeError('an ensemble needs at least one member');
  for (const l of levels) if (!(l > 0 && l < 1)) throw new RangeError(`interval level ${l} must be in (0, 1)`);
  return {
    name: options.name ?? 'ensemble',
    type: 'ensemble',
    config: { members: members.map((m) => ({ name: m.name, type: m.type, config: m.config })), horizon: H, levels, step, maxOrigins, minTrain: options.minTrain ?? null },
    fit(train: SeriesInput): EnsembleState {
      const n = train.values.length;
      const minTrain = options.minTrain ?? Math.max(28, Math.floor(n / 2));
      const origins: number[] = [];
      for (let o = n - 1; o >= minTrain && origins.length < maxOrigins; o -= step) origins.push(o);
      // errors[m][k] per horizon k, and the member forecasts to combine later.
      const fcs: (number[] | null)[][] = members.map(() => []);
      for (const o of origins) {
        const h = Math.min(H, n - o);
        const head = sliceSeries(train, 0, o);
        const future = sliceSeries(train, o, o + h);
        members.forEach((m, i) => {
          try {
            const st = m.fit(head);
            fcs[i]!.push(m.predict(st, { horizon: h, futureRegressors: future.regressors, futureDates: future.dates }).mean);
          } catch {
            fcs[i]!.push(null);
          }
        });
      }
      // Only origins every member could forecast are compared (the same points for all).
      const usable = origins.map((_, k) => members.every((_, i) => fcs[i]![k] !== null));
      const maes = members.map((_, i) => {
        let s = 0;
        let c = 0;
        origins.forEach((o, k) => {
          if (!usable[k]) return;
          const f = fcs[i]![k]!;
          for (let j = 0; j < f.length; j++) {
            s += Math.abs(train.values[o + j]! - clip(f[j]!));
            c++;
          }
        });
        return c ? s / c : Number.NaN;
      });
      const count = origins.reduce((s, o, k) => s + (usable[k] ? Math.min(H, n - o) : 0), 0);
      const combine = (w: number[], k: number, j: number) => w.reduce((s, wi, i) => (wi > 0 ? s + wi * fcs[i]![k]![j]! : s), 0);
      let chosen: { label: string; w: number[] };
      if (count === 0) {
        // Nothing to compare on (a short history): the members that fit share equally.
        const fits = members.map((m) => canFit(m, train));
        const k = fits.filter(Boolean).length;
        chosen = { label: 'equal (no inner backtest)', w: fits.map((f) => (f && k ? 1 / k : 0)) };
      } else if (options.weighting && options.weighting !== 'search') {
        const tau = options.weighting.softmax;
        const bestMae = Math.min(...maes.filter((m) => Number.isFinite(m)));
        // A member with no inner error at all (a constant series) takes the weight; 0/0 would make every weight NaN.
        const ratio = (m: number) => (bestMae > 0 ? m / bestMae : m === 0 ? 1 : Number.POSITIVE_INFINITY);
        const raw = maes.map((m) => (Number.isFinite(m) ? Math.exp(-(ratio(m) - 1) / tau) : 0));
        const sum = raw.reduce((a, b) => a + b, 0);
        // Weights below 1 % are dropped: not worth a fit.
        const w = raw.map((r) => (r / sum >= 0.01 ? r / sum : 0));
        const s2 = w.reduce((a, b) => a + b, 0);
        chosen = { label: `softmax(τ=${tau})`, w: w.map((x) => x / s2) };
        if (options.weighting.orBest) {
          // A member far ahead of the rest should not be diluted: keep the best alone when that errs less inside.
          const bestIndex = maes.indexOf(bestMae);
          const single = maes.map((_, i) => (i === bestIndex ? 1 : 0));
          const innerMae = (w: number[]) => {
            let s = 0;
            origins.forEach((o, k) => {
              if (!usable[k]) return;
              for (let j = 0; j < Math.min(H, n - o); j++) s += Math.abs(train.values[o + j]! - clip(combine(w, k, j)));
            });
            return s;
          };
          if (innerMae(single) < innerMae(chosen.w)) chosen = { label: `best:${members[bestIndex]!.name}`, w: single };
        }
      } else {
        let best = Number.POSITIVE_INFINITY;
        chosen = { label: '', w: [] };
        for (const cand of weightings(maes)) {
          let s = 0;
          origins.forEach((o, k) => {
            if (!usable[k]) return;
            for (let j = 0; j < Math.min(H, n - o); j++) s += Math.abs(train.values[o + j]! - clip(combine(cand.w, k, j)));
          });
          // Ties go to the earlier (simpler) candidate.
          if (!Number.isFinite(best) || s < best - 1e-9 * Math.abs(best)) {
            best = s;
            chosen = cand.label === 'best' ? { label: `best:${members[cand.w.indexOf(1)]!.name}`, w: cand.w } : cand;
          }
        }
      }
      function clip(v: number) {
        return options.nonNegative ? Math.max(0, v) : v;
      }
      // Signed errors of the combination by horizon.
      const residuals: number[][] = Array.from({ length: H }, () => []);
      origins.forEach((o, k) => {
        if (!usable[k] || count === 0) return;
        for (let j = 0; j < Math.min(H, n - o); j++) residuals[j]!.push(train.values[o + j]! - clip(combine(chosen.w, k, j)));
      });
      const { quantiles, counts } = horizonQuantiles(residuals, levels, minResiduals);
      let countBuckets: CountBucket[] | undefined;
      if (options.intervals === 'counts') {
        const pairs: { k: number; f: number; y: number; w: number }[] = [];
        origins.forEach((o, k) => {
          if (!usable[k] || count === 0) return;
          // An inner forecast weighs less the further back its origin is: the errors of the last weeks say more about
          // the coming ones than those of another season (eval demand-counts: a rising season over-covered without).
          const w = 0.5 ** ((n - 1 - o) / COUNT_HALF_LIFE_DAYS);
          for (let j = 0; j < Math.min(H, n - o); j++) pairs.push({ k: j, f: Math.max(0, combine(chosen.w, k, j)), y: train.values[o + j]!, w });
        });
        countBuckets = fitCountBuckets(pairs, Math.ceil(H / COUNT_BUCKET_DAYS));
      }
      const fitted: EnsembleState['members'] = [];
      const skipped: string[] = [];
      members.forEach((m, i) => {
        if (!(chosen.w[i]! > 0)) return;
        try {
          fitted.push({ name: m.name, weight: chosen.w[i]!, state: m.fit(train) });
        } catch {
          skipped.push(m.name);
        }
      });
      if (fitted.length === 0) throw new RangeError(`no ensemble member could fit ${n} rows`);
      const total = fitted.reduce((s, f) => s + f.weight, 0);
      for (const f of fitted) f.weight /= total;
      return {
        members: fitted,
        scores: members.map((m, i) => ({ name: m.name, mae: maes[i]!, n: count, weight: fitted.find((f) => f.name === m.name)?.weight ?? 0 })),
        weighting: chosen.label,
        horizon: H,
        quantiles,
        counts,
        origins: usable.filter(Boolean).length,
        skipped,
        ...(countBuckets ? { countBuckets } : {}),
      };
    },
    predict(state, query): ForecastOutput {
      const byName = new Map(members.map((m) => [m.name, m]));
      const mean = new Array<number>(query.horizon).fill(0);
      for (const f of state.members) {
        const out = byName.get(f.name)!.predict(f.state, query);
        for (let k = 0; k < query.horizon; k++) mean[k]! += f.weight * out.mean[k]!;
      }
      const clipped = options.nonNegative ? mean.map((v) => Math.max(0, v)) : mean;
      // The ensemble's errors were measured against its clipped forecasts, so its bands centre on them.
      const wanted = query.levels ?? levels;
      const intervals = state.countBuckets?.length ? countIntervals(clipped, state.countBuckets, wanted) : conformalIntervals(clipped, state, wanted, options.nonNegative ?? false);
      return { mean: clipped, intervals };
    },
  };
}

/**
 * The count distribution of each week of horizon from the inner forecasts (f) and what followed them (y), each
 * weighted by how recent its origin is (`w`, half-life `COUNT_HALF_LIFE_DAYS`): a scale
 * on the forecast (Σy / Σf, in [0.5, 2]: a log model forecasts nearer the median than the mean) and the
 * negative binomial size that makes y likeliest around the scaled forecasts. A week with too few inner
 * forecasts takes the fit of all of them; no week's size exceeds the week before's. None at all (the conformal bands then answer) when there are no inner
 * forecasts, or their errors are smaller than a Poisson's.
 */
export function fitCountBuckets(pairs: { k: number; f: number; y: number; w?: number }[], buckets: number): CountBucket[] | undefined {
  if (pairs.length === 0) return undefined;
  // Inner errors smaller than a Poisson's (a series steadier than chance: a fixed standing order) are not what a
  // negative binomial can describe; the conformal bands of those errors answer instead.
  const sumF = pairs.reduce((s, p) => s + p.f, 0);
  if (pairs.reduce((s, p) => s + (p.y - p.f) ** 2, 0) < sumF) return undefined;
  const fit = (ps: typeof pairs): CountBucket => {
    const sf = ps.reduce((s, p) => s + (p.w ?? 1) * p.f, 0);
    const sy = ps.reduce((s, p) => s + (p.w ?? 1) * p.y, 0);
    // One scale per week of horizon (one scale for all weeks scored no better on the build seeds).
    const scale = sf > 0 ? Math.min(2, Math.max(0.5, sy / sf)) : 1;
    return {
      scale,
      size: fitNegativeBinomialSize(
        ps.map((p) => p.y),
        ps.map((p) => p.f * scale),
        0.05,
        ps.map((p) => p.w ?? 1),
      ),
      n: ps.length,
    };
  };
  const all = fit(pairs);
  const out = Array.from({ length: Math.max(1, buckets) }, (_, b) => {
    const ps = pairs.filter((p) => Math.floor(p.k / COUNT_BUCKET_DAYS) === b);
    return ps.length >= COUNT_BUCKET_MIN ? fit(ps) : all;
  });
  // A later week is never more certain than an earlier one: its size is at most the week before's (on the build seeds
  // this evened coverage across weeks ahead at the same mean interval score).
  for (let b = 1; b < out.length; b++) if (out[b]!.size > out[b - 1]!.size) out[b] = { ...out[b]!, size: out[b - 1]!.size };
  return out;
}

/**
 * Ranges of the fitted count distributions around each day's forecast (each holding the forecast itself), a
 * wider level's range never inside a narrower one's.
 */
export function countIntervals(mean: number[], buckets: CountBucket[], levels: number[]) {
  const order = levels.map((l, i) => i).sort((a, b) => levels[a]! - levels[b]!);
  const out = levels.map((level) => ({ level, lower: [] as number[], upper: [] as number[] }));
  mean.forEach((m, k) => {
    const b = buckets[Math.min(buckets.length - 1, Math.floor(k / COUNT_BUCKET_DAYS))]!;
    const mu = m * b.scale;
    const variance = mu + (mu * mu) / b.size;
    let lo = Infinity;
    let hi = -Infinity;
    for (const i of order) {
      const iv = nearestCountInterval(mu, variance, levels[i]!, m);
      lo = Math.min(lo, iv.lower, m);
      hi = Math.max(hi, iv.upper, m);
      out[i]!.lower.push(lo);
      out[i]!.upper.push(hi);
    }
  });
  return out;
}

function canFit(m: ForecastModel, train: SeriesInput): boolean {
  try {
    m.fit(train);
    return true;
  } catch {
    return false;
  }
}

/**
 * Split-conformal quantiles of signed errors by horizon: a horizon with fewer than `minResiduals`
 * errors pools those of its nearest horizons (both sides) until it has enough, and the tails get the
 * split-conformal finite-sample correction, counting origins (not pooled errors) as the exchangeable units.
 */
export function horizonQuantiles(residuals: number[][], levels: number[], minResiduals: number) {
  const H = residuals.length;
  const pooled: number[][] = [];
  const effective: number[] = [];
  for (let k = 0; k < H; k++) {
    let r = residuals[k]!.slice();
    for (let d = 1; r.length < minResiduals && (k - d >= 0 || k + d < H); d++) {
      if (k - d >= 0) r = r.concat(residuals[k - d]!);
      if (k + d < H) r = r.concat(residuals[k + d]!);
    }
    pooled.push(r.sort((a, b) => a - b));
    // Errors of one origin at neighbouring horizons are nearly the same draw: the exchangeable units
    // are the origins, so the finite-sample correction counts those, not the pooled errors.
    effective.push(Math.max(1, Math.min(r.length, residuals[k]!.length || r.length)));
  }
  const quantiles = levels.map((level) => {
    const alpha = 1 - level;
    const lower: number[] = [];
    const upper: number[] = [];
    pooled.forEach((sorted, k) => {
      if (sorted.length === 0) {
        lower.push(Number.NaN);
        upper.push(Number.NaN);
        return;
      }
      // Split-conformal finite-sample correction on each tail, (1 − α/2)(m + 1)/m, with m the origins: on a
      // stationary series it over-covers a little (20 origins: 0.945 per tail); real series drift, and this
      // is what keeps their out-of-sample coverage near the nominal level (eval: bike, Peyton Manning).
      const m = effective[k]!;
      const pu = Math.min(1, (1 - alpha / 2) * ((m + 1) / m));
      const pl = Math.max(0, 1 - pu);
      lower.push(quantileSorted(sorted, pl));
      upper.push(quantileSorted(sorted, pu));
    });
    return { level, lower, upper };
  });
  return { quantiles, counts: pooled.map((p) => p.length) };
}
