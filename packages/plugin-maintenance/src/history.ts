import type { DatabaseHandle, InventoryData } from '@rfid3/core';
import { foldScanHistory, scanTimestamp } from '@rfid3/core';
import { sql } from 'kysely';

/** Inspection flags of RFID3's scans that show wear. */
export const WEAR_FLAGS = [
  'rip_or_tear',
  'sewing_repair_needed',
  'grommet',
  'rope',
  'buckle',
  'mold',
  'stain',
  'oxidation',
  'oil',
  'service_required',
  'wet',
  'dirty_or_mud',
] as const;
export type WearFlag = (typeof WEAR_FLAGS)[number];

/** Quality grades, best first (an item's grade is its index here). */
export const GRADES = ['A+', 'A', 'A-', 'B+', 'B', 'B-', 'C+', 'C', 'C-'] as const;
export const gradeIndex = (q: string | null | undefined): number => {
  const i = GRADES.indexOf((q ?? '').trim().toUpperCase() as (typeof GRADES)[number]);
  return i < 0 ? Number.NaN : i;
};

/** One event of an item's history: a return or a service, with its grade and wear flags. */
export interface ItemEvent {
  /** `YYYY-MM-DD HH:MM:SS` */
  at: string;
  kind: 'return' | 'service';
  failed: boolean;
  grade: number;
  /** Bit i set when WEAR_FLAGS[i] was flagged. */
  flags: number;
  repairEstimate: number | null;
}

/** An item with its class, prices and the events of its history. */
export interface ItemHistory {
  tagId: string;
  rentalClass: string;
  category: string;
  commonName: string | null;
  status: string | null;
  grade: number;
  created: string | null;
  turnoverLtd: number;
  repairCostLtd: number;
  sellPrice: number;
  retailPrice: number;
  /** The item's events in time order; loaded with `recentReturns`, only the last few (see `standing`). */
  events: ItemEvent[];
  /**
   * Where the item stood after all its events, when the history was loaded with `recentReturns`: `events` then
   * holds only its last returns and what followed them, and the features are computed from this state.
   */
  standing?: ItemState;
}

/** Where an item stands after its first `k` events: what the features are computed from. */
export interface ItemState {
  since: number;
  serviceKnown: boolean;
  lastServiceAt: string | null;
  lastAt: string | null;
  firstAt: string | null;
  returns: number;
  repairs: number;
}

/** Advances the state over event `e`. */
export function step(state: ItemState, e: ItemEvent): void {
  state.firstAt ??= e.at;
  state.lastAt = e.at;
  if (e.kind === 'service') {
    state.since = 0;
    state.serviceKnown = true;
    state.lastServiceAt = e.at;
    state.repairs++;
    return;
  }
  state.returns++;
  state.since++;
}

/** The state of an item before its first event. */
export const freshState = (): ItemState => ({ since: 0, serviceKnown: false, lastServiceAt: null, lastAt: null, firstAt: null, returns: 0, repairs: 0 });

/** Drops the events before the `returns`-th last return (all are kept when there are fewer). */
function keepRecent(events: ItemEvent[], returns: number): void {
  let seen = 0;
  for (let j = events.length - 1; j > 0; j--) {
    if (events[j]!.kind === 'return' && ++seen === returns) {
      events.splice(0, j);
      return;
    }
  }
}

/** FNV-1a of a string: a stable, well-spread order of items for a sample that is the same on every run. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** How `loadItemHistories` reads: up to a day, some items, with feedback, a sample, or only each item's recent events. */
export interface HistoryOptions {
  /** Only scans on or before this day (`YYYY-MM-DD`). */
  through?: string;
  /** Only these items. */
  tagIds?: string[];
  /** Outcome feedback applied to the events. */
  feedback?: FeedbackRow[];
  /**
   * At most this many items, the same ones on every run (those whose tag ids hash lowest); the others are not
   * loaded. A model trained on a large fleet needs a sample of it, not every history in memory at once.
   */
  sampleItems?: number;
  /**
   * Keep only each item's events from its `recentReturns`-th last return on, with `standing` set to where it stood
   * after all of them: enough for its features now (they look back at most 5 returns) in a fraction of the memory.
   */
  recentReturns?: number;
}

/** Outcome feedback recorded for an item (a label for the failure model). */
export interface FeedbackRow {
  tag_id: string;
  outcome: 'failed' | 'no_failure' | 'repaired';
  observed_at: string;
  repair_cost: number | null;
}

const num = (v: unknown) => (v === null || v === undefined || v === '' ? 0 : Number(v));
const ESTIMATE = /repair estimate \$([0-9.]+)/i;

/**
 * Every tagged item with its returns (each one completed rental: failed when it came back to Repair or was
 * retired) and its services (back to Ready to Rent after a repair), in time order, up to `through`.
 * Feedback corrects labels: `failed` / `no_failure` relabel the item's last return at or before the
 * observation, `repaired` adds a service.
 */
