import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import { createDatabase } from '../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function pragmas(options: Parameters<typeof createDatabase>[1] = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'rfid3-durability-'));
  dirs.push(dir);
  const handle = createDatabase(`sqlite:${join(dir, 'a.db')}`, options);
  try {
    const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(handle.db);
    const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(handle.db);
    return { journal: mode.rows[0]!.journal_mode, synchronous: Number(sync.rows[0]!.synchronous) };
  } finally {
    await handle.close();
  }
}

// SQLite reports synchronous as 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA.
it('opens a SQLite file in WAL with synchronous=FULL by default, so a power cut loses no acknowledged commit', async () => {
  expect(await pragmas()).toEqual({ journal: 'wal', synchronous: 2 });
});

it('takes synchronous=NORMAL when asked (the bench compares the two)', async () => {
  expect(await pragmas({ sqliteSynchronous: 'NORMAL' })).toEqual({ journal: 'wal', synchronous: 1 });
});
