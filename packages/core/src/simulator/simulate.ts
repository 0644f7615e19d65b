import type { DatabaseHandle } from '../storage/database.js';
import { insertInChunks } from '../storage/database.js';
import type { InspectionFlagColumn, NewRow } from '../storage/schema.js';
import { INSPECTION_FLAG_COLUMNS } from '../storage/schema.js';
import { addDays, dayRange, isoDay, weekday } from '../time/dates.js';
import type { CategorySpec, Theme } from './catalog.js';
import { CATEGORIES, CLIENT_WORDS, DEFAULT_STORE_SHARE, GRADES, STAFF, STORES, THEMES } from './catalog.js';
import type { CalendarEffect, WeatherDay } from './calendar.js';
import { dayOfYear, holidayEffects, localEvents, simulateWeather } from './calendar.js';
import { Rng } from './rng.js';

/** Options of `simulate`: the seed and the size and span of the business. */
export interface SimulationOptions {
  /** Same seed, same business (default 42). */
  seed?: number;
  /** Tagged items to create (default 1,500; a few hundred to 500,000). */
  items?: number;
  /** Days of history (default 730). */
  days?: number;
  /** Last simulated day, YYYY-MM-DD (default: yesterday). */
  end?: string;
  /** Rental classes (default: items / 8, between 24 and 900). */
  classes?: number;
  /**
   * Also a class of single components beside each pack class ("FLATWARE FORK, DINNER" beside its "(10 PACK)"),
   * rented by the piece; a request the singles cannot serve bursts packs of that class (scans at bin location
   * `burst`), each serving its pack size. Off by default, so the same seed gives the same business as before.
   */
  packComponents?: boolean;
  /**
   * Holidays (by name, e.g. `DEFAULT_CLOSED_HOLIDAYS`) the stores are closed on: no contract starts that day.
   * None by default, so the same seed gives the same business as before.
   */
  closedHolidays?: readonly string[];
  /** Called as the simulation advances (fraction 0 … 1). */
  onProgress?(fraction: number, message: string): void;
}

/** The simulator's truth about one rental class: its demand parameters, prices and the stockouts and revenue that followed. */
export interface ClassTruth {
  rentalClass: string;
  commonName: string;
  category: string;
  subcategory: string;
  units: number;
  /** Expected units requested per day over all stores when every factor is 1, at the base price. */
  baseDailyUnits: number;
  /** Mean units per contract line. */
  meanQty: number;
  basePrice: number;
  elasticity: number;
  /** Price from each date on (the first entry is the base price from the start). */
  prices: { from: string; price: number }[];
  /** Units requested but not available (lost demand). */
  lostUnits: number;
  requestedUnits: number;
  /** Days on which the class turned units away (no table records this: it is the truth the KPIs are judged by). */
  stockoutDays: string[];
  /** Days on which, after the day's rentals, none of the class's units (some not retired) was left to rent. */
  soldOutDays: string[];
  /** Rental revenue of the units served (price of the day × units, as the contracts' rent amounts add it up). */
  revenue: number;
}

/** The simulator's truth about one category: utilisation, rental lengths, seasonality, elasticity, wear and grade transitions. */
export interface CategoryTruth {
  utilization: number;
  meanQty: number;
  rentalDays: [number, number];
  seasonality: { amplitude: number; peakDay: number };
  elasticity: number;
  /** P(failure on the n-th rental since service | none before) = 1 − exp(((n−1)/scale)^shape − (n/scale)^shape). */
  weibull: { shape: number; scale: number };
  /** P(grade after one rental = j | grade before = i), rows and columns in GRADES order. */
  gradeTransition: number[][];
}

/** Everything the simulator used, so tests can check that models recover it. Plain data. */
export interface SimulationTruth {
  seed: number;
  start: string;
  end: string;
  stores: { code: string; posCode: string; name: string; share: Record<string, number> }[];
  /** Demand factor per weekday, 0 = Sunday; mean 1. */
  weekly: number[];
  /** Demand grows by exp(trendPerYear · years since start). */
  trendPerYear: number;
  categories: Record<string, CategoryTruth>;
  calendar: CalendarEffect[];
  /** Demand × exp(tempAnomalyCoef · anomaly °C) × exp(rainDayCoef when precipitation ≥ rainThresholdMm). */
  weatherEffect: { tempAnomalyCoef: number; rainDayCoef: number; rainThresholdMm: number };
  weather: WeatherDay[];
  classes: ClassTruth[];
  /** With `packComponents`: each pack class, its component class and pack size, and how many packs were burst. */
  packs?: { pack: string; component: string; size: number; bursts: number }[];
  grades: readonly string[];
}

/** What `simulate` wrote: its truth, the row counts, and how long it took. */
export interface SimulationResult {
  truth: SimulationTruth;
  counts: { items: number; classes: number; scans: number; contracts: number; lines: number; failures: number; retired: number };
  ms: number;
}

const WEEKLY_RAW = [0.35, 0.55, 0.7, 0.9, 1.35, 1.85, 1.3];
const WEEKLY = WEEKLY_RAW.map((w) => (w * 7) / WEEKLY_RAW.reduce((a, b) => a + b, 0));
const TREND_PER_YEAR = 0.06;
const WEATHER = { tempAnomalyCoef: 0.02, rainDayCoef: -0.2, rainThresholdMm: 2 };
const FLUSH_ROWS = 20_000;
/** "(10 PACK)", "(25 RACK)" in a pack's name: its size. */
const PACK_SIZE = /\s*\((\d+)\s*(?:PACK|RACK)\)/i;

const STATUS_READY = 0;
const STATUS_OUT = 1;
const STATUS_REPAIR = 2;
const STATUS_RETIRED = 3;

interface OutRecord {
  item: number;
  contract: string;
  delivered: boolean;
  client: string;
}

/** One step of the per-rental grade chain of a category. */
function gradeMatrix(spec: CategorySpec): number[][] {
  const [p1, p2] = spec.gradeDrop;
  const n = GRADES.length;
  return Array.from({ length: n }, (_, i) => {
    const row = new Array<number>(n).fill(0);
    row[i] += 1 - p1 - p2;
    row[Math.min(n - 1, i + 1)] += p1;
    row[Math.min(n - 1, i + 2)] += p2;
    return row;
  });
}

