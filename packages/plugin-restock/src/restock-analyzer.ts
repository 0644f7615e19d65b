import { addDays, erfc, normalQuantile, ON_RENT_STATUSES } from '@rfid3/core';
import type { DatabaseHandle, InventoryData, Prediction } from '@rfid3/core';
import type { DemandForecaster } from '@rfid3/plugin-demand';
import { sql } from 'kysely';
import { onRentDistribution } from './policy/reorder-policy.js';
import { velocityClasses } from './velocity/velocity.js';
import type { VelocityClass } from './velocity/velocity.js';

export interface RestockSettings {
  leadTimeDays: number;
  horizonDays: number;
  serviceLevel: number;
  /** Years a purchased unit earns before it is sold off. */
  expectedLifeYears: number;
  /** Share of a unit's average yearly revenue that one more unit earns (the marginal unit rents on peak days only). */
  marginalRevenueShare: number;
  /** Sub-renting a unit for a day costs this share of its daily rate. */
  subRentCostShare: number;
}

export type Severity = 'critical' | 'high' | 'medium';

export interface ClassRestock {
  rentalClass: string;
  commonName: string | null;
  category: string;
  units: number;
  onRentNow: number;
  /** Service-level bound of units on rent at once on the busiest day of the window, and that day. */
  peakBound: number;
  peakDay: string;
  peakMean: number;
  /** Units short at the peak (bound − units), ≥ 0. */
  shortfall: number;
  /** Days of the window on which the bound exceeds the units owned. */
  shortDays: number;
  /** P(units on rent at the peak exceed the units owned) under the normal approximation. */
  shortfallProbability: number;
  severity: Severity | null;
  price: number;
  unitCost: number;
  resaleValue: number;
  revenueLastYear: number;
  meanRentalDays: number;
  velocity: VelocityClass | null;
  /** Buy (a lasting need) or sub-rent (a brief peak), with the economics of each. */
  recommendation: {
    action: 'buy' | 'sub-rent' | 'none';
    quantity: number;
    purchaseCost: number;
    /** (revenue over the expected life + resale − cost) ÷ cost of one more unit. */
    purchaseRoi: number;
    subRentCost: number;
    expectedProfit: number;
    reason: string;
  };
}

/**
 * Restock analysis of every rental class: units owned against the service-level bound of units on rent at
 * once over the lead time and horizon, from the demand plugin's forecast distribution (category forecasts with
 * intervals, split by each class's share of the last year's units), rentals already out (their due dates are
 * known), and rental lengths from Point of Rental's contract lines.
 */
