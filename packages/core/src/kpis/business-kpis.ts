import { sql } from 'kysely';
import type { DecisionLedger, DecisionRecord } from '../decisions/decision-ledger.js';
import type { InventoryData } from '../inventory/inventory-data.js';
import { addDays, daysBetween } from '../time/dates.js';
import { GRADES } from '../simulator/catalog.js';
import type { DatabaseHandle } from '../storage/database.js';
import { scansInTimeOrder } from '../inventory/scan-history.js';
import type { IdTransactionsTable } from '../storage/schema.js';
import { fleetDaysWalk, soldOut } from './fleet-days.js';
import type { FleetDays } from './fleet-days.js';

/** Options of `businessKpis`: the last day measured, the windows compared and the thresholds. */
export interface KpiOptions {
  /** Last day measured (default: the last day with scans). */
  asOf?: string;
  /** Weeks of stockouts compared with the same weeks a year earlier (default 8). */
  weeks?: number;
  /** Days of the period the yearly figures cover, compared with the period before it (default 365). */
  days?: number;
  /** An item retired at this grade or better was replaced too early (default C: the quality plugin's rentable grade). */
  minRentableGrade?: (typeof GRADES)[number];
  /** Stores open at (HH:MM, default 07:00): a class is sold out when none of its units is on a shelf from then on. */
  opensAt?: string;
}

/** A range of days, both included. */
export interface Period {
  from: string;
  to: string;
}

/** A figure of the period beside the same figure of the period before (null where the data does not reach it). */
export interface Compared<T> {
  current: T;
  previous: T | null;
  /** current ÷ previous − 1 of the headline value; null without a previous period or when it was 0. */
  change: number | null;
}

const ESTIMATE = /repair estimate \$([0-9.]+)/i;
const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;
const ratio = (a: number, b: number) => (b > 0 ? a / b : null);
const change = (current: number | null, previous: number | null) => (current === null || previous === null || previous === 0 ? null : round(current / previous - 1));
const inPeriod = (day: string, p: Period) => day >= p.from && day <= p.to;
const HUMAN_EXCLUDED = new Set(['auto', 'safeguard', 'superseded']);

/** A figure of the period, the same of the period before where the data reaches it, and the change of its headline. */
async function besidePrevious<T extends object>(
  one: (p: Period) => Promise<T>,
  headline: (t: T) => number | null,
  periods: { period: Period; previous: Period; covered: (p: Period) => boolean },
  measure: string,
) {
  const current = await one(periods.period);
  const before = periods.covered(periods.previous) ? await one(periods.previous) : null;
  return { measure, ...current, previous: before, change: change(headline(current), before ? headline(before) : null) };
}

/** The weeks ending on `asOf` (oldest first) and each one 52 weeks earlier (same weekdays). */
export function comparedWeeks(asOf: string, weeks: number): { week: Period; yearEarlier: Period }[] {
  const out = [];
  for (let w = weeks - 1; w >= 0; w--) {
    const to = addDays(asOf, -7 * w);
    const week = { from: addDays(to, -6), to };
    out.push({ week, yearEarlier: { from: addDays(week.from, -364), to: addDays(week.to, -364) } });
  }
  return out;
}

/**
 * The business outcomes the architecture tracks, each computed from RFID3's and Point of Rental's records and the
 * decision ledger, never from assumptions: stockouts, inventory turns, revenue per rental, recommendation
 * acceptance, decision accuracy, unplanned repair cost and premature replacements.
 */
export async function businessKpis(deps: { database: DatabaseHandle; inventory: InventoryData; ledger: DecisionLedger; today: string }, options: KpiOptions = {}) {
  const data = await dataKpis(deps, options);
  return { ...data, ...(await decisionKpis(deps.ledger, deps.today, options.days)) };
}

/** The decision ledger's KPIs: acceptance of what people decided over the last `days` days to today, and decision accuracy. */
export async function decisionKpis(ledger: DecisionLedger, today: string, days = 365) {
  const period = { from: addDays(today, -(days - 1)), to: today };
  return { recommendationAcceptance: { ...(await acceptance(ledger, period)), ...period }, decisionAccuracy: await decisionAccuracy(ledger) };
}