/** Weibull discrete hazard on the n-th rental since service. */
export function weibullHazard(n: number, shape: number, scale: number): number {
  return 1 - Math.exp(((n - 1) / scale) ** shape - (n / scale) ** shape);
}

function seasonFactor(s: { amplitude: number; peakDay: number }, doy: number): number {
  return 1 + s.amplitude * Math.cos((2 * Math.PI * (doy - s.peakDay)) / 365.25);
}

/** The expected units requested of a class on a day (at one store, or all), as the simulator drew them. */
export function expectedDailyUnits(truth: SimulationTruth, rentalClass: string, day: string, store?: string): number {
  const cls = truth.classes.find((c) => c.rentalClass === rentalClass);
  if (!cls) throw new Error(`no rental class ${rentalClass} in this simulation`);
  const cat = truth.categories[cls.category]!;
  const share = store ? (truth.stores.find((s) => s.code === store)?.share[cls.category] ?? 0) : 1;
  const price = [...cls.prices].reverse().find((p) => p.from <= day)?.price ?? cls.basePrice;
  return cls.baseDailyUnits * share * demandFactor(truth, cat, day) * (price / cls.basePrice) ** cls.elasticity;
}

/** Product of the weekly, yearly, trend, calendar and weather factors for a category on a day. */
export function demandFactor(truth: SimulationTruth, cat: CategoryTruth, day: string): number {
  const years = (Date.parse(`${day}T00:00:00Z`) - Date.parse(`${truth.start}T00:00:00Z`)) / (365.25 * 86_400_000);
  let f = truth.weekly[weekday(day)]! * seasonFactor(cat.seasonality, dayOfYear(day)) * Math.exp(truth.trendPerYear * years);
  for (const e of truth.calendar) if (e.days.includes(day)) f *= e.multiplier;
  const w = truth.weather.find((x) => x.date === day);
  if (w) {
    f *= Math.exp(truth.weatherEffect.tempAnomalyCoef * w.tempAnomalyC);
    if (w.precipMm >= truth.weatherEffect.rainThresholdMm) f *= Math.exp(truth.weatherEffect.rainDayCoef);
  }
  return f;
}

function timeOfDay(rng: Rng, fromHour: number, toHour: number): string {
  const minutes = rng.int(fromHour * 60, toHour * 60 - 1);
  const h = String(Math.floor(minutes / 60)).padStart(2, '0');
  const m = String(minutes % 60).padStart(2, '0');
  const s = String(rng.int(0, 59)).padStart(2, '0');
  return `${h}:${m}:${s}`;
}

/** A rental class as the simulator draws it, with the demand it met and lost. */
interface SimClass {
  id: string;
  name: string;
  sub: string;
  cat: number;
  units: number;
  basePrice: number;
  elasticity: number;
  prices: { day: number; price: number }[];
  retail: number;
  sell: number;
  baseDaily: number;
  /** Units per contract line for this class: the category's, but never a large share of a small fleet. */
  meanQty: number;
  lost: number;
  requested: number;
  stockoutDays: number[];
  soldOutDays: number[];
  revenue: number;
  /** Tagged as packs (bin location `pack`): the category's packs, not their single components. */
  pack: boolean;
}

/** The pack class a single-component class bursts when it runs out, the pack's size, and how often it did. */
interface Burst {
  pack: number;
  size: number;
  bursts: number;
}

/** The tagged items, one slot per item (its index) in each array, and the shelves they wait on. */
interface Fleet {
  n: number;
  cls: Int32Array;
  home: Int8Array;
  grade: Int8Array;
  /** Rentals since the last service. */
  since: Int32Array;
  status: Int8Array;
  turnoverLtd: Float64Array;
  turnoverYtd: Float64Array;
  repairLtd: Float64Array;
  delivered: Uint8Array;
  tag: string[];
  created: string[];
  lastScan: (string | null)[];
  lastBy: (string | null)[];
  lastContract: (string | null)[];
  client: (string | null)[];
  /** Items ready to rent, per class and store. */
  pools: number[][][];
  /** Items retired, per class. */
  retiredBy: Int32Array;
}

/** A contract opened on the day being simulated, still taking lines. */
interface OpenContract {
  contract: string;
  delivered: boolean;
  client: string;
  lineNo: number;
  total: number;
}

/** A contract line drawn on the day, before it joins a contract: its store, class, units served and the items. */
interface StoreLine {
  store: number;
  cls: number;
  qty: number;
  items: number[];
}

/** Everything the phases of `simulate` share: the business drawn so far and the rows still to write. */
interface SimState {
  database: DatabaseHandle;
  rng: Rng;
  seed: number;
  nDays: number;
  start: string;
  end: string;
  days: string[];
  yearOfEnd: string;
  classes: SimClass[];
  burstFrom: Map<number, Burst>;
  weather: WeatherDay[];
  calendar: CalendarEffect[];
  calendarFactor: Map<string, number>;
  storeShares: SimulationTruth['stores'];
  fleet: Fleet;
  /** Scans not yet inserted (flushed every `FLUSH_ROWS`). */
  scanRows: NewRow<'id_transactions'>[];
  scans: number;
  failures: number;
  retired: number;
  contracts: NewRow<'pos_transactions'>[];
  contractRows: Map<string, NewRow<'pos_transactions'>>;
  lines: NewRow<'pos_transaction_items'>[];
  contractSeq: number;
  /** Items coming back, by day index. */
  returns: Map<number, OutRecord[]>;
  /** Items whose repair is done, by day index. */
  repairsDone: Map<number, number[]>;
  openLinesByContract: Map<string, NewRow<'pos_transaction_items'>[]>;
}

type InspectionFlags = Partial<Record<InspectionFlagColumn, number>>;

/**
 * Writes a realistic RFID3-shaped rental business into the database: items by rental class with
 * grades and packs, contracts and their scans with weekly and yearly seasonality, holidays, local
 * events and weather, wear, failures and repairs, and price changes with a known elasticity. The
 * tables must exist (run core's migrations) and be empty. Returns the parameters it used.
 */