export async function loadItemHistories(deps: { database: DatabaseHandle; inventory: InventoryData }, options: HistoryOptions = {}): Promise<ItemHistory[]> {
  const database = deps.database;
  const { db } = database;
  const classes = new Map((await deps.inventory.rentalClasses()).map((c) => [c.rentalClass, c.category]));
  let items = db
    .selectFrom('id_item_master')
    .select(['tag_id', 'rental_class_num', 'common_name', 'status', 'quality', 'date_created', 'turnover_ltd', 'repair_cost_ltd', 'sell_price', 'retail_price', 'bin_location']);
  if (options.tagIds) items = items.where('tag_id', 'in', options.tagIds);
  let itemRows = (await items.execute()) as Record<string, unknown>[];
  const sample = options.sampleItems;
  if (sample !== undefined && itemRows.length > sample) {
    const keyed = itemRows.map((r) => ({ r, h: fnv1a(String(r.tag_id)) }));
    keyed.sort((a, b) => a.h - b.h || String(a.r.tag_id).localeCompare(String(b.r.tag_id)));
    itemRows = keyed.slice(0, Math.max(0, sample)).map((k) => k.r);
  }
  const recent = options.recentReturns;
  // Items with feedback keep every event until it is applied (it may relabel an older return or add a service).
  const withFeedback = new Set((options.feedback ?? []).map((f) => f.tag_id));
  const byTag = new Map<string, ItemHistory>();
  for (const r of itemRows) {
    const rentalClass = String(r.rental_class_num ?? '');
    byTag.set(String(r.tag_id), {
      tagId: String(r.tag_id),
      rentalClass,
      category: classes.get(rentalClass) ?? 'Other',
      commonName: (r.common_name as string | null) ?? null,
      status: String(r.bin_location ?? '') === 'sold' ? 'Sold' : ((r.status as string | null) ?? null),
      grade: gradeIndex(r.quality as string | null),
      created: r.date_created ? scanTimestamp(r.date_created) : null,
      turnoverLtd: num(r.turnover_ltd),
      repairCostLtd: num(r.repair_cost_ltd),
      sellPrice: num(r.sell_price),
      retailPrice: num(r.retail_price),
      events: [],
    });
  }
  // Each item's walk: its events, and whether it is in the workshop (a service is its next Ready to Rent).
  await foldScanHistory<{ item: ItemHistory; inRepair: boolean; trim: boolean }>(
    database,
    { columns: ['scan_type', 'status', 'quality', 'notes', 'bin_location', ...WEAR_FLAGS], through: options.through, tagIds: options.tagIds },
    {
      start(tagId) {
        const item = byTag.get(tagId);
        if (!item) return undefined;
        item.events = [];
        const trim = recent !== undefined && !withFeedback.has(tagId);
        if (trim) item.standing = freshState();
        return { item, inRepair: false, trim };
      },
      step(walk, r, at) {
        const events = walk.item.events;
        const before = events.length;
        walkScan(walk, r, at);
        if (!walk.trim || events.length === before) return;
        step(walk.item.standing!, events[events.length - 1]!);
        if (events.length > 4 * recent! + 8) keepRecent(events, recent!);
      },
    },
  );
  for (const f of options.feedback ?? []) {
    const item = byTag.get(f.tag_id);
    if (!item || (options.through && f.observed_at.slice(0, 10) > options.through)) continue;
    if (f.outcome === 'repaired') {
      const ev: ItemEvent = { at: f.observed_at, kind: 'service', failed: false, grade: Number.NaN, flags: 0, repairEstimate: null };
      const k = item.events.findIndex((e) => e.at > f.observed_at);
      item.events.splice(k < 0 ? item.events.length : k, 0, ev);
      continue;
    }
    const last = [...item.events].reverse().find((e) => e.kind === 'return' && e.at <= f.observed_at);
    if (last) {
      last.failed = f.outcome === 'failed';
      if (f.repair_cost !== null) last.repairEstimate = f.repair_cost;
    }
  }
  if (recent !== undefined)
    for (const item of byTag.values()) {
      if (!item.standing) {
        // An item with feedback (or no scan): its state from every event, now that the feedback is in.
        item.standing = freshState();
        for (const e of item.events) step(item.standing, e);
      }
      keepRecent(item.events, recent);
    }
  return [...byTag.values()];
}

/** One history scan of an item's walk: a return, or a service when it leaves the workshop. */
function walkScan(walk: { item: ItemHistory; inRepair: boolean }, r: Record<string, unknown>, at: string): void {
  const status = String(r.status ?? '');
  if (r.scan_type === 'Return') {
    let flags = 0;
    WEAR_FLAGS.forEach((f, i) => {
      if (Number(r[f] ?? 0) === 1) flags |= 1 << i;
    });
    const failed = status === 'Repair' || status === 'Sold' || String(r.bin_location ?? '') === 'sold';
    const m = failed ? ESTIMATE.exec(String(r.notes ?? '')) : null;
    walk.item.events.push({ at, kind: 'return', failed, grade: gradeIndex(r.quality as string | null), flags, repairEstimate: m ? Number(m[1]) : null });
    walk.inRepair = status === 'Repair';
  } else if (status === 'Repair') walk.inRepair = true;
  else if (walk.inRepair) {
    walk.item.events.push({ at, kind: 'service', failed: false, grade: gradeIndex(r.quality as string | null), flags: 0, repairEstimate: null });
    walk.inRepair = false;
  }
}

/** The last scan day in the data (the cut-off the models are trained through). */
export async function lastScanDay(database: DatabaseHandle): Promise<string | null> {
  const r = await sql<{ d: string | null }>`select max(scan_date) as d from id_transactions`.execute(database.db);
  const d = r.rows[0]?.d;
  return d ? scanTimestamp(d).slice(0, 10) : null;
}
