import type { DatabaseHandle, InventoryData } from '@rfid3/core';
import { foldScanHistory, scanTimestamp } from '@rfid3/core';
import { qualityDb } from './migrations.js';

/** Quality grades, best first; a grade's index here is the state of the transition chains. */
export const GRADES = ['A+', 'A', 'A-', 'B+', 'B', 'B-', 'C+', 'C', 'C-'] as const;
/** A quality grade (A+ best, C- worst). */
export type Grade = (typeof GRADES)[number];
export const G = GRADES.length;
/** Index of a grade in `GRADES` (case and spaces ignored), or -1 if it is not one. */
export const gradeIndex = (q: unknown): number => {
  const i = GRADES.indexOf(
    String(q ?? '')
      .trim()
      .toUpperCase() as Grade,
  );
  return i < 0 ? -1 : i;
};

/** One observation of an item's grade: at a return, a service or an inspection. */
export interface GradeObservation {
  at: string;
  /** A return closes one rental; a service (repair done) or an inspection only observes the grade. */
  kind: 'return' | 'service' | 'inspection';
  grade: number;
}

/** An item with its prices and every observation of its grade. */
export interface ItemGrades {
  tagId: string;
  rentalClass: string;
  category: string;
  commonName: string | null;
  status: string | null;
  /** The latest grade known: the later of the last observation and id_item_master.quality. */
  grade: number;
  retailPrice: number;
  sellPrice: number;
  turnoverYtd: number;
  observations: GradeObservation[];
}

/**
 * Each item's grade observations in time order: returns (grade after the rental), completed repairs and
 * this plugin's recorded inspections.
 */
export async function loadItemGrades(deps: { database: DatabaseHandle; inventory: InventoryData }, options: { tagIds?: string[] } = {}): Promise<ItemGrades[]> {
  const db = qualityDb(deps.database);
  const classes = new Map((await deps.inventory.rentalClasses()).map((c) => [c.rentalClass, c.category]));
  let q = db.selectFrom('id_item_master').select(['tag_id', 'rental_class_num', 'common_name', 'status', 'quality', 'retail_price', 'sell_price', 'turnover_ytd', 'bin_location']);
  if (options.tagIds) q = q.where('tag_id', 'in', options.tagIds);
  const byTag = new Map<string, ItemGrades>();
  for (const r of (await q.execute()) as Record<string, unknown>[]) {
    const rentalClass = String(r.rental_class_num ?? '');
    byTag.set(String(r.tag_id), {
      tagId: String(r.tag_id),
      rentalClass,
      category: classes.get(rentalClass) ?? 'Other',
      commonName: (r.common_name as string | null) ?? null,
      status: String(r.bin_location ?? '') === 'sold' ? 'Sold' : ((r.status as string | null) ?? null),
      grade: gradeIndex(r.quality),
      retailPrice: Number(r.retail_price ?? 0),
      sellPrice: Number(r.sell_price ?? 0),
      turnoverYtd: Number(r.turnover_ytd ?? 0),
      observations: [],
    });
  }
  // Each item's walk: its observations, and whether it is in the workshop (a service is its next Ready to Rent).
  await foldScanHistory<{ item: ItemGrades; inRepair: boolean }>(
    deps.database,
    { columns: ['scan_type', 'status', 'quality'], tagIds: options.tagIds },
    {
      start(tagId) {
        const item = byTag.get(tagId);
        if (!item) return undefined;
        item.observations = [];
        return { item, inRepair: false };
      },
      step(walk, r, at) {
        const grade = gradeIndex(r.quality);
        if (r.scan_type === 'Return') {
          if (grade >= 0) walk.item.observations.push({ at, kind: 'return', grade });
          if (r.status === 'Repair') walk.inRepair = true;
        } else if (r.status === 'Repair') walk.inRepair = true;
        else if (walk.inRepair) {
          walk.inRepair = false;
          if (grade >= 0) walk.item.observations.push({ at, kind: 'service', grade });
        }
      },
    },
  );
  let ins = db.selectFrom('quality_inspections').select(['tag_id', 'inspected_at', 'grade']);
  if (options.tagIds) ins = ins.where('tag_id', 'in', options.tagIds);
  for (const r of (await ins.orderBy('id').execute()) as Record<string, unknown>[]) {
    const item = byTag.get(String(r.tag_id));
    if (!item) continue;
    const at = scanTimestamp(r.inspected_at);
    const k = item.observations.findIndex((o) => o.at > at);
    item.observations.splice(k < 0 ? item.observations.length : k, 0, { at, kind: 'inspection', grade: gradeIndex(r.grade) });
  }
  for (const item of byTag.values()) {
    const last = item.observations.at(-1);
    if (last) item.grade = last.grade;
  }
  return [...byTag.values()];
}
