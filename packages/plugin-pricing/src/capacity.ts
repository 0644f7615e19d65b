import { weekday } from '@rfid3/core';
import { Rng } from '@rfid3/core/simulator';

/**
 * Capacity pricing. A rental cannot rent more units than it has on the shelf, so the revenue of a price is
 * price × the rentals it can serve: Σ_days price × E[min(D(price), units available)] / days per rental,
 * where D is the units the customers would have on rent that day (demand, not what was served) and
 * D(p) = D(p0)·(p/p0)^ε.
 */

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
/** log Γ(x + 1) by Stirling's series (exact enough beyond 10) and a table below. */
const LOG_FACT_SMALL = (() => {
  const t = [0];
  for (let k = 1; k <= 10; k++) t.push(t[k - 1]! + Math.log(k));
  return t;
})();
function logFactorial(k: number): number {
  if (k <= 10) return LOG_FACT_SMALL[k]!;
  const x = k + 1;
  return (x - 0.5) * Math.log(x) - x + LOG_SQRT_2PI + 1 / (12 * x) - 1 / (360 * x ** 3) + 1 / (1260 * x ** 5);
}

/**
 * E[min(X, cap)] for X ~ Poisson(mean), cap ≥ 0 (need not be whole): Σ_{k ≤ ⌊cap⌋} k·P(k) + cap·P(X > ⌊cap⌋).
 * Exact: terms far below the mean (more than 12 sd) are below double precision and skipped.
 */
export function expectedMinPoisson(mean: number, cap: number): number {
  if (!(mean > 0) || !(cap > 0)) return 0;
  const K = Math.floor(cap);
  const lo = Math.max(0, Math.floor(mean - 12 * Math.sqrt(mean) - 10));
  if (K < lo) return cap;
  // Beyond 12 sd above the mean the capacity is never reached (P < 1e-30).
  if (K > mean + 12 * Math.sqrt(mean) + 10) return mean;
  const logMean = Math.log(mean);
  let below = 0;
  let partial = 0;
  for (let k = lo; k <= K; k++) {
    const p = Math.exp(-mean + k * logMean - logFactorial(k));
    below += p;
    partial += k * p;
  }
  return partial + cap * Math.max(0, 1 - below);
}

/**
 * E[min(D, cap)] when units are rented in batches of `unitsPerRental`: D = q·X with X ~ Poisson(mean / q), so
 * D has mean `mean` and variance q·mean (rentals of many chairs at once make demand lumpier than Poisson).
 */
export function expectedMinUnits(mean: number, cap: number, unitsPerRental = 1): number {
  const q = Math.max(1, unitsPerRental);
  return q * expectedMinPoisson(mean / q, cap / q);
}

/** P(D > cap) under the same batch model: the chance the day turns someone away. */
export function probabilityAbove(mean: number, cap: number, unitsPerRental = 1): number {
  const q = Math.max(1, unitsPerRental);
  const m = mean / q;
  if (!(m > 0)) return 0;
  const K = Math.floor(cap / q);
  const lo = Math.max(0, Math.floor(m - 12 * Math.sqrt(m) - 10));
  if (K < lo) return 1;
  if (K > m + 12 * Math.sqrt(m) + 10) return 0;
  let below = 0;
  const logM = Math.log(m);
  for (let k = lo; k <= K; k++) below += Math.exp(-m + k * logM - logFactorial(k));
  return Math.max(0, 1 - below);
}

/**
 * E[min(D, cap)] as a function of the mean for one capacity, tabulated on a log grid and interpolated
 * (relative error below 1e-3): a recommendation evaluates it hundreds of thousands of times.
 */
