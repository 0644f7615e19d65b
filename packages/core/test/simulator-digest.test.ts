import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLOSED_HOLIDAYS, RFID3_SOURCE_TABLES, coreMigrations, createDatabase, migrate, type DatabaseHandle } from '../src/index.js';
import { simulate, type SimulationOptions } from '../src/simulator/index.js';
import { contentHash } from './support/sim-analysis.js';

/**
 * Regression check: the simulator writes exactly the same rows (every table, ids included, rows in a stable
 * order) and returns the same truth and counts for a given seed. The digests below were obtained by running
 * this test against the simulator before `simulate()` was split into phases (commit f3a94b2, printed with
 * `SIM_DIGEST_PRINT=1`). A refactor must leave them unchanged; a deliberate change to what the simulator
 * writes updates them (run with `SIM_DIGEST_PRINT=1` and copy the printed values), saying so in its commit.
 */
const EXPECTED: Record<string, string> = {
  plain: '6aae2a250307387f1e8a96c0d487d1fbc97e1041d06876ce19babd1c337378ff',
  packsAndClosures: 'a8870fc2c3bcb2ed898fecbef6afcb609e6d96a10a2c8aa832a31672a82e4bfc',
};

const CASES: Record<string, SimulationOptions> = {
  plain: { seed: 11, items: 300, days: 120 },
  packsAndClosures: { seed: 12, items: 250, days: 400, packComponents: true, closedHolidays: DEFAULT_CLOSED_HOLIDAYS },
};

const TABLES = [...RFID3_SOURCE_TABLES, 'external_data_factors'];

describe('simulator: same seed, same digest as before the split', () => {
  const opened: DatabaseHandle[] = [];
  afterAll(async () => {
    for (const h of opened) await h.close();
  });

  for (const [name, options] of Object.entries(CASES)) {
    it(`${name}: tables, truth and counts hash to the recorded digest`, async () => {
      const handle = createDatabase('sqlite::memory:');
      opened.push(handle);
      await migrate(handle, 'core', coreMigrations);
      const { truth, counts } = await simulate(handle, { end: '2025-12-31', ...options });
      const digest = createHash('sha256')
        .update(await contentHash(handle, TABLES))
        .update(JSON.stringify(truth))
        .update(JSON.stringify(counts))
        .digest('hex');
      if (process.env.SIM_DIGEST_PRINT) process.stdout.write(`${name}: '${digest}',\n`);
      expect(digest).toBe(EXPECTED[name]);
    });
  }
});
