import { addDays, normalQuantile, ON_RENT_STATUSES, plainDay } from '@rfid3/core';
import type { DatabaseHandle, InventoryData, Prediction } from '@rfid3/core';
import type { DemandForecaster } from '@rfid3/plugin-demand';
import { sql } from 'kysely';
import { classAlert, onRentSurvival } from './alerts/class-alert.js';
import type { Severity } from './alerts/class-alert.js';
import { allocateBudget, concaveUnitValues, expectedStockoutDays, stockoutTable } from './policy/allocation.js';
import type { OnRentForecast, StockoutTable } from './policy/allocation.js';
import { reorderLevels } from './policy/reorder-policy.js';
import type { ReorderLevels } from './policy/reorder-policy.js';
import { velocityClasses } from './velocity/velocity.js';
import type { VelocityClass } from './velocity/velocity.js';

/** Settings of `analyseRestock`: lead time, horizon, service level and the economics of a purchased unit. */
export interface RestockSettings {
  leadTimeDays: number;
  horizonDays: number;
  serviceLevel: number;
  /** Years a purchased unit earns before it is sold off. */
  expectedLifeYears: number;
  /** Share of rental revenue a unit keeps as margin (after cleaning, handling and wear). */
  marginalRevenueShare: number;
  /** Sub-renting a unit for a day costs this share of its daily rate. */
  subRentCostShare: number;
  /** A unit is worth buying (or sub-renting) when it avoids at least this many expected stockout days. */
  minStockoutDaysAvoided: number;
  /** At most this many units bought in all (the ones avoiding the most stockout days); none: no unit budget. */
  budgetUnits?: number;
  /** At most this many dollars spent in all (best stockout days avoided per dollar first); none: no dollar budget. */
  budgetUsd?: number;
}

/** The restock analysis of one rental class. */
export interface ClassRestock {
  rentalClass: string;
  commonName: string | null;
  category: string;
  units: number;
  /** Units on order in Point of Rental (`qty_on_order`), counted as owned from the first day. */
  onOrder: number;
  onRentNow: number;
  /** The day with the highest chance of turning a request away with the units owned and on order. */
  peakDay: string;
  /** P(a request goes unserved) on the peak day with the units owned and on order. */
  shortfallProbability: number;
  /** Units on rent on the peak day (not limited by the fleet): median and 90th percentile. */
  peakOnRentP50: number;
  peakOnRentP90: number;
  /** Expected units short on the peak day: E[max(0, units on rent − owned − on order)]. */
  expectedShortfall: number;
  /** Units short at the 90th percentile: max(0, peakOnRentP90 − owned − on order). */
  shortfallP90: number;
  /** Days of the window whose stockout probability exceeds 1 − service level. */
  shortDays: number;
  /** Expected stockout days over the whole window (lead time + horizon) with the units owned and on order. */
  expectedStockoutDays: number;
  /** The same over the lead time only (before a unit ordered now can arrive). */
  leadTimeStockoutDays: number;
  /** Expected stockout days that the 1st, 2nd, … extra unit, arriving after the lead time, avoids until the window ends (on the concave envelope: see `concaveUnitValues`). */
  marginalAvoided: number[];
  /** Reorder point and order-up-to level from the forecast distribution of lead-time demand at the service level. */
  reorder: ReorderLevels;
  /** From the shortfall probability and the expected shortfall (`alertSeverity`). */
  severity: Severity | null;
  price: number;
  unitCost: number;
  resaleValue: number;
  revenueLastYear: number;
  meanRentalDays: number;
  velocity: VelocityClass | null;
  /** Buy, sub-rent or nothing, with the economics of each. */
  recommendation: {
    action: 'buy' | 'sub-rent' | 'none';
    quantity: number;
    /** Expected stockout days the recommended units avoid (after the lead time for a purchase, within it for a sub-rental). */
    stockoutDaysAvoided: number;
    purchaseCost: number;
    /** (margin over the expected life + resale − cost) ÷ cost of the units bought (of one more unit when none is). */
    purchaseRoi: number;
    subRentCost: number;
    expectedProfit: number;
    reason: string;
    /**
     * What a purchase is expected to do within the window, to be compared with what happens (the decision's
     * predicted impact): the unit-days the bought units are on rent from their arrival to the window's end (on the
     * days units on rent exceed the units owned and on order now) and that rent at the daily rate.
     */
    impact: { from: string; to: string; baseUnits: number; unitDays: number; dailyRate: number; revenue: number } | null;
  };
}