/** The KPIs read from RFID3's and Point of Rental's records (the costly part: one pass over the period's scans). */
export async function dataKpis(deps: { database: DatabaseHandle; inventory: InventoryData; today: string }, options: KpiOptions = {}) {
  const { database, inventory } = deps;
  const { db } = database;
  const range = await db
    .selectFrom('id_transactions')
    .select([sql<string | null>`min(scan_date)`.as('first'), sql<string | null>`max(scan_date)`.as('last')])
    .executeTakeFirst();
  const dataFrom = range?.first ? String(range.first).slice(0, 10) : null;
  const dataTo = range?.last ? String(range.last).slice(0, 10) : null;
  const asOf = options.asOf ?? (dataTo && dataTo < deps.today ? dataTo : deps.today);
  const weeks = options.weeks ?? 8;
  const length = options.days ?? 365;
  const period: Period = { from: addDays(asOf, -(length - 1)), to: asOf };
  const previous: Period = { from: addDays(period.from, -length), to: addDays(period.from, -1) };
  const covered = (p: Period) => dataFrom !== null && dataFrom <= p.from;
  const minGrade = options.minRentableGrade ?? 'C';
  const compared = comparedWeeks(asOf, weeks);

  // The units sent out and the revenue are read by the database while this process walks the scans below: started
  // now, awaited after (a failure here is raised there).
  const revenue = revenuePerRental(database, period, previous, covered);
  revenue.catch(() => {});
  const unitsOut = inventory.dailyUnitsOut({ level: 'total', from: covered(previous) ? previous.from : period.from, to: period.to });
  unitsOut.catch(() => {});
  // One pass over the scans, in time order, covers the stockout weeks, both periods' fleets and their repairs and replacements.
  const sweepFrom = [previous.from, compared[0]!.yearEarlier.from].reduce((a, b) => (a < b ? a : b));
  const fleetWalk = dataFrom === null ? null : await fleetDaysWalk(database, { from: sweepFrom < dataFrom ? dataFrom : sweepFrom, to: asOf, opensAt: options.opensAt });
  const walked: [Period, ...Period[]] = covered(previous) ? [period, previous] : [period];
  const itemsWalk = walkItems(walked, minGrade);
  const start = fleetWalk && fleetWalk.start < itemsWalk.start ? fleetWalk.start : itemsWalk.start;
  const end = fleetWalk && fleetWalk.end > itemsWalk.end ? fleetWalk.end : itemsWalk.end;
  for await (const day of scansInTimeOrder(database, { start, end, columns: ['tag_id', 'scan_type', 'status', 'bin_location', 'quality', 'notes'] }))
    for (const r of day) {
      fleetWalk?.scan(r);
      itemsWalk.scan(r);
    }
  const fleet = fleetWalk?.finish() ?? null;
  const found = itemsWalk.finish();
  const walks = new Map(walked.map((p, i) => [p, found[i]!]));

  return {
    asOf,
    dataFrom,
    dataThrough: dataTo,
    period: { ...period, days: length },
    previousPeriod: { ...previous, covered: covered(previous) },
    stockouts: stockouts(fleet, compared, dataFrom),
    inventoryTurns: await unitsOut.then(() => inventoryTurns(inventory, fleet, period, previous, covered)),
    revenuePerRental: await revenue,
    unplannedRepairs: await repairs(walks, period, previous, covered),
    prematureReplacements: await replacements(walks, period, previous, covered, minGrade),
  };
}

/** The business KPIs as `businessKpis` reports them. */
export type BusinessKpis = Awaited<ReturnType<typeof businessKpis>>;

function soldOutIn(fleet: FleetDays | null, p: Period) {
  let classDays = 0;
  const classes = new Set<string>();
  if (fleet) {
    const first = daysBetween(fleet.days[0]!, p.from);
    for (let d = Math.max(0, first); d <= Math.min(fleet.days.length - 1, first + daysBetween(p.from, p.to)); d++) {
      for (const [cls, c] of fleet.classes) {
        if (soldOut(c, d)) {
          classDays++;
          classes.add(cls);
        }
      }
    }
  }
  return { ...p, soldOutClassDays: classDays, classes: classes.size };
}

