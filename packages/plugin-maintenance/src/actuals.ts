import type { DatabaseHandle, InventoryData, PredictionStore } from '@rfid3/core';
import type { FeedbackRow } from './history.js';
import { loadItemHistories } from './history.js';
import { FAILURE_PREDICTION_TYPE } from './service.js';

const dayMinus = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);

/**
 * Matches stored failure probabilities with what happened: for every open prediction about a day up to
 * `through`, the actual is 1 when the item came back broken (or was reported failed) in the prediction's
 * window (target day − horizon, target day], else 0. Predictions of one item and day share one actual,
 * taken over the longest of their windows.
 */
export async function matchFailureActuals(
  deps: { database: DatabaseHandle; inventory: InventoryData; store: PredictionStore },
  through: string,
  feedback: FeedbackRow[] = [],
): Promise<number> {
  await deps.store.flush();
  const db = deps.database.db;
  const open = (await db
    .selectFrom('analytics_predictions')
    .select(['target_id', 'target_date'])
    .select((eb) => eb.fn.max('horizon_days').as('horizon'))
    .where('prediction_type', '=', FAILURE_PREDICTION_TYPE)
    .where('actual_value', 'is', null)
    .where('target_date', 'is not', null)
    .where('target_date', '<=', through)
    .groupBy(['target_id', 'target_date'])
    .execute()) as { target_id: string; target_date: unknown; horizon: unknown }[];
  if (!open.length) return 0;
  const tags = [...new Set(open.map((o) => String(o.target_id)))];
  const items = new Map((await loadItemHistories(deps, { tagIds: tags, feedback })).map((i) => [i.tagId, i]));
  const actuals = open.flatMap((o) => {
    const item = items.get(String(o.target_id));
    if (!item) return [];
    const to = (o.target_date instanceof Date ? o.target_date.toISOString() : String(o.target_date)).slice(0, 10);
    const from = dayMinus(to, Number(o.horizon ?? 0));
    const failed = item.events.some((e) => e.kind === 'return' && e.failed && e.at.slice(0, 10) > from && e.at.slice(0, 10) <= to);
    return [{ predictionType: FAILURE_PREDICTION_TYPE, targetType: 'item', targetId: item.tagId, store: null, targetDate: to, value: failed ? 1 : 0 }];
  });
  return deps.store.recordActuals(actuals);
}