export async function simulate(database: DatabaseHandle, options: SimulationOptions = {}): Promise<SimulationResult> {
  const started = performance.now();
  const seed = options.seed ?? 42;
  const nItems = Math.round(options.items ?? 1500);
  const nDays = Math.round(options.days ?? 730);
  if (!(nItems >= 50 && nItems <= 2_000_000)) throw new RangeError('items must be between 50 and 2,000,000');
  if (!(nDays >= 7 && nDays <= 3660)) throw new RangeError('days must be between 7 and 3,660');
  const end = options.end ?? addDays(isoDay(new Date()), -1);
  const start = addDays(end, -(nDays - 1));
  const days = dayRange(start, end);
  const rng = new Rng(seed);
  const progress = options.onProgress ?? (() => {});
  await assertEmpty(database);

  const { classes, burstFrom } = buildCatalog(rng, nItems, nDays, options);
  const weather = simulateWeather(days, rng);
  const calendar = [...holidayEffects(start, end), ...localEvents(start, end)];
  const state: SimState = {
    database,
    rng,
    seed,
    nDays,
    start,
    end,
    days,
    yearOfEnd: end.slice(0, 4),
    classes,
    burstFrom,
    weather,
    calendar,
    calendarFactor: calendarFactors(calendar, options.closedHolidays ?? []),
    storeShares: storeSharesByCategory(),
    fleet: createFleet(rng, classes, start),
    scanRows: [],
    scans: 0,
    failures: 0,
    retired: 0,
    contracts: [],
    contractRows: new Map(),
    lines: [],
    contractSeq: 100000,
    returns: new Map(),
    repairsDone: new Map(),
    openLinesByContract: new Map(),
  };
  for (let d = 0; d < nDays; d++) {
    await simulateDay(state, d);
    if (d % 30 === 29 || d === nDays - 1) progress((d + 1) / nDays, `simulated ${d + 1}/${nDays} days`);
  }
  await flushScans(state, true);
  closeContracts(state);
  await writeTables(state);

  const truth = buildTruth(state);
  progress(1, 'done');
  const { scans, failures, retired, contracts, lines } = state;
  return {
    truth,
    counts: { items: state.fleet.n, classes: classes.length, scans, contracts: contracts.length, lines: lines.length, failures, retired },
    ms: performance.now() - started,
  };
}

/** Refuses a database whose item master already has rows. */
async function assertEmpty(database: DatabaseHandle): Promise<void> {
  const existing = await database.db
    .selectFrom('id_item_master')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  if (Number(existing?.n ?? 0) > 0) throw new Error('id_item_master already has rows: simulate into an empty database');
}

// ---- catalog ----

/** The rental classes: drawn per category, with price changes, scaled to `nItems` units, and (with `packComponents`) each pack's singles. */
function buildCatalog(rng: Rng, nItems: number, nDays: number, options: SimulationOptions): { classes: SimClass[]; burstFrom: Map<number, Burst> } {
  const nClasses = Math.round(options.classes ?? Math.min(900, Math.max(24, nItems / 8)));
  const { classes, classNo } = drawClasses(rng, nItems, nClasses);
  drawPriceChanges(rng, classes, nDays);
  scaleFleet(classes, nItems);
  const burstFrom = new Map<number, Burst>();
  if (options.packComponents) addPackComponents(rng, classes, classNo, burstFrom);
  return { classes, burstFrom };
}

/** A class's demand counters, all zero. */
function noDemandYet(): Pick<SimClass, 'lost' | 'requested' | 'stockoutDays' | 'soldOutDays' | 'revenue'> {
  return { lost: 0, requested: 0, stockoutDays: [], soldOutDays: [], revenue: 0 };
}

/** Draws each category's classes (its share of `nClasses`) and splits the category's share of `nItems` among them. */
function drawClasses(rng: Rng, nItems: number, nClasses: number): { classes: SimClass[]; classNo: number } {
  const classShareTotal = CATEGORIES.reduce((s, c) => s + c.classShare, 0);
  const unitShareTotal = CATEGORIES.reduce((s, c) => s + c.unitShare, 0);
  const classes: SimClass[] = [];
  let classNo = 60000;
  CATEGORIES.forEach((spec, ci) => {
    const count = Math.max(1, Math.round((spec.classShare / classShareTotal) * nClasses));
    const units = Math.max(count, Math.round((spec.unitShare / unitShareTotal) * nItems));
    const weights = Array.from({ length: count }, (_, k) => rng.lognormal(0, 0.4) / (k + 1) ** 0.8);
    const wsum = weights.reduce((a, b) => a + b, 0);
    for (let k = 0; k < count; k++) {
      const { name, subcategory } = spec.names(k, rng);
      const basePrice = Math.round(rng.uniform(spec.price[0], spec.price[1]) * 4) / 4;
      classNo += rng.int(1, 37);
      classes.push({
        id: String(classNo),
        name,
        sub: subcategory,
        cat: ci,
        units: Math.max(1, Math.round((weights[k]! / wsum) * units)),
        basePrice,
        elasticity: Math.round((spec.elasticity + rng.normal(0, 0.15)) * 100) / 100,
        prices: [{ day: 0, price: basePrice }],
        retail: Math.round(basePrice * rng.uniform(8, 14) * 100) / 100,
        sell: Math.round(basePrice * rng.uniform(5, 8) * 100) / 100,
        baseDaily: 0,
        meanQty: 1,
        ...noDemandYet(),
        pack: !!spec.pack,
      });
    }
  });
  return { classes, classNo };
}

/** Price changes on about 40 % of classes, at random dates, by −20 % … +25 % each. */
function drawPriceChanges(rng: Rng, classes: SimClass[], nDays: number): void {
  for (const c of classes) {
    if (!rng.bernoulli(0.4) || nDays < 60) continue;
    const changes = rng.int(1, 3);
    const at = Array.from({ length: changes }, () => rng.int(30, nDays - 1)).sort((a, b) => a - b);
    let price = c.basePrice;
    for (const day of at) {
      price = Math.max(0.25, Math.round(price * rng.uniform(0.8, 1.25) * 4) / 4);
      if (price !== c.prices[c.prices.length - 1]!.price) c.prices.push({ day, price });
    }
  }
}