/** What one class's forecast tells before the units to buy are chosen across classes. */
interface ClassForecast {
  base: Omit<ClassRestock, 'recommendation'>;
  forecast: OnRentForecast;
  table: StockoutTable;
  /** Units owned and on order (the table's column of the current fleet). */
  u0: number;
  subRentDays: number;
  /** Expected stockout days the 1st, 2nd, … sub-rented unit avoids within the lead time. */
  leadAvoided: number[];
  /** Margin the 1st, 2nd, … extra unit earns over its expected life (see `marginalUnitRevenue`). */
  unitLifeRevenue: number[];
  purchaseRoi: number;
}

/**
 * Restock analysis of every rental class with the policy the restock simulation evaluates: from the demand
 * plugin's forecast distribution (category forecasts with their intervals, split by each class's share of the
 * last year's units), the rentals already out (by due date) and the contract lines' rental lengths and units
 * per line, the chance on each day of lead time + horizon that a request goes unserved with u units
 * (`stockoutTable`, a scaled-Poisson tail of units on rent), hence each class's expected stockout days and the
 * stockout days each extra unit avoids (`concaveUnitValues`). The units to buy are chosen across classes by
 * `allocateBudget`: every unit avoiding at least `minStockoutDaysAvoided` after the lead time, within the unit
 * budget (most valuable first), then within the dollar budget (most stockout days avoided per dollar first).
 */
export async function analyseRestock(
  deps: { database: DatabaseHandle; inventory: InventoryData; forecaster: DemandForecaster },
  s: RestockSettings,
): Promise<{ asOf: string; classes: ClassRestock[] }> {
  const asOf = deps.forecaster.dataThrough();
  const history = await loadHistory(deps, asOf);
  const forecasts = await categoryForecasts(deps.forecaster, s);
  const prepared = history.classes.map((c) => prepareClass(c, history, forecasts.get(c.category) ?? [], s, asOf));
  const buy = unitsToBuy(prepared, s);
  const recommend = recommender(asOf, s, prepared[0]?.table.days ?? 0);
  return { asOf, classes: prepared.map((c, ci) => ({ ...c.base, recommendation: recommend(c, buy[ci]!) })) };
}

/** A class's last year of contract lines, summed. */
interface LineStats {
  qty: number;
  qty2: number;
  revenue: number;
  days: number;
  lines: number;
  weekly: number[];
  /** Units still out after the cut-off, by the day (index from the year's first day) they are due back. */
  outOn: Map<number, number>;
}

/** What the database says about the last year: classes, units on rent now, contract lines, equipment rows. */
interface History {
  classes: Awaited<ReturnType<InventoryData['rentalClasses']>>;
  onRentBy: Map<string, number>;
  stats: Map<string, LineStats>;
  /** Per category: P(a unit rented j days before a day is still out that day). */
  stillOutBy: Map<string, Float64Array>;
  /** Per category: units, units², lines of its classes' contract lines. */
  catQty: Map<string, { qty: number; qty2: number; lines: number }>;
  equipment: Map<string, { rate_1: unknown; retail_price: unknown; sell_price: unknown; qty_on_order: unknown }>;
  velocity: Map<string, VelocityClass>;
}

