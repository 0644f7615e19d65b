import type { DemandLevel, InventoryData, PredictionStore } from '@rfid3/core';
import { DEMAND_PREDICTION_TYPE } from './forecaster.js';

/**
 * Matches stored demand predictions with what happened: for every open prediction about a finished
 * day, the units that actually went out (zero when nothing did). Returns how many rows were matched.
 */
export async function matchDemandActuals(deps: { inventory: InventoryData; store: PredictionStore }, through: string): Promise<number> {
  const open = await deps.store.openTargets(DEMAND_PREDICTION_TYPE, through);
  const groups = new Map<string, typeof open>();
  for (const t of open) {
    const g = `${t.targetType}\u0000${t.store ?? ''}`;
    groups.set(g, [...(groups.get(g) ?? []), t]);
  }
  let matched = 0;
  for (const targets of groups.values()) {
    const { targetType, store } = targets[0]!;
    if (!['rental_class', 'category', 'total'].includes(targetType)) continue;
    const days = targets.map((t) => t.targetDate).sort();
    const rows = await deps.inventory.dailyUnitsOut({
      level: targetType as DemandLevel,
      store: store ?? undefined,
      byStore: store !== null,
      from: days[0],
      to: days[days.length - 1],
    });
    const units = new Map(rows.map((r) => [`${r.key}\u0000${r.day}`, r.units]));
    matched += await deps.store.recordActuals(
      targets.map((t) => ({
        predictionType: DEMAND_PREDICTION_TYPE,
        targetType: t.targetType,
        targetId: t.targetId,
        store: t.store,
        targetDate: t.targetDate,
        value: units.get(`${t.targetId}\u0000${t.targetDate}`) ?? 0,
      })),
    );
  }
  return matched;
}