/** Mean rental length of a category, summer extension included. */
function meanRentalDays(spec: CategorySpec): number {
  return (spec.rentalDays[0] + spec.rentalDays[1]) / 2 + spec.summerExtraDays * 0.25;
}

/** Scales the classes' units to `nItems` in all (rounding per class), then sets each class's base demand and units per line. */
function scaleFleet(classes: SimClass[], nItems: number): void {
  const totalUnits = classes.reduce((s, c) => s + c.units, 0);
  const scale = nItems / totalUnits;
  for (const c of classes) c.units = Math.max(1, Math.round(c.units * scale));
  for (const c of classes) {
    const spec = CATEGORIES[c.cat]!;
    c.baseDaily = (spec.utilization * c.units) / meanRentalDays(spec);
    c.meanQty = Math.max(1, Math.min(spec.meanQty, c.units * 0.25));
  }
}

/** Single components of each pack class, rented by the piece; requests beyond the singles burst packs (recorded in `burstFrom`). */
function addPackComponents(rng: Rng, classes: SimClass[], classNo: number, burstFrom: Map<number, Burst>): void {
  const packClasses = classes.map((c, ci) => ({ c, ci })).filter(({ c }) => c.pack);
  for (const { c: pk, ci } of packClasses) {
    const m = PACK_SIZE.exec(pk.name);
    const size = m ? Number(m[1]) : 10;
    const spec = CATEGORIES[pk.cat]!;
    const units = Math.max(4, Math.round(pk.units * rng.uniform(1, 2)));
    const basePrice = Math.max(0.25, Math.round(((pk.basePrice * 1.5) / size) * 4) / 4);
    classNo += rng.int(1, 37);
    burstFrom.set(classes.length, { pack: ci, size, bursts: 0 });
    classes.push({
      id: String(classNo),
      name: pk.name.replace(PACK_SIZE, '').replace(/\s+/g, ' ').trim(),
      sub: 'Singles',
      cat: pk.cat,
      units,
      basePrice,
      elasticity: pk.elasticity,
      prices: [{ day: 0, price: basePrice }],
      retail: Math.round(((pk.retail * 1.2) / size) * 100) / 100,
      sell: Math.round(((pk.sell * 1.2) / size) * 100) / 100,
      // Asked for a little beyond what the singles can serve at the category's utilisation: peaks burst packs.
      baseDaily: (1.3 * spec.utilization * units) / meanRentalDays(spec),
      meanQty: Math.max(1, Math.min(12, units * 0.25)),
      ...noDemandYet(),
      pack: false,
    });
  }
}

// ---- calendar, stores, items ----

/** The calendar's demand multiplier per day; 0 on the holidays the stores are closed. */
function calendarFactors(calendar: CalendarEffect[], closedHolidays: readonly string[]): Map<string, number> {
  const calendarFactor = new Map<string, number>();
  for (const e of calendar) for (const d of e.days) calendarFactor.set(d, (calendarFactor.get(d) ?? 1) * e.multiplier);
  const closedOn = new Set(closedHolidays);
  for (const e of calendar) if (e.kind === 'holiday' && closedOn.has(e.name)) calendarFactor.set(e.date, 0);
  return calendarFactor;
}

/** Each store with its share of each category's demand. */
function storeSharesByCategory(): SimulationTruth['stores'] {
  return STORES.map((s) => {
    const share: Record<string, number> = {};
    for (const spec of CATEGORIES) share[spec.name] = spec.storeShare?.[s.code] ?? DEFAULT_STORE_SHARE[s.code]!;
    return { ...s, share };
  });
}

/** Creates every class's items at a drawn home store, with an age, a grade by age, rentals since service, turnover and a tag. */
function createFleet(rng: Rng, classes: SimClass[], start: string): Fleet {
  const N = classes.reduce((s, c) => s + c.units, 0);
  const fleet: Fleet = {
    n: N,
    cls: new Int32Array(N),
    home: new Int8Array(N),
    grade: new Int8Array(N),
    since: new Int32Array(N),
    status: new Int8Array(N),
    turnoverLtd: new Float64Array(N),
    turnoverYtd: new Float64Array(N),
    repairLtd: new Float64Array(N),
    delivered: new Uint8Array(N),
    tag: new Array(N),
    created: new Array(N),
    lastScan: new Array(N).fill(null),
    lastBy: new Array(N).fill(null),
    lastContract: new Array(N).fill(null),
    client: new Array(N).fill(null),
    pools: classes.map(() => STORES.map(() => [])),
    retiredBy: new Int32Array(classes.length),
  };
  const homeWeights = STORES.map((s) => DEFAULT_STORE_SHARE[s.code]!);
  let idx = 0;
  classes.forEach((c, ci) => {
    const spec = CATEGORIES[c.cat]!;
    const weights = STORES.map((s) => spec.storeShare?.[s.code] ?? homeWeights[STORES.indexOf(s)]!);
    for (let k = 0; k < c.units; k++, idx++) {
      fleet.cls[idx] = ci;
      const home = rng.weighted(weights);
      fleet.home[idx] = home;
      const ageDays = rng.int(30, 6 * 365);
      fleet.created[idx] = `${addDays(start, -ageDays)} ${timeOfDay(rng, 8, 17)}`;
      // Older items have had more rentals: start them further down the grade ladder.
      fleet.grade[idx] = Math.min(GRADES.length - 1, Math.floor(rng.gamma(1 + ageDays / 900, 0.9)));
      fleet.since[idx] = rng.int(0, Math.floor(spec.weibull.scale / 2));
      fleet.turnoverLtd[idx] = Math.round(c.basePrice * rng.uniform(0.5, 1.5) * (ageDays / 365) * 20 * 100) / 100;
      fleet.tag[idx] = rng.hex(24);
      fleet.pools[ci]![home]!.push(idx);
    }
  });
  return fleet;
}

// ---- scans ----