/** Phase 1: the last 365 days of contract lines, units on rent now and the equipment rows, summed per class and category. */
async function loadHistory(deps: { database: DatabaseHandle; inventory: InventoryData }, asOf: string): Promise<History> {
  const { database, inventory } = deps;
  const from = addDays(asOf, -364);
  const classes = await inventory.rentalClasses();
  const onRent = await database.db
    .selectFrom('id_item_master')
    .select(['rental_class_num', sql<number>`count(*)`.as('n')])
    .where('status', 'in', [...ON_RENT_STATUSES])
    .groupBy('rental_class_num')
    .execute();
  const onRentBy = new Map(onRent.map((r) => [String(r.rental_class_num), Number(r.n)]));
  const lines = await database.db
    .selectFrom('pos_transaction_items as i')
    .innerJoin('pos_transactions as t', 't.contract_no', 'i.contract_no')
    .select(['i.item_num as cls', 't.contract_date as date', 'i.due_date as due', 'i.qty as qty', 'i.price as price'])
    .where('t.contract_date', '>=', `${from} 00:00:00`)
    .where('t.contract_date', '<=', `${asOf} 23:59:59`)
    .execute();
  const equipment = await database.db.selectFrom('pos_equipment').select(['item_num', 'rate_1', 'retail_price', 'sell_price', 'qty_on_order']).execute();
  const category = new Map(classes.map((c) => [c.rentalClass, c.category]));

  const dayIndex = (d: string) => Math.round((Date.parse(`${d.slice(0, 10)}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
  const stats = new Map<string, LineStats>();
  // Rental lengths (days) of the category's lines: P(a unit rented j days before a day is still out that day).
  const lengths = new Map<string, number[]>();
  for (const l of lines) {
    const cls = String(l.cls);
    let st = stats.get(cls);
    if (!st) stats.set(cls, (st = { qty: 0, qty2: 0, revenue: 0, days: 0, lines: 0, weekly: new Array(52).fill(0), outOn: new Map() }));
    const qty = Number(l.qty ?? 0);
    const start = dayIndex(String(l.date));
    const back = l.due ? dayIndex(String(l.due)) : start + 1;
    const len = Math.max(1, back - start);
    st.qty += qty;
    st.qty2 += qty * qty;
    st.revenue += qty * Number(l.price ?? 0) * len;
    st.days += len;
    st.lines += 1;
    st.weekly[Math.min(51, Math.floor(start / 7))] += qty;
    const cat = category.get(cls) ?? 'Other';
    const counts = lengths.get(cat) ?? lengths.set(cat, []).get(cat)!;
    counts[len] = (counts[len] ?? 0) + 1;
    if (back > 364) st.outOn.set(back, (st.outOn.get(back) ?? 0) + qty);
  }
  const stillOutBy = new Map<string, Float64Array>();
  for (const [cat, counts] of lengths) {
    const n = counts.reduce((a, x) => a + (x ?? 0), 0);
    const p = new Float64Array(Math.max(1, counts.length - 1));
    for (let j = 0; j < p.length; j++) {
      let longer = 0;
      for (let len = j + 1; len < counts.length; len++) longer += counts[len] ?? 0;
      p[j] = n > 0 ? longer / n : j === 0 ? 1 : 0;
    }
    stillOutBy.set(cat, p);
  }
  const catQty = new Map<string, { qty: number; qty2: number; lines: number }>();
  for (const [cls, st] of stats) {
    const cat = category.get(cls) ?? 'Other';
    const c = catQty.get(cat) ?? catQty.set(cat, { qty: 0, qty2: 0, lines: 0 }).get(cat)!;
    c.qty += st.qty;
    c.qty2 += st.qty2;
    c.lines += st.lines;
  }
  const velocity = new Map(
    velocityClasses(
      classes.map((c) => ({ id: c.rentalClass, revenue: stats.get(c.rentalClass)?.revenue ?? 0, demand: stats.get(c.rentalClass)?.weekly ?? new Array(52).fill(0) })),
    ).map((v) => [v.id, v]),
  );
  return { classes, onRentBy, stats, stillOutBy, catQty, equipment: new Map(equipment.map((e) => [String(e.item_num), e])), velocity };
}

/** Phase 2: the demand plugin's daily forecast distribution per category over lead time + horizon, in date order. */
async function categoryForecasts(forecaster: DemandForecaster, s: RestockSettings): Promise<Map<string, Prediction[]>> {
  const weeks = Math.min(8, Math.ceil((s.leadTimeDays + s.horizonDays) / 7));
  // One call: with no category the demand plugin forecasts every category (target.id is the category).
  const forecasts = new Map<string, Prediction[]>();
  for (const p of await forecaster.forecast({ weeks })) {
    if (!p.targetDate || p.target.store) continue;
    (forecasts.get(p.target.id) ?? forecasts.set(p.target.id, []).get(p.target.id)!).push(p);
  }
  for (const list of forecasts.values()) list.sort((a, b) => (a.targetDate! < b.targetDate! ? -1 : 1));
  return forecasts;
}

/** Day index of the window on which a unit ordered now arrives (day asOf + lead time). */
const arrivalDay = (s: RestockSettings) => Math.max(0, s.leadTimeDays - 1);

/**
 * Phase 3, per class: units on rent on each day of the window (known returns, rentals carried over, new rentals
 * from the category forecast split by the class's share), its stockout table and alert, reorder levels and the
 * value of each extra unit.
 */
function prepareClass(c: History['classes'][number], h: History, categoryDaily: Prediction[], s: RestockSettings, asOf: string): ClassForecast {
  const L = s.leadTimeDays;
  const arrival = arrivalDay(s);
  const tolerated = 1 - s.serviceLevel;
  const st = h.stats.get(c.rentalClass);
  const cq = h.catQty.get(c.category);
  const share = st && cq && cq.qty > 0 ? st.qty / cq.qty : 0;
  const meanRentalDays = st && st.lines > 0 ? st.days / st.lines : 1;
  // Units per line, and E[q²]/E[q], from the class's lines (from its category's with fewer than 10).
  const q = st && st.lines >= 10 ? st : cq && cq.lines > 0 ? cq : null;
  const meanQty = q && q.lines > 0 && q.qty > 0 ? q.qty / q.lines : 1;
  const dispersion = q && q.qty > 0 ? Math.max(1, q.qty2 / q.qty) : 1;
  const so = h.stillOutBy.get(c.category) ?? Float64Array.of(1);
  const daily = categoryDaily.slice(0, L + s.horizonDays);
  const days = daily.length;
  const today = Float64Array.from(daily, (p) => Math.max(0, p.value * share));
  const demandVar = Float64Array.from(daily, (p) => {
    const i = p.intervals?.[0];
    if (!i) return 0;
    return (((i.upper - i.lower) / (2 * normalQuantile(0.5 + i.level / 2))) * share) ** 2;
  });
  const known = new Float64Array(days);
  const carried = new Float64Array(days);
  const errorVariance = new Float64Array(days);
  const carriedErrorVariance = new Float64Array(days);
  for (let i = 0; i < days; i++) {
    // Units out now and due back after day i (day index 365 + i from the year's first day).
    for (const [back, n] of st?.outOn ?? []) if (back > 365 + i) known[i] += n;
    let m = 0;
    let v = 0;
    for (let j = 1; j <= i && j < so.length; j++) {
      m += today[i - j]! * so[j]!;
      v += demandVar[i - j]! * so[j]! ** 2;
    }
    carried[i] = m;
    carriedErrorVariance[i] = v;
    errorVariance[i] = v + demandVar[i]!;
  }
  const onRentForecast = { known, carried, today, dispersion, meanQty, errorVariance, carriedErrorVariance };
  const table = stockoutTable(onRentForecast, 0);
  const e = h.equipment.get(c.rentalClass);
  const onOrder = Math.max(0, Number(e?.qty_on_order ?? 0));
  const u0 = c.units + onOrder;
  const col = Math.min(u0, table.width - 1);
  let shortDays = 0;
  for (let i = 0; i < days; i++) if (table.p[i * table.width + col]! > tolerated) shortDays++;
  const alert = classAlert(onRentForecast, u0, table);
  // Lead-time demand (units going out) at the service level: compound-Poisson plus the forecast's own variance.
  let leadMean = 0;
  let leadVar = 0;
  for (let i = 0; i < Math.min(L, days); i++) {
    leadMean += today[i]!;
    leadVar += demandVar[i]!;
  }
  leadVar += leadMean * dispersion;
  let reviewMean = 0;
  for (let i = L; i < days; i++) reviewMean += today[i]!;
  const price = Number(e?.rate_1 ?? 0);
  const unitCost = Number(e?.retail_price ?? 0);
  const resaleValue = Number(e?.sell_price ?? 0) * 0.5;
  const revenueLastYear = st?.revenue ?? 0;
  const marginalAvoided = concaveUnitValues(table, u0, arrival);
  const unitLifeRevenue = marginalUnitRevenue(
    { table, u0, arrival, units: c.units, revenueLastYear, price, onRentMean: (i) => known[i]! + carried[i]! + today[i]! },
    marginalAvoided.length,
    s,
  );
  return {
    forecast: onRentForecast,
    table,
    u0,
    subRentDays: shortDays,
    leadAvoided: concaveUnitValues(table, u0, 0, arrival),
    unitLifeRevenue,
    purchaseRoi: unitCost > 0 ? ((unitLifeRevenue[0] ?? 0) + resaleValue - unitCost) / unitCost : 0,
    base: {
      rentalClass: c.rentalClass,
      commonName: c.commonName,
      category: c.category,
      units: c.units,
      onOrder,
      onRentNow: h.onRentBy.get(c.rentalClass) ?? 0,
      peakDay: addDays(asOf, alert.peakDay + 1),
      shortfallProbability: alert.shortfallProbability,
      peakOnRentP50: alert.onRentP50,
      peakOnRentP90: alert.onRentP90,
      expectedShortfall: alert.expectedShortfall,
      shortfallP90: alert.shortfallP90,
      shortDays,
      expectedStockoutDays: expectedStockoutDays(table, u0),
      leadTimeStockoutDays: expectedStockoutDays(table, u0, 0, arrival),
      marginalAvoided,
      reorder: reorderLevels({ mean: leadMean, variance: leadVar }, reviewMean, s.serviceLevel),
      severity: alert.severity,
      price,
      unitCost,
      resaleValue,
      revenueLastYear,
      meanRentalDays,
      velocity: h.velocity.get(c.rentalClass) ?? null,
    },
  };
}

/**
 * Phase 4: units to buy across classes: the allocation of the simulation with one block (units ordered now, held
 * to the window's end), a price of at least `minStockoutDaysAvoided` per unit and the unit budget; then the
 * dollar budget, by stockout days avoided per dollar, each class's units in order.
 */
function unitsToBuy(prepared: ClassForecast[], s: RestockSettings): number[] {
  const allocation = allocateBudget({
    classes: prepared.map((c) => ({ layers: c.base.marginalAvoided.map((v) => [v]) })),
    blockStarts: [0],
    end: 1,
    committed: 0,
    budget: s.budgetUnits ?? Number.POSITIVE_INFINITY,
    minPrice: s.minStockoutDaysAvoided,
  });
  const buy = allocation.buyNow.slice();
  if (s.budgetUsd === undefined) return buy;
  const units = prepared.flatMap((c, ci) => c.base.marginalAvoided.slice(0, buy[ci]).map((v, j) => ({ ci, j, v, cost: c.base.unitCost })));
  units.sort((a, b) => b.v / Math.max(a.cost, 1e-9) - a.v / Math.max(b.cost, 1e-9) || b.v - a.v);
  const taken = buy.map(() => 0);
  let left = s.budgetUsd;
  for (const u of units) {
    if (taken[u.ci] !== u.j || u.cost > left) continue;
    taken[u.ci]!++;
    left -= u.cost;
  }
  return taken;
}

/** Phase 5: each class's recommendation (buy, sub-rent or nothing) with its economics and a reason in a rental manager's words. */
function recommender(asOf: string, s: RestockSettings, windowDays: number): (c: ClassForecast, toBuy: number) => ClassRestock['recommendation'] {
  const L = s.leadTimeDays;
  const arrival = arrivalDay(s);
  /** Expected unit-days on rent of `n` units bought now, from their arrival to the window's end: Σ_days E[min(n, (X − u0)⁺)]. */
  const windowImpact = (c: ClassForecast, n: number): ClassRestock['recommendation']['impact'] => {
    let unitDays = 0;
    for (let i = arrival; i < c.table.days; i++) {
      const survival = onRentSurvival(c.forecast, i, c.u0 + n);
      for (let k = 0; k < n; k++) unitDays += survival[c.u0 + k]!;
    }
    const dailyRate = c.base.price;
    return { from: addDays(asOf, arrival + 1), to: addDays(asOf, c.table.days), baseUnits: c.u0, unitDays, dailyRate, revenue: unitDays * dailyRate };
  };
  const arrivalStockoutDays = (c: ClassForecast) => expectedStockoutDays(c.table, c.u0, arrival);
  // The reasons are read by a rental manager: days as on a calendar, expected days in tenths.
  const day = (d: string) => plainDay(d, Number(asOf.slice(0, 4)));
  const daysText = (n: number) => `${n.toFixed(1)} day${n.toFixed(1) === '1.0' ? '' : 's'}`;
  return (c, toBuy) => {
    const b = c.base;
    // Units that pay back: the k-th extra unit rents less than the one before it, so stop at the first that does not.
    let n = 0;
    while (n < toBuy && (b.unitCost === 0 || (c.unitLifeRevenue[n] ?? 0) + b.resaleValue > b.unitCost)) n++;
    const avoided = b.marginalAvoided.slice(0, n).reduce((a, x) => a + x, 0);
    const lifeRevenue = c.unitLifeRevenue.slice(0, n).reduce((a, x) => a + x, 0);
    const roiOf = (k: number) => (b.unitCost > 0 && k > 0 ? (lifeRevenue + k * (b.resaleValue - b.unitCost)) / (k * b.unitCost) : c.purchaseRoi);
    const subRentQty = c.leadAvoided.filter((v) => v >= s.minStockoutDaysAvoided).length;
    const make = (
      action: ClassRestock['recommendation']['action'],
      quantity: number,
      stockoutDaysAvoided: number,
      expectedProfit: number,
      reason: string,
    ): ClassRestock['recommendation'] => ({
      action,
      quantity,
      stockoutDaysAvoided,
      purchaseCost: quantity * b.unitCost,
      purchaseRoi: action === 'buy' ? roiOf(quantity) : c.purchaseRoi,
      subRentCost: quantity * b.price * s.subRentCostShare * Math.max(1, c.subRentDays),
      expectedProfit,
      reason,
      impact: action === 'buy' ? windowImpact(c, quantity) : null,
    });
    if (n > 0) {
      return make(
        'buy',
        n,
        avoided,
        lifeRevenue + n * (b.resaleValue - b.unitCost),
        `Order ${n} now: ${n === 1 ? 'it arrives' : 'they arrive'} ${day(addDays(asOf, L))} and ${n === 1 ? 'covers' : 'cover'} about ${daysText(avoided)} of the ${daysText(arrivalStockoutDays(c))} expected to turn rentals away from then to ${day(addDays(asOf, windowDays))}` +
          (b.unitCost > 0
            ? `; ${n === 1 ? 'it pays' : 'they pay'} back ${(roiOf(n) * 100).toFixed(0)} % of ${n === 1 ? 'its' : 'their'} cost over ${s.expectedLifeYears} years, renting on the days demand is above the units owned`
            : '; no unit cost on file'),
      );
    }
    if (toBuy > 0 || subRentQty > 0) {
      const qty = Math.max(toBuy, subRentQty);
      const avoidedSub = toBuy > 0 ? b.marginalAvoided.slice(0, toBuy).reduce((a, x) => a + x, 0) : c.leadAvoided.slice(0, qty).reduce((a, x) => a + x, 0);
      return make(
        'sub-rent',
        qty,
        avoidedSub,
        qty * b.price * Math.max(1, c.subRentDays) * (1 - s.subRentCostShare),
        toBuy > 0
          ? `Buying does not pay back (${(c.purchaseRoi * 100).toFixed(0)} % of its cost: one more unit would rent only on the days demand is above the units owned); sub-renting ${qty} covers about ${daysText(avoidedSub)} expected to turn rentals away`
          : `About ${daysText(b.leadTimeStockoutDays)} turning rentals away expected in the next ${L} days, before a purchase can arrive; sub-renting ${qty} covers about ${daysText(avoidedSub)}`,
      );
    }
    return make('none', 0, 0, 0, `No extra unit would spare ${daysText(s.minStockoutDaysAvoided)} of turning rentals away`);
  };
}

/**
 * Margin the 1st, 2nd, … extra unit earns over its expected life. An extra unit is on rent only on the days demand
 * for units on rent exceeds the fleet, so over the window after it arrives it rents for the expected stockout days
 * at u0 + k units, against the average unit's expected days on rent (mean units on rent ÷ u0) in the same window;
 * that ratio, times last year's revenue per unit (a whole year, so seasons are counted once), is what the k-th unit
 * earns a year. With no unit owned there is no average unit: its rented days at the daily rate, scaled to a year.
 */
export function marginalUnitRevenue(
  c: { table: StockoutTable; u0: number; arrival: number; units: number; revenueLastYear: number; price: number; onRentMean(i: number): number },
  count: number,
  s: Pick<RestockSettings, 'expectedLifeYears' | 'marginalRevenueShare'>,
): number[] {
  const { table, u0, arrival } = c;
  const span = Math.max(1, table.days - arrival);
  let averageUnitDays = 0;
  if (u0 > 0) for (let i = arrival; i < table.days; i++) averageUnitDays += Math.min(u0, Math.max(0, c.onRentMean(i))) / u0;
  const perUnitYear = c.units > 0 ? c.revenueLastYear / c.units : 0;
  const out: number[] = [];
  for (let k = 0; k < count; k++) {
    const rentedDays = expectedStockoutDays(table, Math.max(0, u0 + k - table.from), arrival);
    const yearly = averageUnitDays > 1e-9 && perUnitYear > 0 ? perUnitYear * Math.min(1, rentedDays / averageUnitDays) : (rentedDays * c.price * 365) / span;
    out.push(yearly * s.marginalRevenueShare * s.expectedLifeYears);
  }
  return out;
}
