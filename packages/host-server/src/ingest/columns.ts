import type { DatabaseHandle } from '@rfid3/core';

const cache = new WeakMap<DatabaseHandle, Promise<Map<string, Set<string>>>>();

/**
 * The columns each table really has. An older RFID3 lacks some columns, so writes to RFID3's tables
 * name only the columns present (read once per database handle).
 */
export async function tableColumns(handle: DatabaseHandle, table: string): Promise<Set<string>> {
  let all = cache.get(handle);
  if (!all) {
    all = handle.db.introspection.getTables().then((tables) => new Map(tables.map((t) => [t.name.toLowerCase(), new Set(t.columns.map((c) => c.name.toLowerCase()))])));
    cache.set(handle, all);
    all.catch(() => cache.delete(handle));
  }
  const cols = (await all).get(table.toLowerCase());
  if (!cols) throw new Error(`table ${table} does not exist on ${handle.displayUrl}`);
  return cols;
}

/** Keeps only the keys that are columns of the table. */
export function onlyColumns<T extends Record<string, unknown>>(row: T, columns: Set<string>): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (columns.has(k.toLowerCase())) out[k] = v;
  return out as Partial<T>;
}
