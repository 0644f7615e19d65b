import type { DatabaseHandle, DemandLevel, InventoryData, PredictionStore } from '@rfid3/core';
import { addDays } from '@rfid3/core';
import { DEMAND_PREDICTION_TYPE, ON_RENT_PREDICTION_TYPE } from './forecaster.js';
import { ON_RENT_LOOKBACK_DAYS, loadOnRentSeries } from './series.js';

/** What actually happened for one level and store over [from, to]: a value per `key\0day`. */
type ActualsLoader = (q: { level: DemandLevel; store: string | null; from: string; to: string }) => Promise<Map<string, number>>;

/**
 * Matches the open predictions of one type about finished days with what happened, grouped by level and
 * store so that each group is read once (a day with nothing counts zero). Returns how many rows were matched.
 */
async function matchActuals(store: PredictionStore, predictionType: string, through: string, load: ActualsLoader): Promise<number> {
  const open = await store.openTargets(predictionType, through);
  const groups = new Map<string, typeof open>();
  for (const t of open) {
    const g = `${t.targetType}\u0000${t.store ?? ''}`;
    groups.set(g, [...(groups.get(g) ?? []), t]);
  }
  let matched = 0;
  for (const targets of groups.values()) {
    const { targetType, store: targetStore } = targets[0]!;
    if (!['rental_class', 'category', 'total'].includes(targetType)) continue;
    const days = targets.map((t) => t.targetDate).sort();
    const actual = await load({ level: targetType as DemandLevel, store: targetStore, from: days[0]!, to: days[days.length - 1]! });
    matched += await store.recordActuals(
      targets.map((t) => ({
        predictionType,
        targetType: t.targetType,
        targetId: t.targetId,
        store: t.store,
        targetDate: t.targetDate,
        value: actual.get(`${t.targetId}\u0000${t.targetDate}`) ?? 0,
      })),
    );
  }
  return matched;
}

/**
 * Matches stored demand predictions with what happened: for every open prediction about a finished
 * day, the units that actually went out (zero when nothing did). Returns how many rows were matched.
 */
export function matchDemandActuals(deps: { inventory: InventoryData; store: PredictionStore }, through: string): Promise<number> {
  return matchActuals(deps.store, DEMAND_PREDICTION_TYPE, through, async ({ level, store, from, to }) => {
    const rows = await deps.inventory.dailyUnitsOut({ level, store: store ?? undefined, byStore: store !== null, from, to });
    return new Map(rows.map((r) => [`${r.key}\u0000${r.day}`, r.units]));
  });
}

/**
 * Matches stored units-on-rent predictions (`demand.on_rent`) with the units actually on rent at the end of
 * each finished day, counted from the scans as `loadOnRentSeries` counts them. Returns how many rows were matched.
 */
export function matchOnRentActuals(deps: { inventory: InventoryData; store: PredictionStore; database: DatabaseHandle }, through: string): Promise<number> {
  return matchActuals(deps.store, ON_RENT_PREDICTION_TYPE, through, async ({ level, store, from, to }) => {
    // Read from a lookback before the first day, as the forecast's own history was: rentals that began long
    // before it are counted the same way.
    const series = await loadOnRentSeries(deps.database, deps.inventory, { level, store: store ?? undefined, from: addDays(from, -ON_RENT_LOOKBACK_DAYS), to });
    const out = new Map<string, number>();
    for (const s of series) s.days.forEach((d, i) => out.set(`${s.key}\u0000${d}`, s.values[i]!));
    return out;
  });
}
