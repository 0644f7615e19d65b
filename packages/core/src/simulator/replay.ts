import { addDays, weekday } from '../time/dates.js';
import { dayOfYear } from './calendar.js';
import { CATEGORIES } from './catalog.js';
import { Rng } from './rng.js';
import type { ClassTruth, SimulationTruth } from './simulate.js';

/**
 * Replays a period after a simulated history under a price schedule, with the simulator's true demand: each
 * day a Poisson number of contract lines (mean: the class's base demand × weekday × season × trend × (price ÷
 * base price)^true elasticity, over all stores), each of the simulator's batch size and rental length, served
 * from the units on the shelf; what does not fit is lost. Calendar events, weather and repairs are left out.
 * Random numbers are common to every schedule (one stream per class, day and draw, and a line's size and length
 * drawn from it in order), so two schedules are compared on the same customers.
 */
export interface ReplayOptions {
  /** First replayed day (the day after the history). */
  from: string;
  days: number;
  /** Days per price block: the schedule holds one price per block (default 28). */
  blockDays?: number;
  /** Draw: another draw, other customers. */
  seed: number;
  /** Units available per class (default the class's units): e.g. units owned minus out for repair. */
  capacity?: Map<string, number>;
}

/** What a class earned and lost when its requests were replayed at given prices. */
export interface ReplayOutcome {
  revenue: number;
  /** Units rented (each unit of a line is a rental paid at the day's price). */
  units: number;
  lines: number;
  lostUnits: number;
  /** Days on which the class turned units away. */
  stockoutDays: number;
}

const mix = (a: number, b: number, c: number) => {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35) ^ Math.imul(c + 0x165667b1, 0x27d4eb2d);
  h ^= h >>> 15;
  return h >>> 0;
};

function poissonInverse(u: number, lambda: number): number {
  if (!(lambda > 0)) return 0;
  if (lambda > 400) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normalInverse(u)));
  let k = 0;
  let p = Math.exp(-lambda);
  let cum = p;
  while (u > cum && k < 10_000) {
    k++;
    p *= lambda / k;
    cum += p;
  }
  return k;
}

/** Acklam's rational approximation of the standard normal quantile (only for very large Poisson means here). */
function normalInverse(p: number): number {
  const q = Math.min(Math.max(p, 1e-12), 1 - 1e-12) - 0.5;
  const r = q * q;
  return (
    (q * (((((-39.6968302866538 * r + 220.946098424521) * r - 275.928510446969) * r + 138.357751867269) * r - 30.6647980661472) * r + 2.50662827745924)) /
    (((((-54.4761028665678 * r + 161.585836858041) * r - 155.698979859887) * r + 66.8013019346579) * r - 13.2806815528857) * r + 1)
  );
}

interface ClassProcess {
  cls: ClassTruth;
  index: number;
  capacity: number;
  rentalDays: [number, number];
  summerExtraDays: number;
  storeShare: number;
  seasonality: { amplitude: number; peakDay: number };
}

function processOf(truth: SimulationTruth, cls: ClassTruth, index: number, capacity?: number): ClassProcess {
  const spec = CATEGORIES.find((c) => c.name === cls.category);
  const cat = truth.categories[cls.category]!;
  return {
    cls,
    index,
    capacity: Math.max(0, Math.round(capacity ?? cls.units)),
    rentalDays: cat.rentalDays,
    summerExtraDays: spec?.summerExtraDays ?? 0,
    storeShare: truth.stores.reduce((s, st) => s + (st.share[cls.category] ?? 0), 0),
    seasonality: cat.seasonality,
  };
}

function baseMean(truth: SimulationTruth, p: ClassProcess, day: string): number {
  const years = (Date.parse(`${day}T00:00:00Z`) - Date.parse(`${truth.start}T00:00:00Z`)) / (365.25 * 86_400_000);
  const season = 1 + p.seasonality.amplitude * Math.cos((2 * Math.PI * (dayOfYear(day) - p.seasonality.peakDay)) / 365.25);
  return p.cls.baseDailyUnits * truth.weekly[weekday(day)]! * season * Math.exp(truth.trendPerYear * years);
}

/** Runs one class over days [start, start + n) with a price per day; counts only days at or after `countFrom`. */
function run(truth: SimulationTruth, p: ClassProcess, start: string, n: number, priceOn: (d: number) => number, seed: number, countFrom: number): ReplayOutcome {
  const back = new Float64Array(n + 40);
  let onShelf = p.capacity;
  const out: ReplayOutcome = { revenue: 0, units: 0, lines: 0, lostUnits: 0, stockoutDays: 0 };
  const c = p.cls;
  const dayZero = Date.parse(`${truth.start}T00:00:00Z`);
  for (let d = 0; d < n; d++) {
    onShelf += back[d]!;
    const day = addDays(start, d);
    const price = priceOn(d);
    const mean = p.storeShare * baseMean(truth, p, day) * (price / c.basePrice) ** c.elasticity;
    const rng = new Rng(mix(seed, p.index, Math.round((Date.parse(`${day}T00:00:00Z`) - dayZero) / 86_400_000)));
    const nLines = poissonInverse(rng.next(), mean / c.meanQty);
    const month = Number(day.slice(5, 7));
    let lost = 0;
    for (let l = 0; l < nLines; l++) {
      const qty = c.meanQty <= 1 ? 1 : 1 + rng.poisson((c.meanQty - 1) * rng.gamma(2, 0.5));
      const extra = month >= 6 && month <= 8 ? rng.int(0, p.summerExtraDays) : 0;
      const duration = rng.int(p.rentalDays[0], p.rentalDays[1]) + extra;
      const served = Math.min(qty, onShelf);
      onShelf -= served;
      lost += qty - served;
      // Back on the shelf the day after the due day, as in the simulator.
      if (served > 0 && d + duration + 1 < back.length) back[d + duration + 1] += served;
      if (d >= countFrom) {
        out.revenue += price * served;
        out.units += served;
        if (served > 0) out.lines++;
      }
    }
    if (d >= countFrom) {
      out.lostUnits += lost;
      if (lost > 0) out.stockoutDays++;
    }
  }
  return out;
}

