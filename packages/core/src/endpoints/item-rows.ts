import type { z } from 'zod';
import { HttpProblem } from '../contracts/problem.js';
import type { DatabaseHandle } from '../storage/database.js';
import { rejectedFieldErrors, validateRows } from '../contracts/validation.js';

/** A row posted about one item, named by its tag (`item_id`): an outcome, an inspection. */
export interface ItemRow {
  item_id: string;
}

/** What a plugin recorded of a batch of item rows: the rows whose item exists, and those naming no known item. */
export interface RecordedItemRows<T extends ItemRow> {
  accepted: T[];
  unknown: T[];
}

/** Splits rows by whether their `item_id` is a tag of `id_item_master`. */
export async function splitByKnownItem<T extends ItemRow>(database: DatabaseHandle, rows: readonly T[]): Promise<RecordedItemRows<T>> {
  const ids = [...new Set(rows.map((r) => r.item_id))];
  const found = ids.length ? await database.db.selectFrom('id_item_master').select('tag_id').where('tag_id', 'in', ids).execute() : [];
  const known = new Set(found.map((r) => String(r.tag_id)));
  return { accepted: rows.filter((r) => known.has(r.item_id)), unknown: rows.filter((r) => !known.has(r.item_id)) };
}

/**
 * The handler of a POST that records rows about items (`{ items: [...] }`: outcomes, inspections): validates each
 * row with `schema`, hands the valid ones to `record`, and calls `onRecorded` when it kept any. Valid rows are kept
 * even when others are refused; then it throws a 400 problem naming every rejected field and unknown item
 * (`body.items.3.item_id`) with `recorded` in its extensions. Returns how many rows were recorded.
 */
export async function recordItemRows<S extends z.ZodType<ItemRow>>(
  items: readonly unknown[],
  schema: S,
  record: (rows: z.output<S>[]) => Promise<{ accepted: readonly unknown[]; unknown: readonly ItemRow[] }>,
  onRecorded: () => Promise<unknown>,
): Promise<number> {
  const checked = validateRows(schema, items);
  const errors = rejectedFieldErrors(checked.rejected, 'body.items');
  const { accepted, unknown } = await record(checked.valid.map((v) => v.row));
  for (const u of unknown) {
    const i = items.findIndex((r) => (r as { item_id?: unknown } | null)?.item_id === u.item_id);
    errors.push({ field: `body.items.${i}.item_id`, message: `no item with tag_id '${u.item_id}'` });
  }
  if (accepted.length) await onRecorded();
  if (errors.length) {
    throw new HttpProblem({
      status: 400,
      title: 'Bad Request',
      detail: `${errors.length} problem(s); ${accepted.length} valid row(s) were recorded`,
      errors,
      extensions: { recorded: accepted.length },
    });
  }
  return accepted.length;
}
