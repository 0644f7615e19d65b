import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '@rfid3/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer } from '../src/server.js';
import { tempDir } from './helpers.js';

describe('startServer', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir('rfid3-server-');
  });
  afterEach(() => tmp.remove());

  it('loads the config file and its plugins, listens, serves, and closes gracefully', async () => {
    writeFileSync(
      join(tmp.dir, 'rfid3.config.json'),
      JSON.stringify({ host: '127.0.0.1', plugins: ['@rfid3/plugin-demand', '@rfid3/plugin-restock'], pluginsMode: 'replace', openReads: true }),
    );
    const handle = await startServer({ cwd: tmp.dir, env: { PORT: '0', DATABASE_URL: 'sqlite::memory:' }, logger: silentLogger(), handleSignals: false });
    try {
      expect(handle.port).toBeGreaterThan(0);
      expect(handle.url).toBe(`http://127.0.0.1:${handle.port}`);
      // Restock requires the demand forecaster, so demand loads first.
      expect(handle.runtime.plugins.map((p) => [p.id, p.source])).toEqual([
        ['demand', '@rfid3/plugin-demand'],
        ['restock', '@rfid3/plugin-restock'],
      ]);
      const status = (await (await fetch(`${handle.url}/api/predictive/health/system-status`)).json()) as { plugins: { id: string }[] };
      expect(status.plugins.map((p) => p.id)).toEqual(['demand', 'restock']);
      const metrics = await (await fetch(`${handle.url}/metrics`)).text();
      // The server turns on process metrics, which a bare runtime does not collect.
      expect(metrics).toContain('rfid3_process_cpu_seconds_total');
    } finally {
      await handle.close();
    }
    await handle.closed;
    await expect(fetch(`${handle.url}/api/predictive/health/system-status`)).rejects.toThrow();
    await handle.close();
  });

  it('fails to start with a clear error when a configured plugin is missing', async () => {
    writeFileSync(join(tmp.dir, 'rfid3.config.json'), JSON.stringify({ plugins: ['acme-rfid3-absent'] }));
    await expect(startServer({ cwd: tmp.dir, env: { PORT: '0', DATABASE_URL: 'sqlite::memory:' }, logger: silentLogger(), handleSignals: false })).rejects.toThrow(
      /acme-rfid3-absent.*was not found from/,
    );
  });
});
