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

/** Counts over an item's whole history, for when only its last observations are kept (`loadItemGrades` with `recent`). */
export interface GradeHistoryCounts {
  /** Observations of its grade. */
  observations: number;
  /** Returns, each closing one rental. */
  returns: number;
  /** Returns on days after `day` (the `returnsAfter` option), when that was given. */
  returnsAfter?: { day: string; returns: number };
}

/** An item with its prices and every observation of its grade (or only the last ones, with `history`). */
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
  /** Its observations in time order: all of them, or the last `recent` when loaded with that option. */
  observations: GradeObservation[];
  /** Set when loaded with `recent`: counts over every observation, including those not kept. */
  history?: GradeHistoryCounts;
}

/** Which items `loadItemGrades` loads, and how much of their history it keeps. */
export interface LoadItemGradesOptions {
  /** Only these items. */
  tagIds?: string[];
  /**
   * Keep only each item's last `recent` observations (an integer ≥ 1) and count the whole history in `history`: the
   * memory then grows with the items, not with their scans. The grades are those of the full load.
   */
  recent?: number;
  /** With `recent`: also count each item's returns on days after this one (`YYYY-MM-DD`), in `history.returnsAfter`. */
  returnsAfter?: string;
}

/** One walk over an item's observations; walked again from a fresh start when its scans came out of time order. */
export interface GradeWalk<W> {
  /** The state of a new walk over the item. */
  start(item: ItemGrades): W;
  /** The item's next observation, in time order. */
  observe(walk: W, observation: GradeObservation): void;
}

/** An item (its `observations` left empty) and its walk. */
export interface WalkedItem<W> {
  item: ItemGrades;
  walk: W;
}

interface Walking<W> {
  walk: W;
  inRepair: boolean;
  /** The grade of the last observation, if any. */
  last: number | undefined;
  /** The item's inspections, and how many of them the walk has passed. */
  inspections: GradeObservation[] | undefined;
  passed: number;
}

/**
 * Walks each item's grade observations in time order — returns (grade after the rental), completed repairs and
 * this plugin's recorded inspections — without keeping them, and resolves with every item (in id_item_master's
 * order, its grade that of its last observation, its `observations` empty) and its final walk.
 */
export async function walkItemGrades<W>(
  deps: { database: DatabaseHandle; inventory: InventoryData },
  options: { tagIds?: string[] },
  walker: GradeWalk<W>,
): Promise<WalkedItem<W>[]> {
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
  // Each item's inspections in time order (recording order within one instant): they come after the scans of their
  // instant, so the walk passes those before a scan observation later than them, and the rest at its end.
  const inspectionsOf = new Map<string, GradeObservation[]>();
  let ins = db.selectFrom('quality_inspections').select(['tag_id', 'inspected_at', 'grade']);
  if (options.tagIds) ins = ins.where('tag_id', 'in', options.tagIds);
  for (const r of (await ins.orderBy('id').execute()) as Record<string, unknown>[]) {
    const tagId = String(r.tag_id);
    if (!byTag.has(tagId)) continue;
    let list = inspectionsOf.get(tagId);
    if (!list) inspectionsOf.set(tagId, (list = []));
    list.push({ at: scanTimestamp(r.inspected_at), kind: 'inspection', grade: gradeIndex(r.grade) });
  }
  for (const list of inspectionsOf.values()) list.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const begin = (item: ItemGrades): Walking<W> => ({ walk: walker.start(item), inRepair: false, last: undefined, inspections: inspectionsOf.get(item.tagId), passed: 0 });
  const observe = (w: Walking<W>, o: GradeObservation) => {
    w.last = o.grade;
    walker.observe(w.walk, o);
  };
  const passInspections = (w: Walking<W>, before: string | null) => {
    const list = w.inspections;
    if (!list) return;
    while (w.passed < list.length && (before === null || list[w.passed]!.at < before)) observe(w, list[w.passed++]!);
  };
  const scanned = (w: Walking<W>, o: GradeObservation) => {
    passInspections(w, o.at);
    observe(w, o);
  };
  // Each item's walk: its observations, and whether it is in the workshop (a service is its next Ready to Rent).
  const walks = await foldScanHistory<Walking<W>>(
    deps.database,
    { columns: ['scan_type', 'status', 'quality'], tagIds: options.tagIds },
    {
      start(tagId) {
        const item = byTag.get(tagId);
        return item ? begin(item) : undefined;
      },
      step(w, r, at) {
        const grade = gradeIndex(r.quality);
        if (r.scan_type === 'Return') {
          if (grade >= 0) scanned(w, { at, kind: 'return', grade });
          if (r.status === 'Repair') w.inRepair = true;
        } else if (r.status === 'Repair') w.inRepair = true;
        else if (w.inRepair) {
          w.inRepair = false;
          if (grade >= 0) scanned(w, { at, kind: 'service', grade });
        }
      },
    },
  );
  const out: WalkedItem<W>[] = [];
  for (const item of byTag.values()) {
    const w = walks.get(item.tagId) ?? begin(item);
    passInspections(w, null);
    if (w.last !== undefined) item.grade = w.last;
    out.push({ item, walk: w.walk });
  }
  return out;
}

/**
 * Each item's grade observations in time order: returns (grade after the rental), completed repairs and
 * this plugin's recorded inspections. With `recent`, only the last observations of each item are kept, and
 * `history` counts them all.
 */
export async function loadItemGrades(deps: { database: DatabaseHandle; inventory: InventoryData }, options: LoadItemGradesOptions = {}): Promise<ItemGrades[]> {
  const { recent, returnsAfter } = options;
  if (recent === undefined) {
    const walked = await walkItemGrades<GradeObservation[]>(deps, options, { start: () => [], observe: (list, o) => list.push(o) });
    return walked.map(({ item, walk }) => Object.assign(item, { observations: walk }));
  }
  if (!Number.isInteger(recent) || recent < 1) throw new RangeError(`recent must be an integer of at least 1, not ${recent}`);
  const walked = await walkItemGrades<{ last: GradeObservation[]; history: GradeHistoryCounts }>(deps, options, {
    start: () => ({
      last: [],
      history: { observations: 0, returns: 0, ...(returnsAfter === undefined ? {} : { returnsAfter: { day: returnsAfter, returns: 0 } }) },
    }),
    observe({ last, history }, o) {
      history.observations++;
      if (o.kind === 'return') {
        history.returns++;
        if (history.returnsAfter && o.at.slice(0, 10) > history.returnsAfter.day) history.returnsAfter.returns++;
      }
      last.push(o);
      if (last.length > recent) last.shift();
    },
  });
  return walked.map(({ item, walk }) => Object.assign(item, { observations: walk.last, history: walk.history }));
}

/**
 * The item's returns (rentals), or those on days after `after` (`YYYY-MM-DD`): counted over its observations, or
 * taken from `history` when only its last observations were loaded.
 */
export function countReturns(item: ItemGrades, after?: string): number {
  const h = item.history;
  if (h) {
    if (after === undefined) return h.returns;
    if (h.returnsAfter && h.returnsAfter.day === after) return h.returnsAfter.returns;
    if (h.observations > item.observations.length) throw new Error(`item '${item.tagId}' was loaded with its last observations only, without its returns after ${after} counted`);
  }
  return item.observations.filter((o) => o.kind === 'return' && (after === undefined || o.at.slice(0, 10) > after)).length;
}