export function expectedMinTable(cap: number, unitsPerRental: number, maxMean: number): (mean: number) => number {
  if (!(cap > 0)) return () => 0;
  const lo = Math.min(1e-3, cap * 1e-3);
  const hi = Math.max(maxMean * 1.05, cap * 4, 1);
  const n = 256;
  const step = Math.log(hi / lo) / (n - 1);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) ys[i] = expectedMinUnits(lo * Math.exp(i * step), cap, unitsPerRental);
  return (mean: number) => {
    if (!(mean > 0)) return 0;
    if (mean <= lo) return Math.min(mean, cap);
    if (mean >= hi) return expectedMinUnits(mean, cap, unitsPerRental);
    const x = Math.log(mean / lo) / step;
    const i = Math.min(n - 2, Math.floor(x));
    const f = x - i;
    return ys[i]! * (1 - f) + ys[i + 1]! * f;
  };
}

/** Candidate prices: today's price ± steps of `step` up to ±maxChange, rounded to the quarter dollar, inside the cap. */
export function priceGrid(price: number, maxChange: number, step = 0.025): number[] {
  const lo = price * (1 - maxChange) - 1e-9;
  const hi = price * (1 + maxChange) + 1e-9;
  const out = new Set<number>([price]);
  const n = Math.floor(maxChange / step + 1e-9);
  for (let k = -n; k <= n; k++) {
    let p = Math.round(price * (1 + k * step) * 4) / 4;
    if (p > hi) p -= 0.25;
    if (p < lo) p += 0.25;
    if (p > 0 && p >= lo && p <= hi) out.add(p);
  }
  return [...out].sort((a, b) => a - b);
}

/** One coming day: the units customers would want on rent at today's price (not capped), and the units available. */
export interface CapacityDay {
  date: string;
  /** Expected units on rent demanded at today's price, uncapped. */
  demand: number;
  /** Units owned minus out for repair. */
  capacity: number;
}

/** Input of `recommendCapacityPrice`: today's price, the coming days' demand and capacity, and the bar a move must clear. */
export interface CapacityPriceInput {
  price: number;
  days: readonly CapacityDay[];
  /** Mean units per contract line (demand arrives in batches of about this size). */
  unitsPerRental: number;
  /** Mean days a unit stays on rent per rental: unit-days on rent ÷ this = rentals, each paid at the price. */
  daysPerRental: number;
  elasticity: number;
  elasticitySe: number;
  /** Standard deviation of the log of the demand level (its own sampling error); 0 when unknown. */
  levelSe?: number;
  maxChange: number;
  /** Grid step as a share of today's price (default 0.025). */
  step?: number;
  /** Draws of (ε, level) from their sampling distributions (default 200) and the seed (default 1). */
  draws?: number;
  seed?: number;
  /** A change is recommended only when P(gain) is at least this … (default 0.8) */
  minProbability?: number;
  /** … the expected gain is at least this share of today's revenue (default 0.005) … */
  minGainShare?: number;
  /** … and at least this much money over the days (default 0: a move worth a few dollars is not worth the risk of a wrong elasticity) … */
  minGain?: number;
  /** … the 80 % range of the gain is above zero (default true) … */
  requirePositiveRange?: boolean;
  /**
   * … the low end of the gain's 80 % range loses at most this share of today's revenue (default: no bound; with
   * requirePositiveRange the low end must be above zero anyway) …
   */
  maxLossShare?: number;
  /** … and the expected stockout days (days demand exceeds the units available) rise by at most this many over the days (default 0.5). */
  maxAddedStockoutDays?: number;
  /** Variable cost per rental (margin objective); 0 for revenue. */
  unitCost?: number;
  /** No candidate above this price (e.g. the competitors' median + a margin); today's price is always a candidate. */
  ceiling?: number;
}

/** The outcome of one candidate price over the coming days, across the sampled elasticities and demand levels. */
export interface CandidateOutcome {
  price: number;
  /** Mean over the draws of the revenue (or margin) over the days. */
  expected: number;
  gain: number;
  gainRange80: [number, number];
  probabilityGain: number;
  rentals: number;
  lostRentals: number;
  stockoutDays: number;
}

