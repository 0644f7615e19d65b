import type { AccuracyRow } from '@rfid3/core';

/** One week of horizon (days 1–7 ahead are week 1) of one model version, pooled from its per-day rows. */
export interface HorizonWeekAccuracy {
  modelVersion: string;
  week: number;
  n: number;
  mae: number;
  /** Share of actuals inside the stored (80 %) range; null when none had one. */
  coverage: number | null;
  intervalLevel: number | null;
  meanWidth: number | null;
  intervalScore: number | null;
}

/** Pools per-horizon accuracy rows into weeks ahead, each figure weighted by the matches behind it (means pool exactly). */
export function byHorizonWeek(rows: AccuracyRow[]): HorizonWeekAccuracy[] {
  const groups = new Map<string, AccuracyRow[]>();
  for (const r of rows) {
    if (r.horizon === null) continue;
    const id = `${r.modelVersion}\u0000${Math.ceil(r.horizon / 7)}`;
    groups.set(id, [...(groups.get(id) ?? []), r]);
  }
  const pool = (rs: AccuracyRow[], f: (r: AccuracyRow) => number | null) => {
    const having = rs.filter((r) => f(r) !== null);
    const n = having.reduce((s, r) => s + r.n, 0);
    return n > 0 ? having.reduce((s, r) => s + r.n * f(r)!, 0) / n : null;
  };
  return [...groups.values()]
    .map((rs) => ({
      modelVersion: rs[0]!.modelVersion,
      week: Math.ceil(rs[0]!.horizon! / 7),
      n: rs.reduce((s, r) => s + r.n, 0),
      mae: pool(rs, (r) => r.mae) ?? 0,
      coverage: pool(rs, (r) => r.coverage),
      intervalLevel: rs.find((r) => r.intervalLevel !== null)?.intervalLevel ?? null,
      meanWidth: pool(rs, (r) => r.meanWidth),
      intervalScore: pool(rs, (r) => r.intervalScore),
    }))
    .sort((a, b) => a.modelVersion.localeCompare(b.modelVersion) || a.week - b.week);
}