/** Records a scan of an item (a touch scan unless `fields` say otherwise) by a drawn staff member, and the item's last scan. */
function recordScan(st: SimState, item: number, day: string, time: string, fields: Partial<NewRow<'id_transactions'>>): void {
  const { fleet } = st;
  const c = st.classes[fleet.cls[item]!]!;
  const by = st.rng.pick(STAFF);
  const when = `${day} ${time}`;
  const row: NewRow<'id_transactions'> = {
    contract_number: null,
    tag_id: fleet.tag[item]!,
    scan_type: 'Touch Scan',
    scan_date: when,
    client_name: null,
    common_name: c.name,
    bin_location: c.pack ? 'pack' : null,
    status: null,
    scan_by: by,
    location_of_repair: null,
    quality: GRADES[fleet.grade[item]!],
    other: null,
    date_created: when,
    date_updated: when,
    serial_number: `SN${fleet.tag[item]!.slice(-8)}`,
    rental_class_num: c.id,
    longitude: null,
    latitude: null,
    notes: null,
  };
  for (const f of INSPECTION_FLAG_COLUMNS) row[f] = null;
  Object.assign(row, fields);
  st.scanRows.push(row);
  st.scans++;
  fleet.lastScan[item] = when;
  fleet.lastBy[item] = by;
}

/** Inserts the pending scans once there are `FLUSH_ROWS` of them (or any, with `force`). */
async function flushScans(st: SimState, force = false): Promise<void> {
  if (st.scanRows.length >= FLUSH_ROWS || (force && st.scanRows.length)) {
    const rows = st.scanRows;
    st.scanRows = [];
    await insertInChunks(st.database, 'id_transactions', rows);
  }
}

// ---- one day ----

/** One simulated day: repairs finished, new demand filled from the shelves, sold-out classes, contracts, returns. */
async function simulateDay(st: SimState, d: number): Promise<void> {
  const day = st.days[d]!;
  finishRepairs(st, d, day);
  const storeLines = drawDemand(st, d, day);
  markSoldOut(st, d);
  writeContracts(st, d, day, storeLines);
  processReturns(st, d, day);
  await flushScans(st);
}

/** The day's demand factor shared by every class: weekday, trend, calendar and weather. */
function commonDayFactor(st: SimState, d: number, day: string): number {
  const wx = st.weather[d]!;
  return (
    WEEKLY[weekday(day)]! *
    Math.exp(TREND_PER_YEAR * (d / 365.25)) *
    (st.calendarFactor.get(day) ?? 1) *
    Math.exp(WEATHER.tempAnomalyCoef * wx.tempAnomalyC) *
    (wx.precipMm >= WEATHER.rainThresholdMm ? Math.exp(WEATHER.rainDayCoef) : 1)
  );
}

/** A class's price on day index `d`. */
function priceOn(c: SimClass, d: number): number {
  let price = c.basePrice;
  for (const p of c.prices) if (p.day <= d) price = p.price;
  return price;
}

/** Repairs finished today: back on the shelf, one grade better, with no rentals since service. */
function finishRepairs(st: SimState, d: number, day: string): void {
  const { fleet } = st;
  for (const item of st.repairsDone.get(d) ?? []) {
    fleet.status[item] = STATUS_READY;
    fleet.since[item] = 0;
    if (fleet.grade[item]! > 0) fleet.grade[item]!--;
    // Before the day's first rentals (07:00), so the scan order matches the state the item is in.
    recordScan(st, item, day, timeOfDay(st.rng, 6, 7), { status: 'Ready to Rent', notes: 'repair complete' });
    fleet.pools[fleet.cls[item]!]![fleet.home[item]!]!.push(item);
  }
  st.repairsDone.delete(d);
}

/** The day's requests, per class and store, as contract lines filled from the shelves; counts what was requested, lost and earned. */
function drawDemand(st: SimState, d: number, day: string): StoreLine[] {
  const { rng } = st;
  const common = commonDayFactor(st, d, day);
  const doy = dayOfYear(day);
  const storeLines: StoreLine[] = [];
  for (let ci = 0; ci < st.classes.length; ci++) {
    const c = st.classes[ci]!;
    const spec = CATEGORIES[c.cat]!;
    const priceNow = priceOn(c, d);
    const classFactor = common * seasonFactor(spec.seasonality, doy) * (priceNow / c.basePrice) ** c.elasticity;
    const lostBefore = c.lost;
    for (let s = 0; s < STORES.length; s++) {
      const mean = c.baseDaily * st.storeShares[s]!.share[spec.name]! * classFactor;
      const nLines = rng.poisson(mean / c.meanQty);
      for (let l = 0; l < nLines; l++) {
        const qty = c.meanQty <= 1 ? 1 : 1 + rng.poisson((c.meanQty - 1) * rng.gamma(2, 0.5));
        c.requested += qty;
        const { got, served } = fillLine(st, ci, s, qty);
        c.lost += qty - served;
        c.revenue += priceNow * served;
        if (got.length > 0) storeLines.push({ store: s, cls: ci, qty: served, items: got });
      }
    }
    if (c.lost > lostBefore) c.stockoutDays.push(d);
  }
  return storeLines;
}

/** Takes a line's units off the shelves, its own store's first; when a class of singles runs out, packs are burst, each serving its size. */
function fillLine(st: SimState, ci: number, s: number, qty: number): { got: number[]; served: number } {
  const { pools } = st.fleet;
  const got: number[] = [];
  const order = [s, ...[0, 1, 2, 3].filter((x) => x !== s)];
  for (const src of order) {
    const pool = pools[ci]![src]!;
    while (got.length < qty && pool.length > 0) got.push(pool.pop()!);
    if (got.length === qty) break;
  }
  let served = got.length;
  const burst = st.burstFrom.get(ci);
  if (burst && served < qty) {
    for (const src of order) {
      const pool = pools[burst.pack]![src]!;
      while (served < qty && pool.length > 0) {
        got.push(pool.pop()!);
        served += burst.size;
        burst.bursts++;
      }
      if (served >= qty) break;
    }
    served = Math.min(qty, served);
  }
  return { got, served };
}

