import type { DatabaseHandle } from '@rfid3/core';
import type { ItemGrades } from './grades.js';
import { countReturns, G, GRADES } from './grades.js';
import type { Matrix } from './transitions.js';
import { rentalsUntilBelow } from './transitions.js';

/** Rental price per class (rate_1 of the POS equipment row mapped to it). */
export async function classRates(database: DatabaseHandle): Promise<Map<string, number>> {
  const db = database.db;
  const rows = (await db.selectFrom('pos_equipment').select(['rfid_rental_class_num', 'rate_1']).where('rfid_rental_class_num', 'is not', null).execute()) as Record<
    string,
    unknown
  >[];
  const out = new Map<string, number>();
  for (const r of rows) {
    const rate = Number(r.rate_1);
    if (Number.isFinite(rate) && rate > 0) out.set(String(r.rfid_rental_class_num), rate);
  }
  return out;
}

/** What items of one grade earn and cost per year. */
export interface GradeEconomicsRow {
  grade: string;
  items: number;
  /** Returns per item in the last 365 days of data. */
  rentalsPerItemYear: number;
  /** Mean turnover year to date per item. */
  turnoverYtdPerItem: number;
  /** Turnover per rental (turnover ÷ returns over the same items). */
  revenuePerRental: number | null;
  /** Class price of these items relative to their class's mean price (1 = average). */
  relativePrice: number | null;
}

/** The day 365 days before `through` (`YYYY-MM-DD`): the returns after it are those of the last 365 days of data. */
export const yearBefore = (through: string): string => new Date(Date.parse(`${through}T00:00:00Z`) - 365 * 86_400_000).toISOString().slice(0, 10);

/**
 * How grade relates to price and revenue: rentals, turnover and turnover per rental by current grade. Items loaded
 * with only their last observations need their returns after `yearBefore(through)` counted (`returnsAfter`).
 */
export function gradeEconomics(items: ItemGrades[], rates: Map<string, number>, through: string): GradeEconomicsRow[] {
  const since = yearBefore(through);
  const acc = Array.from({ length: G }, () => ({ items: 0, rentals: 0, turnover: 0, price: 0, priced: 0 }));
  for (const item of items) {
    if (item.grade < 0 || item.status === 'Sold') continue;
    const a = acc[item.grade]!;
    a.items++;
    a.rentals += countReturns(item, since);
    a.turnover += item.turnoverYtd;
    const rate = rates.get(item.rentalClass);
    if (rate) {
      a.price += rate;
      a.priced++;
    }
  }
  const meanPrice =
    acc.reduce((s, a) => s + a.price, 0) /
    Math.max(
      1,
      acc.reduce((s, a) => s + a.priced, 0),
    );
  return acc.map((a, g) => ({
    grade: GRADES[g]!,
    items: a.items,
    rentalsPerItemYear: a.items ? a.rentals / a.items : 0,
    turnoverYtdPerItem: a.items ? a.turnover / a.items : 0,
    revenuePerRental: a.rentals ? a.turnover / a.rentals : null,
    relativePrice: a.priced ? a.price / a.priced / meanPrice : null,
  }));
}

/** Whether to replace one item now, soon or keep it, and why. */
export interface ReplacementAdvice {
  tagId: string;
  decision: 'replace_now' | 'replace_soon' | 'keep';
  reason: string;
  grade: string;
  rentalsUntilUnrentable: { median: number | null; lower: number | null; upper: number | null; mean: number };
  revenuePerRental: number;
  remainingRevenue: number;
  replacementCost: number;
  resaleNow: number;
  netReplacementCost: number;
}

const finite = (x: number) => (Number.isFinite(x) ? x : null);

/**
 * Replacement timing on economics. The item earns `revenuePerRental` for each rental it stays rentable
 * (expected remaining revenue = that × expected rentals before it falls below the rentable grade); a
 * replacement costs the retail price less what the item sells for now (resale falls with grade).
 * Replace now when it is already unrentable, or when half of its paths fall below within `leadRentals`
 * (the rentals it takes to get a replacement in); soon when one in ten does.
 */
export function replacementAdvice(
  item: ItemGrades,
  P: Matrix,
  opts: { minRentable: number; leadRentals: number; resaleShare: number; revenuePerRental: number },
): ReplacementAdvice {
  const until = rentalsUntilBelow(P, item.grade, opts.minRentable);
  const replacementCost = item.retailPrice > 0 ? item.retailPrice : item.sellPrice * 1.5;
  const resaleNow = item.sellPrice * opts.resaleShare * Math.max(0.1, 1 - (0.8 * Math.max(0, item.grade)) / (G - 1));
  const remainingRevenue = until.mean * opts.revenuePerRental;
  let decision: ReplacementAdvice['decision'] = 'keep';
  let reason: string;
  if (item.grade > opts.minRentable) {
    decision = 'replace_now';
    reason = `grade ${GRADES[item.grade]} is below the rentable grade ${GRADES[opts.minRentable]}`;
  } else if (until.median <= opts.leadRentals) {
    decision = 'replace_now';
    reason = `half of its paths fall below ${GRADES[opts.minRentable]} within ${until.median} rentals (replacement lead ${opts.leadRentals})`;
  } else if (until.p10 <= opts.leadRentals) {
    decision = 'replace_soon';
    reason = `1 in 10 chance to fall below ${GRADES[opts.minRentable]} within ${until.p10} rentals; expected ${until.mean.toFixed(1)} rentable rentals left`;
  } else
    reason = `expected ${until.mean.toFixed(1)} rentable rentals left, earning about $${remainingRevenue.toFixed(0)} against a net replacement cost of $${(replacementCost - resaleNow).toFixed(0)}`;
  return {
    tagId: item.tagId,
    decision,
    reason,
    grade: item.grade >= 0 ? GRADES[item.grade]! : 'unknown',
    rentalsUntilUnrentable: { median: finite(until.median), lower: finite(until.p10), upper: finite(until.p90), mean: until.mean },
    revenuePerRental: opts.revenuePerRental,
    remainingRevenue,
    replacementCost,
    resaleNow,
    netReplacementCost: replacementCost - resaleNow,
  };
}