/** What `recommendCapacityPrice` decides: the price, its direction and every candidate's outcome. */
export interface CapacityPriceRecommendation {
  currentPrice: number;
  recommendedPrice: number;
  direction: 'raise' | 'cut' | 'keep';
  current: CandidateOutcome;
  recommended: CandidateOutcome;
  /** The candidate with the highest expected revenue, whether or not it cleared the bar. */
  best: CandidateOutcome;
  /** Why the best candidate was not taken, when it was not. */
  heldBack: string | null;
  expectedChange: number;
  gainRange80: [number, number];
  /** P(the recommended change increases expected revenue), over the draws; 0 when the price is kept. */
  confidence: number;
  /** Share of the coming days on which demand at today's price exceeds the units available with probability ≥ ½. */
  bindingDays: number;
  /** Expected units on rent ÷ units available at today's price. */
  utilisation: number;
  candidates: CandidateOutcome[];
}

/** Each candidate's gain per draw (draw s uses the same elasticity and level in every call with the same seed and draws). */
const gainsByOutcome = new WeakMap<CandidateOutcome, Float64Array>();

const quantile = (sorted: Float64Array, p: number) => {
  const x = p * (sorted.length - 1);
  const i = Math.floor(x);
  return i + 1 < sorted.length ? sorted[i]! + (x - i) * (sorted[i + 1]! - sorted[i]!) : sorted[i]!;
};

/**
 * The revenue- (or margin-) maximising price on a grid within ±maxChange, under capacity. The elasticity and
 * the demand level are drawn from their sampling distributions (fixed seed: the same input gives the same
 * answer); each candidate's gain over today's price is computed per draw, giving P(gain) and an 80 % range. The
 * price moves only when the best candidate clears the bar (P(gain) ≥ minProbability, the 80 % range above zero,
 * and a gain of at least minGainShare of today's revenue); otherwise today's price is kept.
 */