function stockouts(fleet: FleetDays | null, compared: ReturnType<typeof comparedWeeks>, dataFrom: string | null) {
  const weeks = compared.map(({ week, yearEarlier }) => {
    const current = soldOutIn(fleet, week);
    const before = dataFrom !== null && dataFrom <= yearEarlier.from ? soldOutIn(fleet, yearEarlier) : null;
    return { ...current, yearEarlier: before, change: change(current.soldOutClassDays, before?.soldOutClassDays ?? null) };
  });
  const current = weeks.reduce((a, w) => a + w.soldOutClassDays, 0);
  const previous = weeks.every((w) => w.yearEarlier) ? weeks.reduce((a, w) => a + w.yearEarlier!.soldOutClassDays, 0) : null;
  return {
    measure:
      'class-days on which every unit of a rental class was out at once (on rent, in repair or to be inspected), from the RFID scans: RFID3 and Point of Rental record no request that was turned away, and a class can be turned to only while none is on a shelf',
    weeks,
    total: { current, previous, change: change(current, previous) } satisfies Compared<number>,
  };
}

async function inventoryTurns(inventory: InventoryData, fleet: FleetDays | null, period: Period, previous: Period, covered: (p: Period) => boolean) {
  const one = async (p: Period) => {
    const out = await inventory.dailyUnitsOut({ level: 'total', from: p.from, to: p.to });
    const unitsRented = out.reduce((a, r) => a + r.units, 0);
    let unitDays = 0;
    let n = 0;
    if (fleet) {
      for (let d = 0; d < fleet.days.length; d++) {
        if (!inPeriod(fleet.days[d]!, p)) continue;
        n++;
        for (const c of fleet.classes.values()) unitDays += c.owned[d]!;
      }
    }
    const averageUnitsOwned = n > 0 ? unitDays / n : 0;
    const perYear = averageUnitsOwned > 0 && n > 0 ? (unitsRented / averageUnitsOwned) * (365 / n) : null;
    return { perYear: perYear === null ? null : round(perYear), unitsRented, averageUnitsOwned: round(averageUnitsOwned, 2), days: n };
  };
  return await besidePrevious(
    one,
    (t) => t.perYear,
    { period, previous, covered },
    'units sent out (distinct items with a Rental or Delivery scan each day) ÷ average units owned, per 365 days',
  );
}

async function revenuePerRental(database: DatabaseHandle, period: Period, previous: Period, covered: (p: Period) => boolean) {
  const one = async (p: Period) => {
    const between = [`${p.from} 00:00:00`, `${p.to} 23:59:59`] as const;
    const c = await database.db
      .selectFrom('pos_transactions')
      .select([sql<number>`count(*)`.as('n'), sql<number | null>`sum(rent_amt)`.as('revenue')])
      .where('contract_date', '>=', between[0])
      .where('contract_date', '<=', between[1])
      .executeTakeFirst();
    const l = await database.db
      .selectFrom('pos_transaction_items as i')
      .innerJoin('pos_transactions as t', 't.contract_no', 'i.contract_no')
      .select(sql<number | null>`sum(i.qty)`.as('units'))
      .where('t.contract_date', '>=', between[0])
      .where('t.contract_date', '<=', between[1])
      .executeTakeFirst();
    const contracts = Number(c?.n ?? 0);
    const revenue = Number(c?.revenue ?? 0);
    const units = Number(l?.units ?? 0);
    const perContract = ratio(revenue, contracts);
    const perUnit = ratio(revenue, units);
    return {
      perContract: perContract === null ? null : round(perContract, 2),
      perUnit: perUnit === null ? null : round(perUnit, 2),
      revenue: round(revenue, 2),
      contracts,
      unitsRented: units,
    };
  };
  return await besidePrevious(
    one,
    (t) => t.perContract,
    { period, previous, covered },
    "Point of Rental contracts' rent amounts ÷ contracts written (a rental is a contract), and ÷ units on their lines",
  );
}

/** Every decision of the ledger, page by page. */
async function allDecisions(ledger: DecisionLedger, filter: { status?: DecisionRecord['status'] } = {}): Promise<DecisionRecord[]> {
  const out: DecisionRecord[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await ledger.list({ ...filter, limit: 1000, offset });
    out.push(...page);
    if (page.length < 1000) return out;
  }
}