/** Sold out: after every class's rentals (bursts take from pack shelves too), none of its units left on a shelf. */
function markSoldOut(st: SimState, d: number): void {
  const { pools, retiredBy } = st.fleet;
  for (let ci = 0; ci < st.classes.length; ci++) {
    if (retiredBy[ci]! < st.classes[ci]!.units && pools[ci]!.every((pool) => pool.length === 0)) st.classes[ci]!.soldOutDays.push(d);
  }
}

/** Groups the day's lines into contracts by store and theme (what is rented together is realistic), writes their rows and rental scans. */
function writeContracts(st: SimState, d: number, day: string, storeLines: StoreLine[]): void {
  const { rng } = st;
  const month = Number(day.slice(5, 7));
  rng.shuffle(storeLines);
  const open = new Map<string, OpenContract[]>();
  for (const line of storeLines) {
    const c = st.classes[line.cls]!;
    const spec = CATEGORIES[c.cat]!;
    const theme: Theme = spec.themes[rng.weighted(spec.themes.map((t) => THEMES[t].weight))]!;
    const k = contractFor(st, open, line.store, theme, day);
    const priceNow = priceOn(c, d);
    const extra = month >= 6 && month <= 8 ? rng.int(0, spec.summerExtraDays) : 0;
    const duration = rng.int(spec.rentalDays[0], spec.rentalDays[1]) + extra;
    const back = d + duration;
    addLine(st, k, c, line.qty, priceNow, `${addDays(day, duration)} 17:00:00`, back < st.nDays);
    rentItems(st, k, line, priceNow, day, back);
  }
  for (const list of open.values()) {
    for (const k of list) {
      const row = st.contractRows.get(k.contract)!;
      row.rent_amt = Math.round(k.total * 100) / 100;
      row.total = row.rent_amt;
    }
  }
}

/** An open contract of the store and theme today (70 % of the time, when there is one), or a new one with its row. */
function contractFor(st: SimState, open: Map<string, OpenContract[]>, store: number, theme: Theme, day: string): OpenContract {
  const { rng } = st;
  const key = `${store}:${theme}`;
  const list = open.get(key) ?? [];
  const existing = list.length > 0 && !rng.bernoulli(0.3) ? list[rng.int(0, list.length - 1)]! : undefined;
  if (existing) return existing;
  const k: OpenContract = {
    contract: String(++st.contractSeq),
    delivered: rng.bernoulli(THEMES[theme].delivered),
    client: `${rng.pick(CLIENT_WORDS.last)} ${rng.pick(CLIENT_WORDS.kind)}`,
    lineNo: 0,
    total: 0,
  };
  list.push(k);
  open.set(key, list);
  const contractRow: NewRow<'pos_transactions'> = {
    contract_no: k.contract,
    store_no: STORES[store]!.posCode,
    customer_no: `C${10000 + rng.int(0, 4999)}`,
    status: 'OPEN',
    contract_date: `${day} ${timeOfDay(rng, 7, 11)}`,
    close_date: null,
    rent_amt: 0,
    sale_amt: 0,
    total: 0,
    promised_delivery_date: k.delivered ? `${day} 12:00:00` : null,
    actual_delivery_date: k.delivered ? `${day} ${timeOfDay(rng, 11, 15)}` : null,
    promised_pickup_date: null,
    actual_pickup_date: null,
    import_date: null,
  };
  st.contracts.push(contractRow);
  st.contractRows.set(k.contract, contractRow);
  return k;
}

/** Writes a contract line (returned `RR` when it comes back within the simulation, else `RX`) and adds it to the contract's total. */
function addLine(st: SimState, k: OpenContract, c: SimClass, qty: number, price: number, due: string, comesBack: boolean): void {
  const lineRow: NewRow<'pos_transaction_items'> = {
    contract_no: k.contract,
    item_num: c.id,
    qty,
    due_date: due,
    line_status: comesBack ? 'RR' : 'RX',
    price,
    desc: c.name,
    daily_amt: price,
    weekly_amt: Math.round(price * 3 * 100) / 100,
    monthly_amt: Math.round(price * 9 * 100) / 100,
    kit_field: c.pack ? 'PACK' : null,
    meter_out: null,
    meter_in: null,
    downtime_hrs: null,
    line_number: ++k.lineNo,
  };
  st.lines.push(lineRow);
  const contractLines = st.openLinesByContract.get(k.contract) ?? [];
  contractLines.push(lineRow);
  st.openLinesByContract.set(k.contract, contractLines);
  k.total += price * qty;
}

/** The line's items go out: their state, turnover, a rental (or delivery) scan, and their return on day index `back`. */
function rentItems(st: SimState, k: OpenContract, line: StoreLine, price: number, day: string, back: number): void {
  const { fleet } = st;
  const scanTime = timeOfDay(st.rng, 7, 11);
  for (const item of line.items) {
    fleet.status[item] = STATUS_OUT;
    fleet.delivered[item] = k.delivered ? 1 : 0;
    fleet.lastContract[item] = k.contract;
    fleet.client[item] = k.client;
    fleet.turnoverLtd[item] += price;
    if (day.startsWith(st.yearOfEnd)) fleet.turnoverYtd[item] += price;
    recordScan(st, item, day, scanTime, {
      contract_number: k.contract,
      scan_type: k.delivered ? 'Delivery' : 'Rental',
      client_name: k.client,
      status: k.delivered ? 'Delivered' : 'On Rent',
      // A pack going out on a line of its singles has been burst; it is packed again when it comes back.
      ...(fleet.cls[item] !== line.cls ? { bin_location: 'burst' } : {}),
    });
    if (back < st.nDays) {
      const list = st.returns.get(back) ?? [];
      list.push({ item, contract: k.contract, delivered: k.delivered, client: k.client });
      st.returns.set(back, list);
    }
  }
}

/** The day's returns: wear, inspection flags, failures into repair (or retirement). The rest are back on the shelf from tomorrow. */
function processReturns(st: SimState, d: number, day: string): void {
  for (const r of st.returns.get(d) ?? []) returnItem(st, r, d, day);
  st.returns.delete(d);
}

