import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RFID3_SOURCE_TABLES, coreMigrations, createDatabase, dayRange, migrate, type DatabaseHandle } from '../src/index.js';
import { GRADES, expectedDailyUnits, simulate, type SimulationOptions, type SimulationResult } from '../src/simulator/index.js';
import {
  contentHash,
  dailyUnitsOut,
  gradeTransitions,
  hazardByRentals,
  priceElasticities,
  scansByTag,
  unitsByClassAndDay,
  weeklyProfile,
  yearlyCycle,
  type ScanRow,
} from './support/sim-analysis.js';
import { countRows } from './support/targets.js';

const TABLES = [...RFID3_SOURCE_TABLES, 'external_data_factors'];

async function simulated(options: SimulationOptions): Promise<{ handle: DatabaseHandle; result: SimulationResult }> {
  const handle = createDatabase('sqlite::memory:');
  await migrate(handle, 'core', coreMigrations);
  const result = await simulate(handle, { end: '2025-12-31', ...options });
  return { handle, result };
}

describe('simulator: determinism and bookkeeping', () => {
  const opened: DatabaseHandle[] = [];
  afterAll(async () => {
    for (const h of opened) await h.close();
  });
  const run = async (options: SimulationOptions) => {
    const s = await simulated(options);
    opened.push(s.handle);
    return s;
  };

  it('writes identical data for the same seed and different data for another seed', async () => {
    const a = await run({ seed: 3, items: 300, days: 200 });
    const b = await run({ seed: 3, items: 300, days: 200 });
    const c = await run({ seed: 4, items: 300, days: 200 });
    const [ha, hb, hc] = await Promise.all([a, b, c].map((s) => contentHash(s.handle, TABLES)));
    expect(ha).toBe(hb);
    expect(hc).not.toBe(ha);
    expect(a.result.truth).toEqual(b.result.truth);
    expect(a.result.counts).toEqual(b.result.counts);
    expect(c.result.truth.classes.map((x) => x.basePrice)).not.toEqual(a.result.truth.classes.map((x) => x.basePrice));
    // The truth is plain data: it survives JSON unchanged.
    const json = JSON.stringify(a.result.truth);
    expect(JSON.stringify(JSON.parse(json))).toBe(json);
  });

  it('with packComponents, rents single components beside each pack and bursts packs when the singles run out', async () => {
    const plain = await run({ seed: 3, items: 300, days: 200 });
    const burstScans = async (h: DatabaseHandle) =>
      Number(
        (
          await h.db
            .selectFrom('id_transactions')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('bin_location', '=', 'burst')
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(plain.result.truth.packs).toBeUndefined();
    expect(await burstScans(plain.handle)).toBe(0);

    const { handle, result } = await run({ seed: 3, items: 300, days: 200, packComponents: true });
    const packs = result.truth.packs!;
    expect(packs.length).toBeGreaterThan(0);
    const byId = new Map(result.truth.classes.map((c) => [c.rentalClass, c]));
    for (const p of packs) {
      const pack = byId.get(p.pack)!;
      const single = byId.get(p.component)!;
      expect(pack.commonName).toMatch(/\((10|25) (PACK|RACK)\)/);
      expect(pack.commonName.replace(/\s*\(\d+ (PACK|RACK)\)/, '')).toBe(single.commonName);
      expect(p.size).toBe(Number(/\((\d+)/.exec(pack.commonName)![1]));
      // Singles are not tagged as packs.
      const bins = await handle.db.selectFrom('id_item_master').select('bin_location').distinct().where('rental_class_num', '=', p.component).execute();
      expect(bins.map((b) => b.bin_location)).not.toContain('pack');
    }
    // Each pack burst is one rental scan of the pack's tag at bin location `burst`.
    expect(await burstScans(handle)).toBe(packs.reduce((a, p) => a + p.bursts, 0));
    expect(packs.reduce((a, p) => a + p.bursts, 0)).toBeGreaterThan(0);
  });

  it('reports counts that match the rows written', async () => {
    const { handle, result } = await run({ seed: 8, items: 400, days: 300 });
    const { counts, truth } = result;
    expect(counts.items).toBe(await countRows(handle, 'id_item_master'));
    expect(counts.items).toBeGreaterThanOrEqual(380);
    expect(counts.items).toBeLessThanOrEqual(420);
    expect(counts.scans).toBe(await countRows(handle, 'id_transactions'));
    expect(counts.contracts).toBe(await countRows(handle, 'pos_transactions'));
    expect(counts.lines).toBe(await countRows(handle, 'pos_transaction_items'));
    expect(counts.classes).toBe(await countRows(handle, 'rental_class_mappings'));
    expect(counts.classes).toBe(await countRows(handle, 'pos_equipment'));
    expect(counts.classes).toBe(truth.classes.length);
    expect(truth.classes.reduce((s, c) => s + c.units, 0)).toBe(counts.items);
    const n = async (q: ReturnType<typeof sql<{ n: number }>>) => Number((await q.execute(handle.db)).rows[0]!.n);
    expect(counts.failures).toBe(await n(sql<{ n: number }>`select count(*) as n from id_transactions where scan_type = 'Return' and status in ('Repair', 'Sold')`));
    expect(counts.failures).toBeGreaterThan(0);
    expect(counts.retired).toBe(await n(sql<{ n: number }>`select count(*) as n from id_item_master where status = 'Sold'`));
    // Units per class in the item master are the truth's.
    const perClass = await sql<{ cls: string; n: number }>`select rental_class_num as cls, count(*) as n from id_item_master group by 1`.execute(handle.db);
    expect(Object.fromEntries(perClass.rows.map((r) => [r.cls, Number(r.n)]))).toEqual(Object.fromEntries(truth.classes.map((c) => [c.rentalClass, c.units])));
    // Two weather rows per day, plus the local events.
    expect(await n(sql<{ n: number }>`select count(*) as n from external_data_factors where factor_type = 'weather'`)).toBe(2 * 300);
    expect(truth.start).toBe('2025-03-07');
    expect(truth.end).toBe('2025-12-31');
    const range = await sql<{ lo: string; hi: string }>`select min(scan_date) as lo, max(scan_date) as hi from id_transactions`.execute(handle.db);
    expect(range.rows[0]!.lo >= '2025-03-07 00:00:00').toBe(true);
    expect(range.rows[0]!.hi <= '2025-12-31 23:59:59').toBe(true);
  });

  it('refuses a database that already has items, and out-of-range options', async () => {
    const { handle } = await run({ seed: 1, items: 60, days: 14 });
    await expect(simulate(handle, { items: 60, days: 14 })).rejects.toThrow(/already has rows/);
    await expect(simulate(handle, { items: 10 })).rejects.toThrow(RangeError);
    await expect(simulate(handle, { days: 3 })).rejects.toThrow(RangeError);
  });

  describe('scan semantics (600 items, 400 days)', () => {
    /** What is wrong, by kind, with an example of each. */
    const found = new Map<string, string[]>();
    const note = (kind: string, example: string) => {
      const list = found.get(kind) ?? [];
      list.push(example);
      found.set(kind, list);
    };
    const problems = (...kinds: string[]) => kinds.flatMap((k) => (found.get(k) ?? []).slice(0, 3).map((e) => `${k}: ${e}`));
    let outbound = 0;
    let stillOut = 0;
    let scanCount = 0;

    beforeAll(async () => {
      const { handle, result } = await run({ seed: 5, items: 600, days: 400 });
      scanCount = result.counts.scans;
      const scans = await scansByTag(handle);
      const items = await handle.db.selectFrom('id_item_master').select(['tag_id', 'status', 'quality', 'last_contract_num', 'date_last_scanned', 'bin_location']).execute();
      const lines = await sql<{ contract_no: string; item_num: string }>`select contract_no, item_num from pos_transaction_items`.execute(handle.db);
      const lineKeys = new Set(lines.rows.map((l) => `${l.contract_no}/${l.item_num}`));
      for (const item of items) {
        const list: ScanRow[] = scans.get(item.tag_id) ?? [];
        let out: { contract: string; delivered: boolean } | null = null;
        let retired = false;
        for (const s of list) {
          const where = `${item.tag_id} ${s.scan_date} ${s.scan_type}`;
          if (retired) note('scanned after being retired', where);
          if (s.scan_type === 'Rental' || s.scan_type === 'Delivery') {
            outbound++;
            if (out) note('sent out while still out', `${where} (out on ${out.contract})`);
            if (!lineKeys.has(`${s.contract_number}/${s.rental_class_num}`)) note('outbound scan without a contract line', where);
            out = { contract: s.contract_number!, delivered: s.scan_type === 'Delivery' };
          } else if (s.scan_type === 'Pickup') {
            if (!out || !out.delivered || out.contract !== s.contract_number) note('pickup without a matching delivery', where);
          } else if (s.scan_type === 'Return') {
            if (!out || out.contract !== s.contract_number) note('return without a matching outbound scan', where);
            out = null;
            if (s.status === 'Sold') retired = true;
          } else if (s.notes === 'repair complete' && out) {
            note('repair completed while the item is out on rent', `${where} (out on ${out.contract} since earlier that day)`);
          }
        }
        const last = list.at(-1);
        if (out) {
          stillOut++;
          if (!(item.status === 'On Rent' || item.status === 'Delivered') || item.last_contract_num !== out.contract) {
            note('out at the end but the item master disagrees', `${item.tag_id}: ${item.status}/${item.last_contract_num} vs ${out.contract}`);
          }
        } else if (item.status === 'On Rent' || item.status === 'Delivered') {
          note('item master says out but every outbound scan came back', `${item.tag_id}: ${item.status}`);
        }
        if (last) {
          if (last.status !== item.status) note('final status differs from the last scan', `${item.tag_id}: ${item.status} vs ${last.status}`);
          if (last.quality !== item.quality) note('final grade differs from the last scan', `${item.tag_id}: ${item.quality} vs ${last.quality}`);
          if (last.scan_date !== item.date_last_scanned) note('date_last_scanned differs from the last scan', `${item.tag_id}: ${item.date_last_scanned} vs ${last.scan_date}`);
        } else if (item.status !== 'Ready to Rent' || item.date_last_scanned !== null) {
          note('never scanned but not on the shelf', `${item.tag_id}: ${item.status}`);
        }
        if (item.status === 'Sold' && item.bin_location !== 'sold') note('sold but not in bin sold', item.tag_id);
        if (!GRADES.includes(item.quality as never)) note('grade outside the RFID3 letter grades', `${item.tag_id}: ${item.quality}`);
      }
    }, 30_000);

    it('every Rental/Delivery has a later Return for the same tag and contract, unless still out at the end', () => {
      expect(outbound).toBeGreaterThan(10_000);
      expect(stillOut).toBeGreaterThan(0); // the end cuts some rentals short, and the check covers them
      expect(scanCount).toBeGreaterThan(outbound * 2);
      expect(
        problems(
          'sent out while still out',
          'outbound scan without a contract line',
          'pickup without a matching delivery',
          'return without a matching outbound scan',
          'out at the end but the item master disagrees',
          'item master says out but every outbound scan came back',
          'scanned after being retired',
        ),
      ).toEqual([]);
    });

    it('each item’s final status, grade and last-scanned date agree with its last scan', () => {
      expect(
        problems(
          'final status differs from the last scan',
          'final grade differs from the last scan',
          'date_last_scanned differs from the last scan',
          'never scanned but not on the shelf',
          'sold but not in bin sold',
          'grade outside the RFID3 letter grades',
        ),
      ).toEqual([]);
    });

    it('no repair is completed while the item is out on rent (scan times within a day are in order)', () => {
      expect(problems('repair completed while the item is out on rent')).toEqual([]);
    });
  });
});

/**
 * Recovering the truth from what was written. One two-year business of 2,000 items (seed 1) — large
 * enough for a yearly cycle, for some 800 failures after a repair, and for about 90 classes with price
 * changes. The tolerances below were checked on seeds 1–6, and each is argued where it is asserted.
 */
describe('simulator: the truth can be recovered from the written data', () => {
  let handle: DatabaseHandle;
  let result: SimulationResult;
  let scans: Map<string, ScanRow[]>;
  beforeAll(async () => {
    ({ handle, result } = await simulated({ seed: 1, items: 2000, days: 730 }));
    scans = await scansByTag(handle);
  }, 60_000);
  afterAll(async () => {
    await handle?.close();
  });

  it('expectedDailyUnits (and so demandFactor) account for the units the simulator asked for', () => {
    const { truth } = result;
    const days = dayRange(truth.start, truth.end);
    const biggest = [...truth.classes].sort((a, b) => b.requestedUnits - a.requestedUnits).slice(0, 5);
    for (const c of biggest) {
      const expected = days.reduce((s, d) => s + expectedDailyUnits(truth, c.rentalClass, d), 0);
      // Requests arrive as Poisson numbers of contract lines of random size (mean meanQty, variance
      // about meanQty² / 2), so the total's relative standard error is √(1.5 · meanQty / expected).
      const se = Math.sqrt((1.5 * c.meanQty) / expected);
      expect(Math.abs(c.requestedUnits / expected - 1), `${c.rentalClass}: ${c.requestedUnits} vs ${expected.toFixed(0)}`).toBeLessThanOrEqual(4 * se);
    }
    // Per store, the shares add up to the whole.
    const c = biggest[0]!;
    const day = days[200]!;
    const byStore = truth.stores.reduce((s, st) => s + expectedDailyUnits(truth, c.rentalClass, day, st.code), 0);
    expect(byStore).toBeCloseTo(expectedDailyUnits(truth, c.rentalClass, day), 9);
  });

  it('the weekly pattern: units out per weekday ÷ their mean follow truth.weekly', async () => {
    const { truth } = result;
    const days = dayRange(truth.start, truth.end);
    const profile = weeklyProfile(days, await dailyUnitsOut(handle, truth));
    const lostShare = truth.classes.reduce((s, c) => s + c.lostUnits, 0) / truth.classes.reduce((s, c) => s + c.requestedUnits, 0);
    // Units out are demand censored by stock: about 13 % of the units asked for were not on the shelf,
    // mostly on the busiest days (Friday, and Saturday while Friday's rentals are still out). That
    // flattens the peaks by up to about the lost share, so each weekday is allowed 15 % (seeds 1–6:
    // largest error 6–13 %); sampling noise over 104 weeks of some 200 units a day is a few percent.
    expect(lostShare).toBeLessThan(0.15);
    profile.forEach((p, d) => expect(Math.abs(p / truth.weekly[d]! - 1), `weekday ${d}: ${p} vs ${truth.weekly[d]}`).toBeLessThanOrEqual(0.15));
    expect(profile.indexOf(Math.max(...profile))).toBe(5); // Friday
    expect(profile.indexOf(Math.min(...profile))).toBe(0); // Sunday
  });

  it('the yearly cycle of a strongly seasonal category (Tent Sidewalls): amplitude and peak day', async () => {
    const { truth } = result;
    const cat = 'Tent Sidewalls';
    const fit = yearlyCycle(truth, await dailyUnitsOut(handle, truth, cat));
    const want = truth.categories[cat]!.seasonality;
    expect(want.amplitude).toBe(0.75);
    // The regression's standard error of the amplitude is about 0.045 (a few units a day, two years);
    // stock-outs in high season damp it further. ±0.12 is about 2.5 standard errors (seeds 1–6 gave
    // 0.64–0.78 against 0.75). The peak day is pinned far better: ±10 days (seeds: 179–187 vs 185).
    expect(fit.amplitudeSe).toBeLessThan(0.06);
    expect(Math.abs(fit.amplitude - want.amplitude)).toBeLessThanOrEqual(0.12);
    expect(Math.abs(fit.peakDay - want.peakDay)).toBeLessThanOrEqual(10);
  });

  it('the Weibull failure hazard by rentals since service', () => {
    const { truth } = result;
    const bins = hazardByRentals(truth, scans, [
      [1, 5],
      [6, 10],
      [11, 20],
      [21, 40],
      [41, 10_000],
    ]);
    // Each bin's failures are a sum of independent Bernoulli draws with the truth's hazards, so their
    // variance is below the expected count E: |observed − E| ≤ 3√E is a three-sigma band. The hazard
    // rises with use (shape > 1), which the bins must show too.
    for (const b of bins) {
      expect(b.atRisk).toBeGreaterThan(1000);
      expect(Math.abs(b.failures - b.expected), `rentals ${b.from}–${b.to}: ${b.failures} vs ${b.expected.toFixed(1)}`).toBeLessThanOrEqual(3 * Math.sqrt(b.expected));
    }
    const total = bins.reduce((s, b) => s + b.failures, 0);
    const expected = bins.reduce((s, b) => s + b.expected, 0);
    expect(total).toBeGreaterThan(500);
    expect(Math.abs(total / expected - 1)).toBeLessThanOrEqual(0.1);
    const rate = bins.map((b) => b.failures / b.atRisk);
    expect(rate[3]!).toBeGreaterThan(rate[0]!);
  });

  it('the grade transition matrix of a category (Tables and Chairs), from consecutive returns', () => {
    const cat = 'Tables and Chairs';
    const counts = gradeTransitions(scans, cat);
    const truthMatrix = result.truth.categories[cat]!.gradeTransition;
    counts.forEach((row, i) => {
      const n = row.reduce((a, b) => a + b, 0);
      expect(n, `transitions from ${GRADES[i]}`).toBeGreaterThan(500);
      row.forEach((c, j) => {
        const p = truthMatrix[i]![j]!;
        const where = `${GRADES[i]} → ${GRADES[j]}: ${c}/${n} vs ${p}`;
        // Structural zeros (a rental never improves a grade nor drops it three steps) must be exactly zero;
        // other cells are binomial proportions: within four standard errors.
        if (p === 0 || p === 1) expect(c / n, where).toBe(p);
        else expect(Math.abs(c / n - p), where).toBeLessThanOrEqual(4 * Math.sqrt((p * (1 - p)) / n));
      });
    });
  });

  it('the price elasticity of classes whose price changed, controlling for the day’s demand factor', async () => {
    const { truth } = result;
    const estimates = priceElasticities(truth, await unitsByClassAndDay(handle));
    expect(estimates.length).toBeGreaterThan(50);
    // Prices move at most three times by −20…+25 % over two years and many classes rent a few units a
    // day in lines of many units, so one class's elasticity is known only to ±0.3–0.5 (one standard
    // error). What can be checked is that the estimates agree with the truth as far as their errors
    // say: about 95 % within two standard errors (seeds 1–6: 95–97 %; we ask 85 %), the best-measured
    // class within three, and the precision-weighted average within 0.4 of the truth's (≈ 3 standard
    // errors of 0.11, plus the attenuation stock-outs cause: seeds gave −0.04 … +0.34).
    const within2 = estimates.filter((e) => Math.abs(e.estimate - e.truth) <= 2 * e.se).length / estimates.length;
    expect(within2).toBeGreaterThanOrEqual(0.85);
    const best = [...estimates].sort((a, b) => a.se - b.se)[0]!;
    expect(best.se).toBeLessThan(0.5);
    expect(Math.abs(best.estimate - best.truth), `class ${best.rentalClass}: ${best.estimate} ± ${best.se} vs ${best.truth}`).toBeLessThanOrEqual(3 * best.se);
    const w = estimates.map((e) => 1 / e.se ** 2);
    const W = w.reduce((a, b) => a + b, 0);
    const estimated = estimates.reduce((s, e, i) => s + w[i]! * e.estimate, 0) / W;
    const actual = estimates.reduce((s, e, i) => s + w[i]! * e.truth, 0) / W;
    expect(Math.abs(estimated - actual)).toBeLessThanOrEqual(0.4);
    expect(estimated).toBeLessThan(-0.5); // demand clearly falls as price rises
  });
});
