import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDatabase, tableExists } from '@rfid3/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../src/cli-io.js';
import { runCli } from '../src/cli.js';
import { ApiKeyStore } from '../src/keys.js';
import { tempDir } from './helpers.js';

interface Captured {
  io: CliIo;
  stdout(): string;
  stderr(): string;
}

function capture(cwd: string, env: Record<string, string | undefined> = {}): Captured {
  let out = '';
  let err = '';
  return {
    io: { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env, cwd },
    stdout: () => out,
    stderr: () => err,
  };
}

async function rfid3(cwd: string, args: string[], env: Record<string, string | undefined> = {}) {
  const c = capture(cwd, env);
  const code = await runCli(args, c.io);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

describe('rfid3 CLI (in-process)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir('rfid3-cli-');
  });
  afterEach(() => tmp.remove());

  it('keys create --json prints clean JSON with a key that then verifies', async () => {
    const run = await rfid3(tmp.dir, ['keys', 'create', '--role', 'admin', '--name', 'ci', '--json']);
    expect(run.code).toBe(0);
    const created = JSON.parse(run.stdout) as { id: number; key: string; role: string; name: string };
    expect(created).toMatchObject({ role: 'admin', name: 'ci' });
    expect(run.stderr).toContain('cannot be shown again');
    // The default database is ./data/rfid3.db under the working directory given to the CLI.
    const database = createDatabase(`sqlite:${join(tmp.dir, 'data', 'rfid3.db')}`);
    try {
      expect(await new ApiKeyStore({ database }).verify(created.key)).toEqual({ keyId: String(created.id), name: 'ci', role: 'admin', approveLimitUsd: null });
    } finally {
      await database.close();
    }
  });

  it('keys list shows the key without its secret, and keys revoke makes it fail', async () => {
    const created = JSON.parse((await rfid3(tmp.dir, ['keys', 'create', '--role', 'read', '--name', 'dashboard', '--json'])).stdout) as { id: number; key: string; prefix: string };
    const secret = created.key.split('_').slice(2).join('_');
    const listed = await rfid3(tmp.dir, ['keys', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('dashboard');
    expect(listed.stdout).toContain(created.prefix);
    expect(listed.stdout).not.toContain(secret);
    const json = await rfid3(tmp.dir, ['keys', 'list', '--json']);
    const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(rows).toHaveLength(1);
    expect(Object.keys(rows[0]!)).not.toContain('key');
    expect(json.stdout).not.toContain(secret);

    const revoked = await rfid3(tmp.dir, ['keys', 'revoke', String(created.id)]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain('revoked');
    const database = createDatabase(`sqlite:${join(tmp.dir, 'data', 'rfid3.db')}`);
    try {
      expect(await new ApiKeyStore({ database }).verify(created.key)).toBeNull();
    } finally {
      await database.close();
    }
    const again = await rfid3(tmp.dir, ['keys', 'revoke', '999']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toBe('error: no API key with id 999\n');
  });

  it('migrate creates the tables on a temp SQLite file and says what it did', async () => {
    const file = join(tmp.dir, 'nested', 'migrated.db');
    const first = await rfid3(tmp.dir, ['migrate'], { DATABASE_URL: `sqlite:${file}` });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('0001_design_tables');
    expect(first.stdout).toContain(file);
    const database = createDatabase(`sqlite:${file}`);
    try {
      for (const t of ['analytics_predictions', 'automated_decisions', 'rfid3_api_keys', 'id_item_master', 'id_transactions']) {
        expect(await tableExists(database.db, t), t).toBe(true);
      }
    } finally {
      await database.close();
    }
    const second = await rfid3(tmp.dir, ['migrate'], { DATABASE_URL: `sqlite:${file}` });
    expect(second.stdout).toContain('already up to date');
  });

  it('reads the database from --config, relative to the config file', async () => {
    mkdirSync(join(tmp.dir, 'etc'));
    writeFileSync(join(tmp.dir, 'etc', 'rfid3.json'), JSON.stringify({ databaseUrl: 'sqlite:./keys.db' }));
    const run = await rfid3(tmp.dir, ['--config', 'etc/rfid3.json', 'migrate']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(join(tmp.dir, 'etc', 'keys.db'));
  });

  it('an invalid role exits non-zero with one line naming --role', async () => {
    const run = await rfid3(tmp.dir, ['keys', 'create', '--role', 'boss', '--name', 'x']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('--role');
    expect(run.stderr).toContain('read, ingest, operate, approve, admin');
    expect(run.stdout).toBe('');
  });

  it('a config error is one line without a stack trace unless --verbose', async () => {
    writeFileSync(join(tmp.dir, 'rfid3.config.json'), JSON.stringify({ port: 'eighty' }));
    const run = await rfid3(tmp.dir, ['keys', 'list']);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('port:');
    const verbose = await rfid3(tmp.dir, ['keys', 'list', '--verbose']);
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });

  it('demo seeds an empty database, trains, replays forecasts with measured accuracy, and never seeds twice', async () => {
    const env = { DATABASE_URL: 'sqlite:./demo.db' };
    const first = await rfid3(tmp.dir, ['demo', '--items', '300', '--days', '150', '--json'], env);
    expect(first.code, first.stderr).toBe(0);
    const summary = JSON.parse(first.stdout);
    expect(summary.seeded.items).toBeGreaterThanOrEqual(295);
    expect(summary.seeded.scans).toBeGreaterThan(1000);
    // Every plugin that trains on the demo data reports its model; demand's is the one the rest of this test reads.
    expect(summary.models).toEqual(expect.arrayContaining([expect.objectContaining({ model: 'demand.daily@1', metric: 'mase' })]));
    const accuracy = summary.accuracy.find((a: { modelVersion: string }) => a.modelVersion === 'demand.daily@1');
    expect(accuracy.n).toBe(summary.jobs['demand.backfill'].matched);
    expect(accuracy.coverage).toBeGreaterThan(0);
    expect(first.stderr).toContain('100 %');
    const again = await rfid3(tmp.dir, ['demo', '--items', '300', '--days', '150', '--json'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('not seeding again');
    expect(JSON.parse(again.stdout).seeded).toBeNull();
    const bad = await rfid3(tmp.dir, ['demo', '--items', 'many'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--items');
    // Two demos train every plugin twice: minutes on a loaded two-core machine.
  }, 300_000);

  it('backtest demand prints the rolling-origin scores of the ensemble, its members and both baselines as one JSON object', async () => {
    const csv = join(tmp.dir, 'series.csv');
    const weekly = [5, 3, 4, 6, 9, 14, 12];
    const lines = ['day,units,temp'];
    // Units follow the weekly pattern plus 0.8 × temp: a model that uses the regressor can explain all of it.
    for (let i = 0; i < 120; i++) {
      const temp = (i * 7) % 10;
      lines.push(`${new Date(Date.UTC(2025, 0, 1 + i)).toISOString().slice(0, 10)},${weekly[i % 7]! + 0.8 * temp},${temp}`);
    }
    writeFileSync(csv, lines.join('\n'));
    const args = ['backtest', 'demand', '--csv', 'series.csv', '--date', 'day', '--value', 'units', '--initial', '60', '--step', '14', '--horizon', '14', '--members', '--json'];
    const run = await rfid3(tmp.dir, [...args, '--regressors', 'temp', '--holidays', 'us']);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(Object.keys(out)).toEqual(['folds', 'points', 'fitMs', 'model', 'baselines', 'members', 'regressors', 'holidays', 'events']);
    expect(out.folds).toBe(4); // origins 60, 74, 88, 102: each with origin + 14 ≤ 120 rows
    expect(out.points).toBe(out.folds * 14);
    for (const m of [out.model, out.baselines.seasonalNaive, out.baselines.naive, ...out.members]) {
      expect(Object.keys(m)).toEqual(['name', 'mae', 'rmse', 'smape', 'mase', 'coverage80', 'coverage95']);
    }
    expect(out.model.name).toBe('ensemble');
    expect(out.regressors).toEqual(['temp']);
    expect(out.holidays).toBe('us');
    // With the regressor the series is explained exactly: far below seasonal naive, which cannot see temp.
    expect(out.model.mae).toBeLessThan(0.2 * out.baselines.seasonalNaive.mae);
    const without = JSON.parse((await rfid3(tmp.dir, [...args, '--holidays', 'none'])).stdout);
    expect(without.regressors).toEqual([]);
    expect(without.model.mae).toBeGreaterThan(2 * out.model.mae);
    expect(run.stderr).toContain('fold');
    const badHolidays = await rfid3(tmp.dir, [...args, '--holidays', 'mars']);
    expect(badHolidays.code).toBe(1);
    expect(badHolidays.stderr).toContain('--holidays');
  });

  it('backtest demand names the problem: a missing column, a fold that cannot fit, a bad number', async () => {
    const csv = join(tmp.dir, 's.csv');
    writeFileSync(csv, ['day,units', ...Array.from({ length: 30 }, (_, i) => `${new Date(Date.UTC(2025, 0, 1 + i)).toISOString().slice(0, 10)},${i}`)].join('\n'));
    const base = ['backtest', 'demand', '--csv', 's.csv', '--date', 'day', '--step', '7'];
    const missing = await rfid3(tmp.dir, [...base, '--value', 'qty', '--initial', '14', '--horizon', '7']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no column 'qty'");
    const tooLong = await rfid3(tmp.dir, [...base, '--value', 'units', '--initial', '28', '--horizon', '7']);
    expect(tooLong.stderr).toContain('no fold fits');
    const notNumber = await rfid3(tmp.dir, [...base, '--value', 'units', '--initial', 'x', '--horizon', '7']);
    expect(notNumber.stderr).toContain('--initial');
  });

  it('prints help on stdout and exits 0', async () => {
    const run = await rfid3(tmp.dir, ['--help']);
    expect(run.code).toBe(0);
    for (const command of ['serve', 'migrate', 'keys', 'demo', 'backtest']) expect(run.stdout).toContain(command);
  });
});