/** One item back from rent: a pickup scan if delivered, a grade drop, a Weibull failure draw, and its return scan. */
function returnItem(st: SimState, r: OutRecord, d: number, day: string): void {
  const { rng, fleet } = st;
  const item = r.item;
  const spec = CATEGORIES[st.classes[fleet.cls[item]!]!.cat]!;
  if (r.delivered) {
    recordScan(st, item, day, timeOfDay(rng, 8, 11), { contract_number: r.contract, scan_type: 'Pickup', client_name: r.client, status: 'Delivered' });
  }
  const u = rng.next();
  const drop = u < spec.gradeDrop[1] ? 2 : u < spec.gradeDrop[0] + spec.gradeDrop[1] ? 1 : 0;
  fleet.grade[item] = Math.min(GRADES.length - 1, fleet.grade[item]! + drop);
  fleet.since[item]!++;
  const wear = fleet.since[item]! / spec.weibull.scale;
  const failed = rng.bernoulli(weibullHazard(fleet.since[item]!, spec.weibull.shape, spec.weibull.scale));
  const flags = inspectionFlags(rng, spec, wear, failed);
  if (failed) {
    failReturn(st, r, d, day, spec, flags);
  } else {
    fleet.status[item] = STATUS_READY;
    recordScan(st, item, day, timeOfDay(rng, 12, 17), { ...flags, contract_number: r.contract, scan_type: 'Return', client_name: r.client, status: 'Ready to Rent' });
    fleet.pools[fleet.cls[item]!]![fleet.home[item]!]!.push(item);
  }
  fleet.client[item] = null;
}

/** The inspection flags of a return: wear shows as flags before it shows as a failure; dirt and wet come and go regardless. */
function inspectionFlags(rng: Rng, spec: CategorySpec, wear: number, failed: boolean): InspectionFlags {
  const flags: InspectionFlags = {};
  for (const f of INSPECTION_FLAG_COLUMNS) flags[f] = 0;
  for (const f of spec.wearFlags) if (f !== 'other' && rng.bernoulli(Math.min(0.9, 0.02 + 0.08 * wear + (failed ? 0.5 : 0)))) flags[f] = 1;
  if (rng.bernoulli(0.08)) flags.dirty_or_mud = 1;
  if (rng.bernoulli(0.04)) flags.wet = 1;
  return flags;
}

/** A failed return: retired if already at the worst grade (worn out and broken), otherwise into repair at a drawn cost and length. */
function failReturn(st: SimState, r: OutRecord, d: number, day: string, spec: CategorySpec, flags: InspectionFlags): void {
  const { rng, fleet } = st;
  const item = r.item;
  st.failures++;
  flags.service_required = 1;
  const cost = Math.round(rng.uniform(spec.repairCost[0], spec.repairCost[1]) * 100) / 100;
  const returned = { ...flags, contract_number: r.contract, scan_type: 'Return', client_name: r.client };
  if (fleet.grade[item] === GRADES.length - 1) {
    fleet.status[item] = STATUS_RETIRED;
    st.retired++;
    fleet.retiredBy[fleet.cls[item]!]!++;
    recordScan(st, item, day, timeOfDay(rng, 12, 17), { ...returned, status: 'Sold', bin_location: 'sold', notes: 'retired: worn out' });
    return;
  }
  fleet.status[item] = STATUS_REPAIR;
  fleet.repairLtd[item] += cost;
  const doneDay = d + rng.int(spec.repairDays[0], spec.repairDays[1]);
  if (doneDay < st.nDays) {
    const list = st.repairsDone.get(doneDay) ?? [];
    list.push(item);
    st.repairsDone.set(doneDay, list);
  }
  recordScan(st, item, day, timeOfDay(rng, 12, 17), {
    ...returned,
    status: 'Repair',
    location_of_repair: spec.repairLocation,
    notes: `repair estimate $${cost.toFixed(2)}`,
  });
}

// ---- after the last day ----

/** Closes the contracts whose every line came back, on their last line's due date (picked up then, if delivered). */
function closeContracts(st: SimState): void {
  for (const row of st.contracts) {
    const ls = st.openLinesByContract.get(row.contract_no as string) ?? [];
    if (ls.length && ls.every((l) => l.line_status === 'RR')) {
      const lastDue = ls
        .map((l) => l.due_date as string)
        .sort()
        .at(-1)!;
      row.status = 'CLOSED';
      row.close_date = lastDue;
      if (row.promised_delivery_date) row.actual_pickup_date = row.promised_pickup_date = lastDue.replace('17:00:00', '10:00:00');
    }
  }
}

/** Writes the catalog tables, the items' final state, the contracts and their lines, and the weather and events (the scans are written already). */
async function writeTables(st: SimState): Promise<void> {
  const { database, classes } = st;
  await insertInChunks(
    database,
    'rental_class_mappings',
    classes.map((c) => ({ rental_class_id: c.id, category: CATEGORIES[c.cat]!.name, subcategory: c.sub, short_common_name: c.name.slice(0, 50) })),
  );
  await insertInChunks(
    database,
    'pos_equipment',
    classes.map((c) => equipmentRow(st, c)),
  );
  const itemRows: NewRow<'id_item_master'>[] = [];
  for (let i = 0; i < st.fleet.n; i++) {
    itemRows.push(itemRow(st, i));
    if (itemRows.length >= FLUSH_ROWS) await insertInChunks(database, 'id_item_master', itemRows.splice(0));
  }
  await insertInChunks(database, 'id_item_master', itemRows);
  await insertInChunks(database, 'pos_transactions', st.contracts);
  await insertInChunks(database, 'pos_transaction_items', st.lines);
  await insertInChunks(database, 'external_data_factors', externalFactorRows(st));
}

