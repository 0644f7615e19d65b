import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  actorOf,
  addDays,
  comparedWeeks,
  coreMigrations,
  createDatabase,
  fleetDays,
  migrate,
  kpiReportSchema,
  MATCH_IMPACT_JOB,
  scansInTimeOrder,
  soldOut,
  systemActor,
} from '../src/index.js';
import type { BusinessKpis, DatabaseHandle, FleetDays, ProposedDecision } from '../src/index.js';
import { fleetDaysWalk } from '../src/kpis/fleet-days.js';
import { startTestHost, type TestHost } from '../src/testing/index.js';

const DAYS = 420;

describe('GET /kpis on a simulated business, against the simulator’s truth', () => {
  let host: TestHost;
  let kpis: BusinessKpis;
  const truth = () => host.simulation!.truth;
  const inWeek = (days: string[], w: { from: string; to: string }) => days.filter((d) => d >= w.from && d <= w.to).length;

  beforeAll(async () => {
    // 420 days: a whole period of 420 days, and eight weeks with the same weeks a year earlier.
    host = await startTestHost({ simulate: { items: 500, days: DAYS } });
    kpis = (await host.call('GET', `/kpis?days=${DAYS}`)).body as BusinessKpis;
  }, 120_000);
  afterAll(() => host.close());

  it('covers the simulated days and answers in the documented shape', () => {
    expect(kpis.asOf).toBe(truth().end);
    expect(kpis.period).toEqual({ from: truth().start, to: truth().end, days: DAYS });
    expect(kpis.previousPeriod.covered).toBe(false);
    expect(() => kpiReportSchema.parse(kpis)).not.toThrow();
    expect(host.runtime.endpoints.find('GET', '/kpis')?.mounted.endpoint.output).toBe(kpiReportSchema);
  });

  it('the one pass over the scans finds what fleetDays finds on its own: the sold-out class-days of every week and the fleet of the period', async () => {
    const fleet = await fleetDays(host.runtime.database, { from: truth().start, to: truth().end });
    const index = (day: string) => fleet.days.indexOf(day);
    const soldOutDays = (w: { from: string; to: string }) => {
      let n = 0;
      for (let d = Math.max(0, index(w.from)); d >= 0 && d <= index(w.to); d++) for (const c of fleet.classes.values()) if (soldOut(c, d)) n++;
      return n;
    };
    for (const w of kpis.stockouts.weeks) {
      expect(w.soldOutClassDays).toBe(soldOutDays(w));
      expect(w.yearEarlier!.soldOutClassDays).toBe(soldOutDays(w.yearEarlier!));
    }
    const unitDays = [...fleet.classes.values()].reduce((a, c) => a + c.owned.reduce((x, y) => x + y, 0), 0);
    expect(kpis.inventoryTurns.days).toBe(fleet.days.length);
    expect(kpis.inventoryTurns.averageUnitsOwned).toBeCloseTo(unitDays / fleet.days.length, 2);
  });

  it('fleetDays closes every day, those without a scan too; its walk fed every scan (without a status, outside its range) passes over what is not its own', async () => {
    const database = host.runtime.database;
    // Ten days past the last scan: no scan on them, the fleet and the units out stand as they were left.
    const range = { from: addDays(truth().end, -30), to: addDays(truth().end, 10) };
    const fleet = await fleetDays(database, range);
    expect(fleet.days).toHaveLength(41);
    const last = fleet.days.indexOf(truth().end);
    let out = 0;
    for (const c of fleet.classes.values()) {
      expect(c.owned[last]).toBeGreaterThanOrEqual(0);
      for (let d = last + 1; d < fleet.days.length; d++) {
        expect(c.owned[d]).toBe(c.owned[last]);
        expect(c.maxOut[d]).toBe(c.maxOut[last + 1]);
      }
      out += c.maxOut[last + 1]!;
    }
    expect(out).toBeGreaterThan(0);

    const same = async (r: { from: string; to: string }) => {
      const walk = await fleetDaysWalk(database, r);
      const rows = scansInTimeOrder(database, { start: `${addDays(r.from, -20)} 00:00:00`, end: `${r.to} 23:59:59`, columns: ['tag_id', 'status', 'bin_location'] });
      for await (const day of rows) for (const row of day) walk.scan(row);
      const plain = (f: FleetDays) => ({ days: f.days, classes: [...f.classes].map(([cls, c]) => [cls, [...c.owned], [...c.maxOut]]) });
      expect(plain(walk.finish())).toEqual(plain(await fleetDays(database, r)));
    };
    // A scan with no status that would say an item was sold: not the fleet's (it reads scans with a status only).
    const db = database.db;
    const item = await db.selectFrom('id_item_master').select(['tag_id', 'rental_class_num']).where('status', '=', 'Ready to Rent').orderBy('tag_id').executeTakeFirstOrThrow();
    const probe = await db
      .insertInto('id_transactions')
      .values({
        tag_id: item.tag_id,
        scan_type: 'Touch Scan',
        scan_date: `${addDays(truth().end, -15)} 12:00:00`,
        status: null,
        bin_location: 'sold',
        rental_class_num: item.rental_class_num,
      } as never)
      .executeTakeFirst();
    try {
      await same(range);
    } finally {
      await db.deleteFrom('id_transactions').where('id', '=', Number(probe.insertId)).execute();
    }
    // A range starting before the first scan, and one ending mid-data.
    await same({ from: addDays(truth().start, -3), to: addDays(truth().start, 20) });
  });

  it('stockouts: the sold-out class-days of each week, and of the same week a year earlier, are the simulator’s exactly; every day it turned a request away is one of them', () => {
    const classes = truth().classes;
    expect(kpis.stockouts.weeks.map((w) => ({ from: w.from, to: w.to }))).toEqual(comparedWeeks(truth().end, 8).map((c) => c.week));
    for (const w of kpis.stockouts.weeks) {
      expect(w.soldOutClassDays).toBe(classes.reduce((a, c) => a + inWeek(c.soldOutDays, w), 0));
      expect(w.yearEarlier!.soldOutClassDays).toBe(classes.reduce((a, c) => a + inWeek(c.soldOutDays, w.yearEarlier!), 0));
    }
    const total = kpis.stockouts.total;
    expect(total.current + total.previous!).toBeGreaterThan(0);
    // The truth behind the proxy: a request is turned away only on a day the class is sold out.
    for (const c of classes) for (const d of c.stockoutDays) expect(c.soldOutDays).toContain(d);
    const turnedAway = classes.reduce((a, c) => a + c.stockoutDays.length, 0);
    const soldOut = classes.reduce((a, c) => a + c.soldOutDays.length, 0);
    expect(turnedAway).toBeGreaterThan(0);
    expect(turnedAway).toBeLessThanOrEqual(soldOut);
  });

  it('inventory turns: the units sent out are the units the simulator served; the average fleet lies between the fleet less its retirements and the whole fleet', () => {
    const t = kpis.inventoryTurns;
    const served = truth().classes.reduce((a, c) => a + c.requestedUnits - c.lostUnits, 0);
    expect(t.unitsRented).toBe(served);
    const fleet = truth().classes.reduce((a, c) => a + c.units, 0);
    expect(t.averageUnitsOwned).toBeLessThanOrEqual(fleet);
    expect(t.averageUnitsOwned).toBeGreaterThanOrEqual(fleet - host.simulation!.counts.retired);
    expect(t.perYear).toBeCloseTo((served / t.averageUnitsOwned) * (365 / DAYS), 3);
    expect(t.previous).toBeNull();
  });

  it('revenue per rental: the rent of the contracts is the simulator’s revenue, per contract it wrote', () => {
    const r = kpis.revenuePerRental;
    const revenue = truth().classes.reduce((a, c) => a + c.revenue, 0);
    expect(r.contracts).toBe(host.simulation!.counts.contracts);
    // Contracts round their rent to cents one by one.
    expect(Math.abs(r.revenue - revenue)).toBeLessThan(0.005 * r.contracts + 0.01);
    expect(r.perContract).toBeCloseTo(revenue / r.contracts, 1);
    expect(r.unitsRented).toBe(truth().classes.reduce((a, c) => a + c.requestedUnits - c.lostUnits, 0));
  });

  it('repairs and replacements: every simulated repair is unplanned (the simulator only repairs what breaks), none of its retirements is premature; a planned repair and an early retirement count as such', async () => {
    const counts = host.simulation!.counts;
    const repairs = kpis.unplannedRepairs;
    expect(repairs.unplannedRepairs).toBe(counts.failures - counts.retired);
    expect(repairs.plannedRepairs).toBe(0);
    expect(repairs.costShare).toBe(1);
    const ltd = await host.runtime.database.db
      .selectFrom('id_item_master')
      .select((eb) => eb.fn.sum<number>('repair_cost_ltd').as('c'))
      .executeTakeFirstOrThrow();
    expect(repairs.unplannedCost).toBeCloseTo(Number(ltd.c), 1);
    expect(repairs.withoutEstimate).toBe(0);
    expect(kpis.prematureReplacements).toMatchObject({ count: 0, retired: counts.retired, minRentableGrade: 'C' });

    // An item sent to the workshop from the shelf (planned), and a grade-A item sold off (premature).
    const db = host.runtime.database.db;
    const [a, b] = await db.selectFrom('id_item_master').selectAll().where('status', '=', 'Ready to Rent').orderBy('tag_id').limit(2).execute();
    const day = addDays(truth().end, -10);
    const scan = (tag: string, at: string, fields: Record<string, unknown>) =>
      db
        .insertInto('id_transactions')
        .values({ tag_id: tag, scan_type: 'Touch Scan', scan_date: at, rental_class_num: a!.rental_class_num, ...fields } as never)
        .execute();
    await scan(a!.tag_id, `${day} 09:00:00`, { status: 'Repair', notes: 'repair estimate $40.00', quality: 'B' });
    await scan(a!.tag_id, `${addDays(day, 2)} 06:30:00`, { status: 'Ready to Rent', quality: 'B' });
    await scan(b!.tag_id, `${day} 10:00:00`, { status: 'Sold', bin_location: 'sold', quality: 'A' });
    const after = (await host.call('GET', `/kpis?days=${DAYS}&weeks=7`)).body as BusinessKpis;
    expect(after.unplannedRepairs).toMatchObject({ plannedRepairs: 1, plannedCost: 40, unplannedRepairs: repairs.unplannedRepairs });
    expect(after.unplannedRepairs.costShare).toBeCloseTo(repairs.unplannedCost / (repairs.unplannedCost + 40), 4);
    expect(after.prematureReplacements).toMatchObject({ count: 1, retired: counts.retired + 1 });
  });

  it('acceptance counts what people decided, apart from auto-approvals, safeguard rejections and replaced proposals; decision accuracy waits for a measure', async () => {
    const ledger = host.runtime.decisions;
    const proposal = (id: string, confidence: number, quantity = 2): ProposedDecision => ({
      type: 'restock',
      target: { type: 'rental_class', id },
      confidence,
      quantity,
      unitCostUsd: 50,
      predictedImpact: 100,
      action: { rentalClass: id, quantity },
    });
    const approver = actorOf(host.principals.approve);
    const operator = actorOf(host.principals.operate);
    const pending = [];
    for (const id of ['A1', 'A2', 'A3', 'R1', 'S1']) pending.push(await ledger.propose(proposal(id, 0.7), systemActor('test')));
    expect(pending.every((d) => d.status === 'pending')).toBe(true);
    for (const d of pending.slice(0, 3)) await ledger.approve(d.id, approver);
    await ledger.execute(pending[0]!.id, approver);
    await ledger.reject(pending[3]!.id, operator, 'not now');
    // S1 replaced by a changed proposal: closed by the ledger, not by a person.
    await ledger.propose(proposal('S1', 0.7, 3), systemActor('test'));
    const auto = await ledger.propose(proposal('AUTO', 0.95), systemActor('test'));
    expect(auto.status).toBe('approved');

    const k = (await host.call('GET', `/kpis?days=${DAYS}`)).body as BusinessKpis;
    // Three approved (one executed) against one rejected: 0.75.
    expect(k.recommendationAcceptance).toMatchObject({ accepted: 3, rejected: 1, rate: 0.75, autoApproved: 1, pending: 1 });
    expect(k.recommendationAcceptance.byType.restock).toMatchObject({ accepted: 3, rejected: 1, rate: 0.75 });
    // The executed decision has no measure for its type in core alone: it waits, and the job says it cannot measure it.
    expect(k.decisionAccuracy).toMatchObject({ matched: 0, awaitingMeasurement: 1, accuracy: null });
    expect(await host.runJob(MATCH_IMPACT_JOB)).toMatchObject({ matched: 0, unmeasured: 1, dataThrough: truth().end });
  });

  it('publishes the default report as Prometheus gauges', async () => {
    const k = (await host.call('GET', '/kpis')).body as BusinessKpis;
    const text = await host.runtime.metrics.registry.metrics();
    expect(text).toContain(`rfid3_kpi_inventory_turns_per_year{period="current"} ${k.inventoryTurns.perYear}`);
    expect(text).toContain(`rfid3_kpi_stockout_class_days{period="current"} ${k.stockouts.total.current}`);
    expect(text).toContain(`rfid3_kpi_recommendation_acceptance_ratio ${k.recommendationAcceptance.rate}`);
    expect(text).toContain(`rfid3_kpi_revenue_per_rental_usd{period="current"} ${k.revenuePerRental.perContract}`);
  });

  it('bad input is a 400 naming the field', async () => {
    await expect(host.call('GET', '/kpis?weeks=0')).rejects.toMatchObject({ status: 400, errors: [{ field: 'query.weeks' }] });
    await expect(host.call('GET', '/kpis?asOf=2026-13-01')).rejects.toMatchObject({ status: 400, errors: [{ field: 'query.asOf' }] });
    await expect(host.call('POST', '/kpis/match-impact', { principal: host.principals.read })).rejects.toMatchObject({ status: 403 });
  });
});

