import { createDatabase, type DatabaseHandle } from '@rfid3/core';
import { sql } from 'kysely';

// The throwaway servers themselves come from core's testing kit (shared with the drills).
export { mariadbBinaries, throwawayMariadb, type ThrowawayMariadb } from '@rfid3/core/testing';

/** Runs statements on one connection of `url` (so that `set sql_log_bin = 0` applies to those after it). */
export async function onOneConnection(url: string, statements: string[]): Promise<unknown[]> {
  const handle: DatabaseHandle = createDatabase(url, { poolSize: 1 });
  try {
    return await handle.db.connection().execute(async (c) => {
      const out: unknown[] = [];
      for (const s of statements) out.push((await sql.raw(s).execute(c)).rows);
      return out;
    });
  } finally {
    await handle.close();
  }
}