/** A class's POS equipment row: its last price as the day rate, three days' as the week rate, and reorder levels. */
function equipmentRow(st: SimState, c: SimClass): NewRow<'pos_equipment'> {
  const spec = CATEGORIES[c.cat]!;
  const price = c.prices[c.prices.length - 1]!.price;
  return {
    item_num: c.id,
    name: c.name,
    category: spec.name,
    department: spec.department,
    qty: c.units,
    home_store: STORES[2]!.posCode,
    current_store: STORES[2]!.posCode,
    to_mtd: null,
    to_ytd: null,
    to_ltd: null,
    repair_cost_mtd: null,
    repair_cost_ltd: null,
    sell_price: c.sell,
    retail_price: c.retail,
    reorder_min: Math.max(1, Math.round(c.units * 0.1)),
    reorder_max: Math.max(2, Math.round(c.units * 0.3)),
    qty_on_order: 0,
    vendor_no_1: `V${100 + (c.cat % 7)}`,
    vendor_no_2: null,
    vendor_no_3: null,
    last_purchase_date: addDays(st.start, -st.rng.int(30, 900)),
    last_purchase_price: c.sell,
    rfid_rental_class_num: c.id,
    // A day's and a week's rate (the 24- and 168-hour periods); the other eight slots are empty.
    period_1: 24,
    rate_1: price,
    period_2: 168,
    rate_2: Math.round(price * 3 * 100) / 100,
    period_3: null,
    rate_3: null,
    period_4: null,
    rate_4: null,
    period_5: null,
    rate_5: null,
    period_6: null,
    rate_6: null,
    period_7: null,
    rate_7: null,
    period_8: null,
    rate_8: null,
    period_9: null,
    rate_9: null,
    period_10: null,
    rate_10: null,
  };
}

/** An item's row of the item master, in its state after the last day. */
function itemRow(st: SimState, i: number): NewRow<'id_item_master'> {
  const { fleet } = st;
  const c = st.classes[fleet.cls[i]!]!;
  const status = fleet.status[i]!;
  const home = STORES[fleet.home[i]!]!.code;
  return {
    tag_id: fleet.tag[i]!,
    serial_number: `SN${fleet.tag[i]!.slice(-8)}`,
    client_name: status === STATUS_OUT ? fleet.client[i] : null,
    rental_class_num: c.id,
    common_name: c.name,
    quality: GRADES[fleet.grade[i]!],
    bin_location: status === STATUS_RETIRED ? 'sold' : c.pack ? 'pack' : `NR${(i % 9) + 1}x${(i % 4) + 1}`,
    status: status === STATUS_OUT ? (fleet.delivered[i] ? 'Delivered' : 'On Rent') : status === STATUS_REPAIR ? 'Repair' : status === STATUS_RETIRED ? 'Sold' : 'Ready to Rent',
    last_contract_num: status === STATUS_OUT ? fleet.lastContract[i] : '00000',
    last_scanned_by: fleet.lastBy[i],
    notes: null,
    status_notes: null,
    longitude: null,
    latitude: null,
    date_last_scanned: fleet.lastScan[i],
    date_created: fleet.created[i],
    date_updated: fleet.lastScan[i] ?? fleet.created[i],
    home_store: home,
    current_store: home,
    identifier_type: 'RFID',
    item_num: i + 1,
    turnover_ytd: Math.round(fleet.turnoverYtd[i]! * 100) / 100,
    turnover_ltd: Math.round(fleet.turnoverLtd[i]! * 100) / 100,
    repair_cost_ltd: Math.round(fleet.repairLtd[i]! * 100) / 100,
    sell_price: c.sell,
    retail_price: c.retail,
    manufacturer: null,
  };
}

/** The external factors the simulation used: each day's temperature and precipitation, and the local events. */
function externalFactorRows(st: SimState): NewRow<'external_data_factors'>[] {
  const fetchedAt = `${st.end} 23:00:00`;
  const factor = (factor_type: string, factor_name: string, factor_date: string, value: number): NewRow<'external_data_factors'> => ({
    factor_type,
    factor_name,
    factor_date,
    location: 'all',
    value,
    value_json: null,
    source: 'simulator',
    is_forecast: 0,
    fetched_at: fetchedAt,
  });
  return [
    ...st.weather.flatMap((w) => [factor('weather', 'temp_c', w.date, w.tempC), factor('weather', 'precip_mm', w.date, w.precipMm)]),
    ...st.calendar.filter((e) => e.kind === 'event' && e.date >= st.start && e.date <= st.end).map((e) => factor('event', e.name, e.date, 1)),
  ];
}

/** The truth the simulation drew: stores, weekly and yearly factors, categories, calendar, weather, and each class's demand and prices. */
function buildTruth(st: SimState): SimulationTruth {
  const { classes, days, burstFrom } = st;
  const categories: Record<string, CategoryTruth> = {};
  for (const spec of CATEGORIES) {
    categories[spec.name] = {
      utilization: spec.utilization,
      meanQty: spec.meanQty,
      rentalDays: spec.rentalDays,
      seasonality: spec.seasonality,
      elasticity: spec.elasticity,
      weibull: spec.weibull,
      gradeTransition: gradeMatrix(spec),
    };
  }
  return {
    seed: st.seed,
    start: st.start,
    end: st.end,
    stores: st.storeShares,
    weekly: WEEKLY,
    trendPerYear: TREND_PER_YEAR,
    categories,
    calendar: st.calendar,
    weatherEffect: WEATHER,
    weather: st.weather,
    classes: classes.map((c) => ({
      rentalClass: c.id,
      commonName: c.name,
      category: CATEGORIES[c.cat]!.name,
      subcategory: c.sub,
      units: c.units,
      baseDailyUnits: c.baseDaily,
      meanQty: c.meanQty,
      basePrice: c.basePrice,
      elasticity: c.elasticity,
      prices: c.prices.map((p) => ({ from: days[p.day]!, price: p.price })),
      lostUnits: c.lost,
      requestedUnits: c.requested,
      stockoutDays: c.stockoutDays.map((d) => days[d]!),
      soldOutDays: c.soldOutDays.map((d) => days[d]!),
      revenue: Math.round(c.revenue * 100) / 100,
    })),
    ...(burstFrom.size ? { packs: [...burstFrom].map(([ci, b]) => ({ pack: classes[b.pack]!.id, component: classes[ci]!.id, size: b.size, bursts: b.bursts })) } : {}),
    grades: GRADES,
  };
}