export function recommendCapacityPrice(input: CapacityPriceInput): CapacityPriceRecommendation {
  const p0 = input.price;
  const draws = Math.max(20, input.draws ?? 200);
  const rng = new Rng(input.seed ?? 1);
  const levelSe = input.levelSe ?? 0;
  const eps = new Float64Array(draws);
  const level = new Float64Array(draws);
  for (let s = 0; s < draws; s++) {
    // Antithetic pairs: the draws' mean is the estimate itself.
    const z = s % 2 === 0 ? rng.normal() : -eps[s - 1]!;
    eps[s] = z;
    level[s] = s % 2 === 0 ? rng.normal() : -level[s - 1]!;
  }
  for (let s = 0; s < draws; s++) {
    eps[s] = input.elasticity + input.elasticitySe * eps[s]!;
    level[s] = Math.exp(levelSe * level[s]! - (levelSe * levelSe) / 2);
  }
  const grid = priceGrid(p0, input.maxChange, input.step).filter((p) => p === p0 || !(input.ceiling !== undefined && p > input.ceiling + 1e-9));
  // Days with the same demand and capacity count once, weighted.
  const groups = new Map<string, { demand: number; capacity: number; n: number }>();
  for (const d of input.days) {
    const k = `${d.demand.toPrecision(8)}|${d.capacity}`;
    const g = groups.get(k);
    if (g) g.n++;
    else groups.set(k, { demand: Math.max(0, d.demand), capacity: Math.max(0, d.capacity), n: 1 });
  }
  const gs = [...groups.values()];
  const maxDemand = Math.max(0, ...gs.map((g) => g.demand));
  const maxLevel = Math.max(...level);
  const maxFactor = Math.max(...grid.map((p) => Math.max(...Array.from(eps, (e) => (p / p0) ** e))));
  const tables = new Map<number, (m: number) => number>();
  for (const g of gs) if (!tables.has(g.capacity)) tables.set(g.capacity, expectedMinTable(g.capacity, input.unitsPerRental, maxDemand * maxLevel * maxFactor));
  const cost = input.unitCost ?? 0;
  const perRental = Math.max(1e-9, input.daysPerRental);
  /** Unit-days served per draw at price p. */
  const served = (p: number) => {
    const out = new Float64Array(draws);
    for (let s = 0; s < draws; s++) {
      const f = level[s]! * (p / p0) ** eps[s]!;
      let sum = 0;
      for (const g of gs) sum += g.n * tables.get(g.capacity)!(g.demand * f);
      out[s] = sum;
    }
    return out;
  };
  const base = served(p0);
  const baseValue = Array.from(base, (u) => ((p0 - cost) * u) / perRental);
  const meanOf = (xs: Float64Array) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const outcome = (p: number): CandidateOutcome => {
    const units = p === p0 ? base : served(p);
    const gains = new Float64Array(draws);
    let expected = 0;
    let wins = 0;
    for (let s = 0; s < draws; s++) {
      const v = ((p - cost) * units[s]!) / perRental;
      expected += v;
      gains[s] = v - baseValue[s]!;
      if (gains[s]! > 1e-9) wins++;
    }
    expected /= draws;
    const sorted = gains.slice().sort();
    // Expected rentals and turned-away demand at the estimate itself (ε̂, level 1).
    let rentals = 0;
    let demand = 0;
    let stockoutDays = 0;
    const f = (p / p0) ** input.elasticity;
    for (const g of gs) {
      const m = g.demand * f;
      rentals += g.n * tables.get(g.capacity)!(m);
      demand += g.n * m;
      stockoutDays += g.n * probabilityAbove(m, g.capacity, input.unitsPerRental);
    }
    const result: CandidateOutcome = {
      price: p,
      expected,
      gain: meanOf(gains),
      gainRange80: [quantile(sorted, 0.1), quantile(sorted, 0.9)],
      probabilityGain: p === p0 ? 0 : wins / draws,
      rentals: rentals / perRental,
      lostRentals: (demand - rentals) / perRental,
      stockoutDays,
    };
    gainsByOutcome.set(result, gains);
    return result;
  };
  const candidates = grid.map(outcome);
  const current = candidates.find((c) => c.price === p0)!;
  const best = candidates.reduce((a, b) => (b.expected > a.expected + 1e-9 ? b : a), current);
  const minP = input.minProbability ?? 0.8;
  const minGain = Math.max((input.minGainShare ?? 0.005) * Math.max(0, current.expected), input.minGain ?? 0);
  const needRange = input.requirePositiveRange ?? true;
  const maxAdded = input.maxAddedStockoutDays ?? 0.5;
  const maxLoss = input.maxLossShare === undefined ? Number.POSITIVE_INFINITY : input.maxLossShare * Math.max(0, current.expected);
  const clears = (c: CandidateOutcome) =>
    c.price !== p0 &&
    c.probabilityGain >= minP &&
    (!needRange || c.gainRange80[0] > 0) &&
    c.gainRange80[0] >= -maxLoss &&
    c.gain >= minGain &&
    c.stockoutDays - current.stockoutDays <= maxAdded;
  const eligible = candidates.filter(clears);
  const chosen = eligible.length ? eligible.reduce((a, b) => (b.expected > a.expected ? b : a)) : current;
  let heldBack: string | null = null;
  if (chosen === current && best !== current) {
    heldBack =
      best.stockoutDays - current.stockoutDays > maxAdded
        ? `the best price ${priceText(best.price)} would turn customers away on ${(best.stockoutDays - current.stockoutDays).toFixed(1)} more days`
        : best.probabilityGain < minP
          ? `the best price ${priceText(best.price)} raises expected revenue with probability ${best.probabilityGain.toFixed(2)} only (needs ${minP})`
          : needRange && best.gainRange80[0] <= 0
            ? `the 80 % range of the gain at ${priceText(best.price)} includes zero`
            : best.gainRange80[0] < -maxLoss
              ? `at ${priceText(best.price)} the low end of the gain's 80 % range loses ${money(-best.gainRange80[0])}, more than ${((input.maxLossShare ?? 0) * 100).toFixed(1)} % of today's revenue`
              : best.gain < (input.minGain ?? 0)
                ? `the expected gain at ${priceText(best.price)} is under ${money(input.minGain ?? 0)}`
                : `the expected gain at ${priceText(best.price)} is under ${((input.minGainShare ?? 0.005) * 100).toFixed(1)} % of today's revenue`;
  }
  let binding = 0;
  let onRent = 0;
  let cap = 0;
  for (const g of gs) {
    if (probabilityAbove(g.demand, g.capacity, input.unitsPerRental) >= 0.5) binding += g.n;
    onRent += g.n * tables.get(g.capacity)!(g.demand);
    cap += g.n * g.capacity;
  }
  return {
    currentPrice: p0,
    recommendedPrice: chosen.price,
    direction: chosen.price > p0 ? 'raise' : chosen.price < p0 ? 'cut' : 'keep',
    current,
    recommended: chosen,
    best,
    heldBack,
    expectedChange: chosen.gain,
    gainRange80: chosen.gainRange80,
    confidence: chosen.probabilityGain,
    bindingDays: input.days.length ? binding / input.days.length : 0,
    utilisation: cap > 0 ? onRent / cap : 0,
    candidates,
  };
}