export async function analyseRestock(deps: { database: DatabaseHandle; inventory: InventoryData; forecaster: DemandForecaster }, s: RestockSettings): Promise<{ asOf: string; classes: ClassRestock[] }> {
  const { database, inventory, forecaster } = deps;
  const asOf = forecaster.dataThrough();
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
  const equipment = await database.db.selectFrom('pos_equipment').select(['item_num', 'rate_1', 'retail_price', 'sell_price']).execute();
  const eq = new Map(equipment.map((e) => [String(e.item_num), e]));

  const dayIndex = (d: string) => Math.round((Date.parse(`${d.slice(0, 10)}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
  const stats = new Map<string, { qty: number; revenue: number; days: number; lines: number; weekly: number[]; outOn: Map<number, number> }>();
  for (const l of lines) {
    const cls = String(l.cls);
    let st = stats.get(cls);
    if (!st) stats.set(cls, (st = { qty: 0, revenue: 0, days: 0, lines: 0, weekly: new Array(52).fill(0), outOn: new Map() }));
    const qty = Number(l.qty ?? 0);
    const start = dayIndex(String(l.date));
    const back = l.due ? dayIndex(String(l.due)) : start + 1;
    st.qty += qty;
    st.revenue += qty * Number(l.price ?? 0) * Math.max(1, back - start);
    st.days += Math.max(1, back - start);
    st.lines += 1;
    st.weekly[Math.min(51, Math.floor(start / 7))] += qty;
    // Units still out after the cut-off, by the day they are due back.
    if (back > 364) st.outOn.set(back, (st.outOn.get(back) ?? 0) + qty);
  }
  const category = new Map(classes.map((c) => [c.rentalClass, c.category]));
  const catQty = new Map<string, number>();
  for (const [cls, st] of stats) catQty.set(category.get(cls) ?? 'Other', (catQty.get(category.get(cls) ?? 'Other') ?? 0) + st.qty);

  const velocity = new Map(
    velocityClasses(classes.map((c) => ({ id: c.rentalClass, revenue: stats.get(c.rentalClass)?.revenue ?? 0, demand: stats.get(c.rentalClass)?.weekly ?? new Array(52).fill(0) }))).map((v) => [v.id, v]),
  );

  // The demand plugin's forecast distribution per category, split by class share.
  const window = s.leadTimeDays + s.horizonDays;
  const weeks = Math.min(8, Math.ceil(window / 7));
  // One call: with no category the demand plugin forecasts every category (target.id is the category).
  const forecasts = new Map<string, Prediction[]>();
  for (const p of await forecaster.forecast({ weeks })) {
    if (!p.targetDate || p.target.store) continue;
    (forecasts.get(p.target.id) ?? forecasts.set(p.target.id, []).get(p.target.id)!).push(p);
  }
  for (const list of forecasts.values()) list.sort((a, b) => (a.targetDate! < b.targetDate! ? -1 : 1));
  const z = normalQuantile(s.serviceLevel);

  const out: ClassRestock[] = [];
  for (const c of classes) {
    const st = stats.get(c.rentalClass);
    const share = st && (catQty.get(c.category) ?? 0) > 0 ? st.qty / catQty.get(c.category)! : 0;
    const meanRentalDays = st && st.lines > 0 ? st.days / st.lines : 1;
    const meanQty = st && st.lines > 0 ? st.qty / st.lines : 1;
    const dispersion = meanQty <= 1 ? 1 : (meanQty - 1 + meanQty ** 2) / meanQty;
    // Rental lengths: geometric-free, uniform-like around the mean; P(still out k days after renting).
    const stillOut = (k: number) => Math.max(0, Math.min(1, (meanRentalDays - k) / Math.max(1, meanRentalDays)));
    const daily = (forecasts.get(c.category) ?? []).slice(0, window);
    const expected = daily.map((p) => p.value * share);
    const dailyVar = daily.map((p) => {
      const i = p.intervals?.[0];
      if (!i) return 0;
      const zi = normalQuantile(0.5 + i.level / 2);
      return (((i.upper - i.lower) / (2 * zi)) * share) ** 2;
    });
    let best = { bound: 0, mean: 0, sd: 0, day: asOf };
    let shortDays = 0;
    for (let k = Math.min(s.leadTimeDays, expected.length); k <= expected.length; k++) {
      if (k === 0) continue;
      let outThen = 0;
      for (const [back, q] of st?.outOn ?? []) if (back > 364 + k) outThen += q;
      const dist = onRentDistribution(outThen, expected.slice(0, k), stillOut, dispersion);
      let fv = 0;
      for (let j = 0; j < k; j++) fv += dailyVar[j]! * stillOut(k - 1 - j) ** 2;
      const sd = Math.sqrt(dist.variance + fv);
      const bound = Math.ceil(dist.mean + z * sd);
      if (bound > c.units) shortDays++;
      if (bound > best.bound) best = { bound, mean: dist.mean, sd, day: addDays(asOf, k) };
    }
    const shortfall = Math.max(0, best.bound - c.units);
    const e = eq.get(c.rentalClass);
    const price = Number(e?.rate_1 ?? 0);
    const unitCost = Number(e?.retail_price ?? 0);
    const resaleValue = Number(e?.sell_price ?? 0) * 0.5;
    const revenueLastYear = st?.revenue ?? 0;
    const perUnitYear = c.units > 0 ? revenueLastYear / c.units : 0;
    const lifeRevenue = perUnitYear * s.marginalRevenueShare * s.expectedLifeYears;
    const purchaseRoi = unitCost > 0 ? (lifeRevenue + resaleValue - unitCost) / unitCost : 0;
    const subRentCost = shortfall * price * s.subRentCostShare * Math.max(1, shortDays);
    const windowDays = Math.max(1, expected.length - s.leadTimeDays + 1);
    const lasting = shortDays / windowDays >= 0.5;
    let action: ClassRestock['recommendation']['action'] = 'none';
    let reason = 'units owned cover the service-level bound';
    let expectedProfit = 0;
    if (shortfall > 0) {
      if (lasting && purchaseRoi > 0) {
        action = 'buy';
        expectedProfit = shortfall * (lifeRevenue + resaleValue - unitCost);
        reason = `short on ${shortDays} of ${windowDays} days; a unit returns ${(purchaseRoi * 100).toFixed(0)} % over ${s.expectedLifeYears} years`;
      } else {
        action = 'sub-rent';
        expectedProfit = shortfall * price * Math.max(1, shortDays) - subRentCost;
        reason = lasting ? `buying does not pay back (ROI ${(purchaseRoi * 100).toFixed(0)} %)` : `a brief peak: short on ${shortDays} of ${windowDays} days`;
      }
    }
    const p = best.sd > 0 ? 1 - 0.5 * (1 + erf((c.units + 0.5 - best.mean) / (best.sd * Math.SQRT2))) : best.mean > c.units ? 1 : 0;
    const available = c.units - (onRentBy.get(c.rentalClass) ?? 0);
    const severity: Severity | null =
      shortfall === 0 ? null : available <= 0 || shortfall >= Math.max(5, 0.2 * c.units) ? (p >= 0.5 ? 'critical' : 'high') : p >= 0.5 ? 'high' : 'medium';
    out.push({
      rentalClass: c.rentalClass,
      commonName: c.commonName,
      category: c.category,
      units: c.units,
      onRentNow: onRentBy.get(c.rentalClass) ?? 0,
      peakBound: best.bound,
      peakDay: best.day,
      peakMean: best.mean,
      shortfall,
      shortDays,
      shortfallProbability: p,
      severity,
      price,
      unitCost,
      resaleValue,
      revenueLastYear,
      meanRentalDays,
      velocity: velocity.get(c.rentalClass) ?? null,
      recommendation: { action, quantity: shortfall, purchaseCost: shortfall * unitCost, purchaseRoi, subRentCost, expectedProfit, reason },
    });
  }
  return { asOf, classes: out };
}

const erf = (x: number) => 1 - erfc(x);