async function acceptance(ledger: DecisionLedger, period: Period) {
  const byType = new Map<string, { accepted: number; rejected: number; autoApproved: number; pending: number }>();
  for (const d of await allDecisions(ledger)) {
    const t = byType.get(d.decisionType) ?? byType.set(d.decisionType, { accepted: 0, rejected: 0, autoApproved: 0, pending: 0 }).get(d.decisionType)!;
    if (d.status === 'pending') {
      t.pending++;
      continue;
    }
    if (!d.decidedAt || !inPeriod(d.decidedAt.slice(0, 10), period)) continue;
    if (d.decidedBy === 'auto') t.autoApproved++;
    // A person's decision: not the safeguards', not auto-approval, not a proposal the ledger replaced.
    if (!d.decidedBy || HUMAN_EXCLUDED.has(d.decidedBy)) continue;
    if (d.status === 'rejected') t.rejected++;
    else t.accepted++;
  }
  const types = Object.fromEntries([...byType].map(([type, t]) => [type, { ...t, rate: ratio(t.accepted, t.accepted + t.rejected) }]));
  const accepted = [...byType.values()].reduce((a, t) => a + t.accepted, 0);
  const rejected = [...byType.values()].reduce((a, t) => a + t.rejected, 0);
  const rate = ratio(accepted, accepted + rejected);
  return {
    measure:
      'decisions a person approved (then executed, or not) ÷ decisions a person approved or rejected over the period to today; auto-approvals, safeguard rejections and proposals the ledger replaced are counted apart',
    rate: rate === null ? null : round(rate),
    accepted,
    rejected,
    autoApproved: [...byType.values()].reduce((a, t) => a + t.autoApproved, 0),
    pending: [...byType.values()].reduce((a, t) => a + t.pending, 0),
    byType: types,
  };
}

async function decisionAccuracy(ledger: DecisionLedger) {
  const executed = await allDecisions(ledger, { status: 'executed' });
  const matched = executed.filter((d) => d.actualImpact !== null && d.predictedImpact !== null);
  const summary = (list: DecisionRecord[]) => {
    const absActual = list.reduce((a, d) => a + Math.abs(d.actualImpact!), 0);
    const absError = list.reduce((a, d) => a + Math.abs(d.actualImpact! - d.predictedImpact!), 0);
    return {
      matched: list.length,
      predicted: round(
        list.reduce((a, d) => a + d.predictedImpact!, 0),
        2,
      ),
      actual: round(
        list.reduce((a, d) => a + d.actualImpact!, 0),
        2,
      ),
      accuracy: absActual > 0 ? round(Math.max(0, 1 - absError / absActual)) : null,
    };
  };
  const types = [...new Set(matched.map((d) => d.decisionType))];
  return {
    measure:
      "1 − Σ|actual − predicted| ÷ Σ|actual| over executed decisions whose actual impact was measured once their horizon passed (job kpis.match-impact, each decision type's own measure)",
    ...summary(matched),
    awaitingMeasurement: executed.length - matched.length,
    byType: Object.fromEntries(types.map((t) => [t, summary(matched.filter((d) => d.decisionType === t))])),
    decisions: matched
      .sort((a, b) => (b.executedAt ?? '').localeCompare(a.executedAt ?? ''))
      .slice(0, 50)
      .map((d) => ({ id: d.id, decisionType: d.decisionType, target: d.target, executedAt: d.executedAt, predictedImpact: d.predictedImpact!, actualImpact: d.actualImpact! })),
  };
}

/** What one period's walk over the scans found: each repair begun in it, and the items that left the fleet in it. */
interface PeriodWalk {
  repairs: { unplanned: boolean; cost: number | null }[];
  retired: number;
  premature: number;
}

/** The columns of a scan that `walkItems` takes. */
type ItemScan = Pick<IdTransactionsTable, 'tag_id' | 'scan_type' | 'status' | 'bin_location' | 'quality' | 'notes' | 'scan_date'>;

/**
 * Repairs begun and items taken out of the fleet in each period, from a walk over the scans in time order (every
 * scan from `start` to `end` given to `scan`, then `finish`). Each period sees its own window (from 120 days before
 * it to its end), each item walked from a fresh start at the window's beginning: a repair begins at an item's first
 * Repair scan after one without (unplanned when that scan is a return), and an item leaves at its first Sold scan,
 * with the grade of its last graded scan before.
 */
