import { fleetDays } from '@rfid3/core';
import type { DatabaseHandle, DecisionRecord, ImpactMeasure } from '@rfid3/core';

interface ImpactWindow {
  from: string;
  to: string;
  baseUnits: number;
  dailyRate: number;
}

function windowOf(d: DecisionRecord): ImpactWindow | null {
  const w = (d.action as { impact?: Partial<ImpactWindow> }).impact;
  if (!w || typeof w.from !== 'string' || typeof w.to !== 'string' || typeof w.baseUnits !== 'number' || typeof w.dailyRate !== 'number') return null;
  return { from: w.from, to: w.to, baseUnits: w.baseUnits, dailyRate: w.dailyRate };
}

/**
 * What a restock purchase earned in its window: on each day from the units' arrival to the window's end, the units
 * out at once beyond the fleet the decision was made for (at most the units bought) at the daily rate. The units
 * out come from the RFID scans (`fleetDays`: on rent, in repair or to be inspected), as the prediction counted units
 * on rent beyond the same fleet.
 */
export function restockImpactMeasure(database: DatabaseHandle): ImpactMeasure {
  return {
    decisionType: 'restock',
    horizonEnd: (d) => windowOf(d)?.to ?? null,
    async measure(d) {
      const w = windowOf(d);
      const quantity = d.quantity ?? Number((d.action as { quantity?: number }).quantity ?? 0);
      if (!w || !(quantity > 0)) return null;
      const fleet = await fleetDays(database, { from: w.from, to: w.to, rentalClasses: [d.target.id] });
      const c = fleet.classes.get(d.target.id);
      if (!c) return null;
      let unitDays = 0;
      for (let i = 0; i < fleet.days.length; i++) unitDays += Math.min(quantity, Math.max(0, c.maxOut[i]! - w.baseUnits));
      return unitDays * w.dailyRate;
    },
  };
}
