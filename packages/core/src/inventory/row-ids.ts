import { sql } from 'kysely';
import type { DatabaseHandle } from '../storage/database.js';

/**
 * The first and last row id of the scans in [from, to] (`YYYY-MM-DD HH:MM:SS`, inclusive), or null when there are
 * none, read from the scan-date index alone. Scans are stored about in time order, so a read bounded by these ids
 * (and the same times) follows the primary key instead of looking every row up from the index or reading the table.
 */
export async function scanIdSpan(database: DatabaseHandle, from: string, to: string): Promise<{ lo: number; hi: number } | null> {
  const ids = await database.db
    .selectFrom('id_transactions')
    .select([sql<number | null>`min(id)`.as('lo'), sql<number | null>`max(id)`.as('hi')])
    .where('scan_date', '>=', from)
    .where('scan_date', '<=', to)
    .executeTakeFirst();
  return ids?.lo === null || ids?.lo === undefined || ids.hi === null || ids.hi === undefined ? null : { lo: Number(ids.lo), hi: Number(ids.hi) };
}
