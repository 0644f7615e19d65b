import { addDays } from '@rfid3/core';
import type { DatabaseHandle } from '@rfid3/core';
import { sql } from 'kysely';
import { mineRules } from '../rules/miner.js';
import type { AssociationRule } from '../rules/miner.js';

/** Settings of `analysePacks`: the window of contracts, the rule-mining thresholds and the pack flags. */
export interface PackSettings {
  /** Days of contract history analysed. */
  windowDays: number;
  minSupport: number;
  minConfidence: number;
  /** A rule must have at least this lift to suggest a pack. */
  minLift: number;
  /** Handling saved per contract when components go out as one tagged pack, in dollars. */
  handlingSavingUsd: number;
  /** Handling cost of breaking a pack up ("burst") to serve a component, in dollars. */
  burstCostUsd: number;
  /** A pack rented less than this share of its unit-days is a candidate to dissolve. */
  lowUtilisation: number;
}

/** How one rental class was used over the analysed window. */
export interface ClassUsage {
  rentalClass: string;
  name: string | null;
  units: number;
  /** Unit-days on rent ÷ (units × days) over the window. */
  utilisation: number;
  revenue: number;
  contracts: number;
}

/** A pack class's usage beside that of its components, and how often it was broken up. */
export interface PackPerformance extends ClassUsage {
  /** Component classes found by name (the pack's name without its "(10 PACK)" suffix). */
  components: ClassUsage[];
  /** Tags of this pack seen at bin location `burst` (broken up to serve a component) in the window. */
  bursts: number;
  burstsPerUnit: number;
}

/** What `analysePacks` finds over a window: each pack's performance and the association rules of the contracts. */
export interface PackAnalysis {
  from: string;
  to: string;
  packs: PackPerformance[];
  rules: AssociationRule[];
  baskets: number;
}

/** The pack size in a pack's name, "(10 PACK)" or "(25 RACK)", wherever it stands ("… (10 PACK) #2" too). */
const PACK_SUFFIX = /\s*\((\d+)\s*(PACK|RACK|PK|SET)\)/i;

/** Pack utilisation, revenue and bursts against their components, and co-rental rules over contracts. */
export async function analysePacks(database: DatabaseHandle, asOf: string, s: PackSettings): Promise<PackAnalysis> {
  const from = addDays(asOf, -(s.windowDays - 1));
  const items = await database.db
    .selectFrom('id_item_master')
    .select([
      'rental_class_num as cls',
      sql<string | null>`max(common_name)`.as('name'),
      sql<number>`count(*)`.as('units'),
      sql<number>`sum(case when bin_location = 'pack' then 1 else 0 end)`.as('packs'),
    ])
    .where('rental_class_num', 'is not', null)
    .where((eb) => eb.or([eb('bin_location', 'is', null), eb('bin_location', 'not in', ['sold', 'resale'])]))
    .groupBy('rental_class_num')
    .execute();
  const lines = await database.db
    .selectFrom('pos_transaction_items as i')
    .innerJoin('pos_transactions as t', 't.contract_no', 'i.contract_no')
    .select(['i.contract_no as contract', 'i.item_num as cls', 't.contract_date as date', 'i.due_date as due', 'i.qty as qty', 'i.price as price'])
    .where('t.contract_date', '>=', `${from} 00:00:00`)
    .where('t.contract_date', '<=', `${asOf} 23:59:59`)
    .execute();
  // Bounded by the first row id of the window as well: every scan since `from` has an id at or above it, and the
  // database then reads the window along its primary key. On the date alone MariaDB chose the class index and looked
  // up every scan of every class: 38.6 s at 5,000 items (1 M scans), past the 30 s query timeout at 50,000.
  const first = await database.db
    .selectFrom('id_transactions')
    .select((eb) => eb.fn.min('id').as('id'))
    .where('scan_date', '>=', `${from} 00:00:00`)
    .executeTakeFirst();
  const bursts =
    first?.id === null || first?.id === undefined
      ? []
      : await database.db
          .selectFrom('id_transactions')
          .select(['rental_class_num as cls', sql<number>`count(distinct tag_id)`.as('n')])
          .where('id', '>=', Number(first.id))
          .where('bin_location', '=', 'burst')
          .where('scan_date', '>=', `${from} 00:00:00`)
          .groupBy('rental_class_num')
          .execute();
  const burstBy = new Map(bursts.map((b) => [String(b.cls), Number(b.n)]));

  const day = (d: string) => Date.parse(`${d.slice(0, 10)}T00:00:00Z`);
  const end = day(asOf) + 86_400_000;
  const usage = new Map<string, { unitDays: number; revenue: number; contracts: Set<string> }>();
  const baskets = new Map<string, Set<string>>();
  for (const l of lines) {
    const cls = String(l.cls);
    const start = day(String(l.date));
    const back = Math.min(end, l.due ? day(String(l.due)) : start + 86_400_000);
    const days = Math.max(1, Math.round((back - start) / 86_400_000));
    const u = usage.get(cls) ?? { unitDays: 0, revenue: 0, contracts: new Set<string>() };
    u.unitDays += Number(l.qty ?? 0) * days;
    u.revenue += Number(l.qty ?? 0) * Number(l.price ?? 0) * days;
    u.contracts.add(String(l.contract));
    usage.set(cls, u);
    const b = baskets.get(String(l.contract)) ?? new Set<string>();
    b.add(cls);
    baskets.set(String(l.contract), b);
  }
  const usageOf = (c: { cls: unknown; name: string | null; units: unknown }): ClassUsage => {
    const u = usage.get(String(c.cls));
    const units = Number(c.units);
    return {
      rentalClass: String(c.cls),
      name: c.name,
      units,
      utilisation: u && units > 0 ? u.unitDays / (units * s.windowDays) : 0,
      revenue: u?.revenue ?? 0,
      contracts: u?.contracts.size ?? 0,
    };
  };
  const byName = new Map(items.map((i) => [String(i.name ?? '').toUpperCase(), i]));
  const packs: PackPerformance[] = items
    .filter((i) => Number(i.packs) > 0)
    .map((i) => {
      const base = String(i.name ?? '')
        .replace(PACK_SUFFIX, '')
        .replace(/\s+/g, ' ')
        .trim()
        .toUpperCase();
      const component = base && base !== String(i.name ?? '').toUpperCase() ? byName.get(base) : undefined;
      const b = burstBy.get(String(i.cls)) ?? 0;
      return { ...usageOf(i), components: component ? [usageOf(component)] : [], bursts: b, burstsPerUnit: Number(i.units) > 0 ? b / Number(i.units) : 0 };
    })
    .sort((a, b) => a.utilisation - b.utilisation);
  const basketList = [...baskets.values()].map((b) => [...b]);
  const rules = basketList.length ? mineRules(basketList, { minSupport: s.minSupport, minConfidence: s.minConfidence, minLen: 2 }).rules : [];
  return { from, to: asOf, packs, rules, baskets: basketList.length };
}
