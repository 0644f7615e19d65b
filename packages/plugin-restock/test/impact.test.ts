import { actorOf, addDays, dayRange, MATCH_IMPACT_JOB, systemActor } from '@rfid3/core';
import type { BusinessKpis } from '@rfid3/core';
import { startTestHost, type TestHost } from '@rfid3/core/testing';
import { demandPlugin } from '@rfid3/plugin-demand';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restockPlugin } from '../src/index.js';

describe('the actual impact of an executed restock decision, measured once its window has passed', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startTestHost({
      plugins: [{ plugin: demandPlugin, config: { matchActualsEveryMinutes: 0 } }, restockPlugin],
      simulate: { items: 500, days: 420 },
    });
  }, 120_000);
  afterAll(() => host.close());

  it('is the rent of the units out beyond the fleet the purchase was made for, as the contract lines and the simulator’s sold-out days say', async () => {
    const truth = host.simulation!.truth;
    const db = host.runtime.database.db;
    const from = addDays(truth.end, -40);
    const to = addDays(truth.end, -20);
    // The class most rented in the window with no repair or retirement near it: its units out are its contract lines'.
    const touched = new Set(
      (
        await db
          .selectFrom('id_transactions')
          .select('rental_class_num')
          .distinct()
          .where('scan_date', '>=', `${addDays(from, -120)} 00:00:00`)
          .where('scan_date', '<=', `${to} 23:59:59`)
          .where('status', 'in', ['Repair', 'Sold'])
          .execute()
      ).map((r) => String(r.rental_class_num)),
    );
    const lines = await db
      .selectFrom('pos_transaction_items as i')
      .innerJoin('pos_transactions as t', 't.contract_no', 'i.contract_no')
      .select(['i.item_num as cls', sql<string>`substr(t.contract_date, 1, 10)`.as('out'), sql<string>`substr(i.due_date, 1, 10)`.as('due'), 'i.qty'])
      .where('t.contract_date', '<=', `${to} 23:59:59`)
      .where('i.due_date', '>=', `${from} 00:00:00`)
      .execute();
    const days = dayRange(from, to);
    const onRent = new Map<string, number[]>();
    for (const l of lines) {
      const cls = String(l.cls);
      const series =
        onRent.get(cls) ??
        onRent
          .set(
            cls,
            days.map(() => 0),
          )
          .get(cls)!;
      // Out from the contract's day through the day it is due (returns come back after that day's rentals).
      days.forEach((d, i) => (series[i] += d >= l.out && d <= l.due ? Number(l.qty) : 0));
    }
    const cls = truth.classes
      .filter((c) => !touched.has(c.rentalClass) && c.units >= 4 && onRent.has(c.rentalClass))
      .sort((a, b) => onRent.get(b.rentalClass)!.reduce((s, x) => s + x, 0) - onRent.get(a.rentalClass)!.reduce((s, x) => s + x, 0))[0]!;
    const series = onRent.get(cls.rentalClass)!;
    const peak = Math.max(...series);
    // As if the last units bought had arrived at the window's start: the fleet before them was `base`.
    const quantity = Math.max(1, Math.min(cls.units - 1, Math.ceil(peak / 3)));
    const base = cls.units - quantity;
    const rate = Number((await db.selectFrom('pos_equipment').select('rate_1').where('item_num', '=', cls.rentalClass).executeTakeFirstOrThrow()).rate_1);
    const expected = series.reduce((s, x) => s + Math.min(quantity, Math.max(0, x - base)), 0) * rate;
    expect(expected).toBeGreaterThan(0);

    const ledger = host.runtime.decisions;
    const propose = (window: { from: string; to: string }, predictedImpact: number) =>
      ledger.propose(
        {
          type: 'restock',
          target: { type: 'rental_class', id: cls.rentalClass },
          scope: window.from,
          confidence: 0.7,
          quantity,
          unitCostUsd: 1,
          predictedImpact,
          action: { rentalClass: cls.rentalClass, quantity, impact: { ...window, baseUnits: base, dailyRate: rate } },
        },
        systemActor('test'),
      );
    const approver = actorOf(host.principals.approve);
    const past = await propose({ from, to }, 100);
    const future = await propose({ from: addDays(truth.end, -5), to: addDays(truth.end, 10) }, 50);
    for (const d of [past, future]) {
      await ledger.approve(d.id, approver);
      await ledger.execute(d.id, approver);
    }

    expect(await host.runJob(MATCH_IMPACT_JOB)).toMatchObject({ matched: 1, waiting: 1, unmeasured: 0, dataThrough: truth.end });
    const measured = (await ledger.get(past.id))!;
    expect(measured.actualImpact).toBeCloseTo(expected, 2);
    expect((await ledger.get(future.id))!.actualImpact).toBeNull();
    // On each day the simulator says the class was sold out, every one of the units bought was out.
    const soldOut = cls.soldOutDays.filter((d) => d >= from && d <= to).length;
    expect(measured.actualImpact!).toBeGreaterThanOrEqual(soldOut * quantity * rate - 0.01);
    // Recorded as a transition of the ledger, once: the job does not measure it again.
    expect((await ledger.transitions(past.id)).filter((t) => t.action === 'impact')).toHaveLength(1);
    expect(await host.runJob(MATCH_IMPACT_JOB)).toMatchObject({ matched: 0, waiting: 1 });

    const k = (await host.call('GET', '/kpis')).body as BusinessKpis;
    const actual = measured.actualImpact!;
    expect(k.decisionAccuracy).toMatchObject({ matched: 1, awaitingMeasurement: 1, predicted: 100, actual });
    expect(k.decisionAccuracy.accuracy).toBeCloseTo(Math.max(0, 1 - Math.abs(actual - 100) / actual), 4);
    expect(k.decisionAccuracy.decisions).toEqual([expect.objectContaining({ id: past.id, predictedImpact: 100, actualImpact: actual })]);
    expect(k.decisionAccuracy.byType.restock).toMatchObject({ matched: 1 });
  });
});