/** How often a class sold out recently, for the explanation of a recommendation. */
export interface SellOutRecord {
  /** The weekday with the most sell-outs over the recent weeks (e.g. 'Saturday'), its count and of how many. */
  weekday: string;
  soldOut: number;
  of: number;
  /** Sell-out days over all recent days. */
  total: number;
  days: number;
}

/** A price as a manager reads it, with its cents: "$14.25". */
export const priceText = (x: number) => `$${x.toFixed(2)}`;
const money = (x: number) => `$${Math.abs(x).toLocaleString('en-US', Math.abs(x) < 10 ? { minimumFractionDigits: 2, maximumFractionDigits: 2 } : { maximumFractionDigits: 0 })}`;

/** The recommendation in words and figures, for a rental manager. */
export function explainCapacityPrice(rec: CapacityPriceRecommendation, sellOuts: SellOutRecord, horizonDays: number): string {
  const change = rec.recommendedPrice / rec.currentPrice - 1;
  const pct = `${change > 0 ? '+' : '−'}${Math.abs(change * 100).toFixed(0)} %`;
  const history =
    sellOuts.soldOut > 0
      ? `sold out on ${sellOuts.soldOut} of the last ${sellOuts.of} ${sellOuts.weekday}s (${sellOuts.total} of ${sellOuts.days} days)`
      : `never sold out in the last ${sellOuts.days} days; on average ${Math.round(rec.utilisation * 100)} % of the units available are on rent`;
  const range = `80 % range ${rec.gainRange80[0] < 0 ? '−' : ''}${money(rec.gainRange80[0])} to ${rec.gainRange80[1] < 0 ? '−' : ''}${money(rec.gainRange80[1])}`;
  if (rec.direction === 'keep') {
    return `${history}; keep the price: ${rec.heldBack ?? `no price within the cap earns more over the next ${horizonDays} days`}`;
  }
  const lost = rec.recommended.lostRentals - rec.current.lostRentals;
  const rentals = rec.recommended.rentals - rec.current.rentals;
  if (rec.direction === 'raise') {
    return (
      `${history}; at ${pct} the expected lost rentals (${Math.max(0, -rentals).toFixed(1)} over ${horizonDays} days) cost less than the higher price earns: ` +
      `${money(rec.expectedChange)} more expected revenue (${range}), probability ${rec.confidence.toFixed(2)} that it gains`
    );
  }
  return (
    `${history}; at ${pct} about ${rentals.toFixed(1)} more rentals over ${horizonDays} days fit in the idle units` +
    `${lost > 0.05 ? ` (${lost.toFixed(1)} more turned away on busy days)` : ''}: ${money(rec.expectedChange)} more expected revenue (${range}), probability ${rec.confidence.toFixed(2)} that it gains`
  );
}