/** Peak and off-peak prices per block: a line pays the peak price when it starts on one of the peak weekdays. */
export interface TieredPrices {
  peakWeekdays: readonly number[];
  peak: readonly number[];
  offPeak: readonly number[];
}

/** One price per block, or a peak and an off-peak price per block. */
export type PriceSchedule = readonly number[] | TieredPrices;

/** The price on day `d` (counted from `start`) of a schedule whose blocks start at `start`. */
function priceOnDay(schedule: PriceSchedule, start: string, block: number): (d: number) => number {
  const at = (xs: readonly number[], d: number) => xs[Math.min(xs.length - 1, Math.floor(d / block))]!;
  if (Array.isArray(schedule)) return (d) => at(schedule as readonly number[], d);
  const t = schedule as TieredPrices;
  const peak = new Set(t.peakWeekdays);
  const first = weekday(start);
  return (d) => at(peak.has((first + d) % 7) ? t.peak : t.offPeak, d);
}

/** One class's replay under a schedule: one price per block, or peak and off-peak prices per block. */
export function replayClass(truth: SimulationTruth, rentalClass: string, prices: PriceSchedule, options: ReplayOptions): ReplayOutcome {
  const i = truth.classes.findIndex((c) => c.rentalClass === rentalClass);
  if (i < 0) throw new Error(`no rental class ${rentalClass} in this simulation`);
  const p = processOf(truth, truth.classes[i]!, i, options.capacity?.get(rentalClass));
  return run(truth, p, options.from, options.days, priceOnDay(prices, options.from, options.blockDays ?? 28), options.seed, 0);
}

/**
 * The oracle: for each class and block, the price on the class's grid with the highest revenue under the true
 * demand, by replaying the block (after a week at that price, so the units out are as they would be) `reps`
 * times with seeds the evaluation does not use, common to the candidates.
 */
export function oracleSchedule(truth: SimulationTruth, grids: Map<string, readonly number[]>, options: ReplayOptions & { reps?: number }): Map<string, number[]> {
  const out = new Map<string, number[]>();
  oracleBlocks(truth, grids, options, (cls, search) =>
    out.set(
      cls,
      search.map(({ best }) => best((_, price) => price)),
    ),
  );
  return out;
}

/**
 * The oracle with peak and off-peak prices: per block, the best single price, then the best peak price with the
 * off-peak one held, then the best off-peak price with that peak one held (coordinate search on the same grid,
 * under the true demand, on the same seeds as `oracleSchedule`).
 */
export function oracleTieredSchedule(
  truth: SimulationTruth,
  grids: Map<string, readonly number[]>,
  options: ReplayOptions & { reps?: number; peakWeekdays: readonly number[] },
): Map<string, TieredPrices> {
  const out = new Map<string, TieredPrices>();
  const peak = new Set(options.peakWeekdays);
  oracleBlocks(truth, grids, options, (cls, search) => {
    const t: TieredPrices = { peakWeekdays: [...peak], peak: [], offPeak: [] };
    for (const { best, start } of search) {
      const first = weekday(start);
      const both = (pk: number, off: number) => (d: number) => (peak.has((first + d) % 7) ? pk : off);
      const single = best((_, price) => price);
      const pk = best((d, price) => both(price, single)(d));
      const off = best((d, price) => both(pk, price)(d));
      (t.peak as number[]).push(pk);
      (t.offPeak as number[]).push(off);
    }
    out.set(cls, t);
  });
  return out;
}

/** Each class's blocks, with a search that returns the grid price whose day-pricing (day, candidate) earns the most. */
function oracleBlocks(
  truth: SimulationTruth,
  grids: Map<string, readonly number[]>,
  options: ReplayOptions & { reps?: number },
  each: (rentalClass: string, search: { start: string; best: (priceOn: (d: number, candidate: number) => number) => number }[]) => void,
): void {
  const block = options.blockDays ?? 28;
  const reps = options.reps ?? 8;
  const warm = 7;
  truth.classes.forEach((cls, i) => {
    const grid = grids.get(cls.rentalClass);
    if (!grid?.length) return;
    const p = processOf(truth, cls, i, options.capacity?.get(cls.rentalClass));
    const search: { start: string; best: (priceOn: (d: number, candidate: number) => number) => number }[] = [];
    for (let b = 0; b * block < options.days; b++) {
      const start = addDays(options.from, b * block - warm);
      const n = Math.min(block, options.days - b * block) + warm;
      search.push({
        start,
        best(priceOn) {
          let best = grid[0]!;
          let bestRevenue = -1;
          for (const price of grid) {
            let revenue = 0;
            for (let r = 0; r < reps; r++) revenue += run(truth, p, start, n, (d) => priceOn(d, price), options.seed + 7919 * (r + 1), warm).revenue;
            if (revenue > bestRevenue + 1e-9) {
              bestRevenue = revenue;
              best = price;
            }
          }
          return best;
        },
      });
    }
    each(cls.rentalClass, search);
  });
}
