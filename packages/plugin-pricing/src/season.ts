import { addDays, dayRange } from '@rfid3/core';

/** How busy the coming period is against the year, from last year's months. */
export interface SeasonIndex {
  /** Mean units out per day in the coming period (by last year's months) ÷ mean units out per day over the year. */
  index: number;
  /** Per calendar month (0 = January): mean units per day that month ÷ mean units per day over the year. */
  months: number[];
  from: string;
  to: string;
}

/**
 * A category's seasonal index for the `periodDays` after `through`, from the 365 days of units out ending at
 * `through` (days absent from `rows` had none). Each coming day takes its calendar month's index: the month's
 * mean units per day over the year's mean. Null when the year has no demand at all.
 */
export function seasonalIndex(rows: readonly { day: string; units: number }[], through: string, periodDays: number): SeasonIndex | null {
  const from = addDays(through, -364);
  const sum = new Array<number>(12).fill(0);
  const days = new Array<number>(12).fill(0);
  for (const d of dayRange(from, through)) days[Number(d.slice(5, 7)) - 1]!++;
  let total = 0;
  for (const r of rows) {
    if (r.day < from || r.day > through) continue;
    sum[Number(r.day.slice(5, 7)) - 1]! += r.units;
    total += r.units;
  }
  if (!(total > 0)) return null;
  const mean = total / 365;
  const months = sum.map((s, m) => s / days[m]! / mean);
  const coming = dayRange(addDays(through, 1), addDays(through, periodDays));
  const index = coming.reduce((s, d) => s + months[Number(d.slice(5, 7)) - 1]!, 0) / coming.length;
  return { index, months, from: addDays(through, 1), to: addDays(through, periodDays) };
}

/**
 * The price multiplier for a seasonal index: index^sensitivity (log price moves `sensitivity` times as much as
 * log demand), kept within 1 ± maxAdjustment. The recommendation's cap still applies after it.
 */
export function seasonFactor(index: number, sensitivity: number, maxAdjustment: number): number {
  if (!Number.isFinite(index)) return 1;
  return Math.min(1 + maxAdjustment, Math.max(1 - maxAdjustment, index ** sensitivity));
}