/** Input of `recommendPeakPrices`: a capacity-price input whose days split into peak and off-peak weekdays. */
export interface PeakPriceInput extends CapacityPriceInput {
  /** Weekdays (0 = Sunday … 6 = Saturday) that take the peak price; the other days take the off-peak price. */
  peakWeekdays: readonly number[];
}

/** Two prices for one class: one for the peak weekdays, one for the rest, each chosen under capacity. */
export interface PeakPriceRecommendation {
  peakWeekdays: number[];
  /** The peak weekdays' recommendation (over those days only). */
  peak: CapacityPriceRecommendation;
  /** The other days' recommendation. */
  offPeak: CapacityPriceRecommendation;
  /** Both moves together: the expected gain over all the days … */
  expectedChange: number;
  /** … its 80 % range over the same draws of the elasticity and demand level … */
  gainRange80: [number, number];
  /** … and P(the two moves together increase expected revenue); 0 when both prices are kept. */
  confidence: number;
}

/**
 * Peak and off-peak prices. Each tier is priced by `recommendCapacityPrice` on its own days (so each move clears
 * the same bar on its own), with the same draws of the elasticity and the demand level, so the two gains add up
 * draw by draw into one expected gain, range and probability. It assumes customers do not move their rental to
 * the other tier's days when one is dearer (an event is on its date); a day's demand responds to that day's price.
 */
export function recommendPeakPrices(input: PeakPriceInput): PeakPriceRecommendation {
  const peakDays = new Set(input.peakWeekdays);
  const isPeak = (d: CapacityDay) => peakDays.has(weekday(d.date));
  const peak = recommendCapacityPrice({ ...input, days: input.days.filter(isPeak) });
  const offPeak = recommendCapacityPrice({ ...input, days: input.days.filter((d) => !isPeak(d)) });
  const moved = [peak, offPeak].filter((r) => r.direction !== 'keep');
  const draws = moved.map((r) => gainsByOutcome.get(r.recommended)!);
  const total = new Float64Array(draws[0]?.length ?? 0);
  for (const g of draws) for (let s = 0; s < total.length; s++) total[s] += g[s]!;
  const sorted = total.slice().sort();
  let wins = 0;
  for (const g of total) if (g > 1e-9) wins++;
  return {
    peakWeekdays: [...peakDays].sort((a, b) => a - b),
    peak,
    offPeak,
    expectedChange: moved.reduce((s, r) => s + r.expectedChange, 0),
    gainRange80: total.length ? [quantile(sorted, 0.1), quantile(sorted, 0.9)] : [0, 0],
    confidence: total.length ? wins / total.length : 0,
  };
}

/** Weekday names as a manager writes them (0 = Sunday). */
export const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

/** The two prices in words and figures: each tier's own explanation, named. */
export function explainPeakPrices(rec: PeakPriceRecommendation, sellOuts: SellOutRecord, horizonDays: number): string {
  const names = rec.peakWeekdays.map((d) => WEEKDAY_NAMES[d]).join(', ');
  const tier = (r: CapacityPriceRecommendation) =>
    r.direction === 'keep' ? `keep ${priceText(r.currentPrice)}` : `${r.direction} ${priceText(r.currentPrice)} to ${priceText(r.recommendedPrice)}`;
  const head = `peak (${names}): ${tier(rec.peak)}; other days: ${tier(rec.offPeak)}`;
  if (rec.peak.direction === 'keep' && rec.offPeak.direction === 'keep') return `${head}. ${explainCapacityPrice(rec.peak, sellOuts, horizonDays)}`;
  const range = `80 % range ${rec.gainRange80[0] < 0 ? '−' : ''}${money(rec.gainRange80[0])} to ${rec.gainRange80[1] < 0 ? '−' : ''}${money(rec.gainRange80[1])}`;
  return `${head}: ${money(rec.expectedChange)} more expected revenue over ${horizonDays} days together (${range}), probability ${rec.confidence.toFixed(2)} that it gains`;
}