describe('fleetDays on a hand-made fleet (not the simulator’s)', () => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = createDatabase('sqlite::memory:');
    await migrate(database, 'core', coreMigrations);
  });
  afterAll(() => database.close());

  it('an item the item master calls sold, with no scan before the range, stood on a shelf from the range’s first morning (or its arrival) until its first scan in it', async () => {
    const item = (tag_id: string, status: string, created: string) => ({
      tag_id,
      rental_class_num: 'C1',
      status,
      bin_location: status === 'Sold' ? 'sold' : 'A1',
      date_created: `${created} 08:00:00`,
    });
    await database.db
      .insertInto('id_item_master')
      .values([
        item('KEEP', 'Ready to Rent', '2026-01-01'),
        item('OLD', 'Sold', '2026-01-01'),
        item('LATE', 'Sold', '2026-03-03'),
        item('GONE', 'Sold', '2026-01-01'),
        item('EARLY', 'Sold', '2026-03-05'),
      ] as never)
      .execute();
    const scan = (tag_id: string, at: string, status: string) => ({
      tag_id,
      scan_type: status === 'Ready to Rent' ? 'Return' : 'Rental',
      scan_date: at,
      status,
      bin_location: status === 'Sold' ? 'sold' : 'A1',
      rental_class_num: 'C1',
    });
    await database.db
      .insertInto('id_transactions')
      .values([
        // KEEP goes out on the 3rd and comes back on the 4th; OLD goes out on the 5th and is sold on the 6th;
        // LATE arrives on the 3rd and goes out on the 4th; GONE has no scan at all; EARLY's only scan is dated
        // before the day it was created (the 5th).
        scan('EARLY', '2026-03-02 12:00:00', 'Ready to Rent'),
        scan('KEEP', '2026-03-03 09:00:00', 'On Rent'),
        scan('KEEP', '2026-03-04 10:00:00', 'Ready to Rent'),
        scan('LATE', '2026-03-04 11:00:00', 'On Rent'),
        scan('OLD', '2026-03-05 09:30:00', 'On Rent'),
        scan('OLD', '2026-03-06 09:30:00', 'Sold'),
      ] as never)
      .execute();
    const fleet = await fleetDays(database, { from: '2026-03-01', to: '2026-03-07' });
    const c = fleet.classes.get('C1')!;
    // Owned: KEEP and OLD from the 1st, LATE from its arrival on the 3rd, EARLY from its arrival on the 5th, OLD
    // gone on the 6th; GONE never.
    expect([...c.owned]).toEqual([2, 2, 3, 3, 4, 3, 3]);
    // Most out at once: KEEP on the 3rd (out all day from 09:00); on the 4th KEEP until 10:00, then LATE from 11:00,
    // one at a time; on the 5th LATE and OLD; on the 6th and 7th LATE (OLD is gone).
    expect([...c.maxOut]).toEqual([0, 0, 1, 1, 2, 1, 1]);
  });
});