function walkItems(periods: [Period, ...Period[]], minGrade: string) {
  const limit = GRADES.indexOf(minGrade as (typeof GRADES)[number]);
  const windows = periods.map((p) => ({ p, from: addDays(p.from, -120), found: [] as PeriodWalk['repairs'], retired: 0, premature: 0 }));
  const states = windows.map(() => new Map<string, { open: PeriodWalk['repairs'][number] | null; grade: string | null; gone: boolean }>());
  const start = windows.reduce((a, w) => (w.from < a ? w.from : a), windows[0]!.from);
  const end = periods.reduce((a, p) => (p.to > a ? p.to : a), periods[0]!.to);
  const scan = (r: ItemScan) => {
    const day = String(r.scan_date).slice(0, 10);
    const tag = String(r.tag_id);
    for (let w = 0; w < windows.length; w++) {
      const win = windows[w]!;
      if (day < win.from || day > win.p.to) continue;
      let st = states[w]!.get(tag);
      if (!st) states[w]!.set(tag, (st = { open: null, grade: null, gone: false }));
      if (r.status !== null) {
        if (r.status === 'Repair') {
          const estimate = ESTIMATE.exec(String(r.notes ?? ''));
          if (!st.open) {
            // A repair starts when an item comes back broken (unplanned) or is sent in from the shelf (planned).
            st.open = { unplanned: r.scan_type === 'Return', cost: null };
            if (inPeriod(day, win.p)) win.found.push(st.open);
          }
          if (st.open.cost === null && estimate) st.open.cost = Number(estimate[1]);
        } else st.open = null;
      }
      if (r.quality) st.grade = String(r.quality);
      if (st.gone || !(r.status === 'Sold' || r.bin_location === 'sold')) continue;
      st.gone = true;
      if (!inPeriod(day, win.p)) continue;
      win.retired++;
      const g = st.grade === null ? -1 : GRADES.indexOf(st.grade as (typeof GRADES)[number]);
      if (g >= 0 && g <= limit) win.premature++;
    }
  };
  const finish = (): PeriodWalk[] => windows.map((w) => ({ repairs: w.found, retired: w.retired, premature: w.premature }));
  return { start: `${start} 00:00:00`, end: `${end} 23:59:59`, scan, finish };
}

async function repairs(walks: Map<Period, PeriodWalk>, period: Period, previous: Period, covered: (p: Period) => boolean) {
  const one = async (p: Period) => {
    const found = walks.get(p)!.repairs;
    const known = found.filter((f) => f.cost !== null);
    // A repair with no estimate on its scans is valued at the mean estimate of the period's others.
    const mean = known.length ? known.reduce((a, f) => a + f.cost!, 0) / known.length : 0;
    const cost = (f: (typeof found)[number]) => f.cost ?? mean;
    const unplanned = found.filter((f) => f.unplanned);
    const planned = found.filter((f) => !f.unplanned);
    const unplannedCost = unplanned.reduce((a, f) => a + cost(f), 0);
    const plannedCost = planned.reduce((a, f) => a + cost(f), 0);
    const share = known.length ? ratio(unplannedCost, unplannedCost + plannedCost) : ratio(unplanned.length, found.length);
    return {
      costShare: share === null ? null : round(share),
      unplannedCost: round(unplannedCost, 2),
      plannedCost: round(plannedCost, 2),
      unplannedRepairs: unplanned.length,
      plannedRepairs: planned.length,
      withoutEstimate: found.length - known.length,
    };
  };
  return await besidePrevious(
    one,
    (t) => t.unplannedCost,
    { period, previous, covered },
    "cost of repairs that began with a return scan into Repair (the item came back broken) ÷ cost of every repair begun in the period (the others were sent in from the shelf); costs from the scans' repair estimates",
  );
}

async function replacements(walks: Map<Period, PeriodWalk>, period: Period, previous: Period, covered: (p: Period) => boolean, minGrade: string) {
  const one = async (p: Period) => {
    const { retired, premature } = walks.get(p)!;
    return { count: premature, retired, share: ratio(premature, retired) === null ? null : round(premature / retired) };
  };
  const figures = await besidePrevious(
    one,
    (t) => t.count,
    { period, previous, covered },
    `items taken out of the fleet (sold or retired) while their last recorded grade was still rentable (${minGrade} or better)`,
  );
  return { ...figures, minRentableGrade: minGrade };
}
