import { execFile, spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FakeClock, createDatabase, createRuntime, silentLogger, systemActor, type DatabaseHandle } from '@rfid3/core';
import { externalServices } from '@rfid3/core/testing';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../src/cli-io.js';
import { runCli } from '../src/cli.js';
import { ingestScans } from '../src/ingest/scans.js';
import { tempDir } from './helpers.js';

const services = await externalServices();
afterAll(() => services.cleanup());

// What a restore must bring back: the decision ledger and its log, the model registry, the scans and items.
const KEPT = ['automated_decisions', 'rfid3_decision_transitions', 'rfid3_model_registry', 'ml_model_performance', 'id_transactions', 'id_item_master'];

/** Every row of the kept tables, in a fixed order, as JSON: equal snapshots ⇔ equal data. */
async function snapshot(handle: DatabaseHandle): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of KEPT) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(handle.db);
    out[table] = rows.rows
      .map((r) =>
        JSON.stringify(
          Object.keys(r)
            .sort()
            .map((k) => [k, r[k]]),
        ),
      )
      .sort();
  }
  return out;
}

/** A business worth restoring: two model versions, decisions with their transitions, scans. */
async function populate(databaseUrl: string): Promise<Record<string, string[]>> {
  const clock = new FakeClock('2026-06-01T12:00:00Z');
  const runtime = await createRuntime({ config: { databaseUrl }, logger: silentLogger(), clock });
  try {
    await runtime.registry.register({
      modelName: 'demand.daily',
      modelType: 'ensemble',
      artifact: { w: [0.5, 0.5] },
      validation: { metric: 'mase', value: 0.9 },
      metrics: { mae: 2.5 },
    });
    await runtime.registry.register({ modelName: 'demand.daily', modelType: 'ensemble', artifact: { w: [0.7, 0.3] }, validation: { metric: 'mase', value: 0.8 } });
    const restock = (id: string, quantity: number) => ({
      type: 'restock' as const,
      target: { type: 'rental_class', id },
      confidence: 0.7,
      quantity,
      unitCostUsd: 12.5,
      amountUsd: quantity * 12.5,
      action: { quantity, note: 'chairs ⇒ main store' },
      rationale: 'peak shortfall of 4 chairs on 2026-06-20',
    });
    const a = await runtime.decisions.propose(restock('61885', 4));
    await runtime.decisions.reject(a.id, systemActor('planner'), 'bought elsewhere');
    await runtime.decisions.propose(restock('61886', 8));
    const scans = Array.from({ length: 60 }, (_, i) => ({
      tag_id: `B${i % 12}`,
      scan_type: i % 2 ? 'Return' : 'Rental',
      scan_date: `2026-05-${String(1 + (i % 28)).padStart(2, '0')} 10:${String(i).padStart(2, '0')}:00`,
      common_name: 'CHAIR, WHITE',
      quality: 'B+',
    }));
    expect((await ingestScans(runtime.database, clock, scans)).accepted).toBe(60);
    const snap = await snapshot(runtime.database);
    expect(snap.automated_decisions).toHaveLength(2);
    expect(snap.rfid3_decision_transitions!.length).toBeGreaterThanOrEqual(3);
    expect(snap.rfid3_model_registry).toHaveLength(2);
    return snap;
  } finally {
    await runtime.close();
  }
}

function capture(cwd: string, env: Record<string, string | undefined>): { io: CliIo; out: () => string } {
  let out = '';
  return { io: { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (out += s) }, env, cwd }, out: () => out };
}

describe('back up and restore', () => {
  it('SQLite: `rfid3 backup --to` copies the database while it is open; the copy, opened as a fresh database, holds the ledger, the registry and the scans', async () => {
    const tmp = tempDir('rfid3-backup-');
    try {
      const url = `sqlite:${join(tmp.dir, 'rfid3.db')}`;
      const before = await populate(url);
      // Taken while another handle has the database open (as a running host would).
      const open = createDatabase(url);
      const c = capture(tmp.dir, { DATABASE_URL: url });
      try {
        expect(await runCli(['backup', '--to', 'backups/rfid3-copy.db'], c.io)).toBe(0);
      } finally {
        await open.close();
      }
      expect(c.out()).toMatch(/backed up .* to .*rfid3-copy\.db/);
      // A second backup to the same file is refused rather than overwriting it.
      const again = capture(tmp.dir, { DATABASE_URL: url });
      expect(await runCli(['backup', '--to', 'backups/rfid3-copy.db'], again.io)).not.toBe(0);
      expect(again.out()).toMatch(/already exists/);

      const restored = createDatabase(`sqlite:${join(tmp.dir, 'backups', 'rfid3-copy.db')}`);
      try {
        expect(await snapshot(restored)).toEqual(before);
      } finally {
        await restored.close();
      }
    } finally {
      tmp.remove();
    }
  }, 60_000);

  it('MariaDB: `rfid3 backup` says to use mariadb-dump', async () => {
    const c = capture(process.cwd(), { DATABASE_URL: 'mysql://root@127.0.0.1:1/none' });
    expect(await runCli(['backup', '--to', join(tempDir().dir, 'x.db')], c.io)).not.toBe(0);
    expect(c.out()).toMatch(/mariadb-dump --single-transaction/);
  });

  const client = (name: string) => ['/usr/bin', '/usr/local/bin'].map((d) => join(d, name)).find((p) => existsSync(p));
  describe.skipIf(!services.mysqlUrl || !client('mariadb-dump') || !client('mariadb'))(
    'MariaDB with mariadb-dump and the mariadb client (skipped without MYSQL_URL or the client tools)',
    () => {
      it('a dump restored into a fresh database holds the same ledger, registry and scans', async () => {
        const before = await populate(services.mysqlUrl!);
        const u = new URL(services.mysqlUrl!);
        const database = u.pathname.slice(1);
        const fresh = `${database}_restored`;
        const connection = [
          `--host=${u.hostname}`,
          `--port=${u.port || 3306}`,
          `--user=${decodeURIComponent(u.username)}`,
          ...(u.password ? [`--password=${decodeURIComponent(u.password)}`] : []),
        ];
        const tmp = tempDir('rfid3-dump-');
        const dumpFile = join(tmp.dir, 'rfid3.sql');
        try {
          // The README's commands: mariadb-dump to a file, then the mariadb client into an empty database.
          await new Promise<void>((ok, fail) => {
            const dump = spawn(client('mariadb-dump')!, ['--single-transaction', '--routines', '--triggers', ...connection, database], { stdio: ['ignore', 'pipe', 'pipe'] });
            let err = '';
            dump.stderr.on('data', (d) => (err += d));
            dump.stdout.pipe(createWriteStream(dumpFile));
            dump.on('close', (code) => (code === 0 ? ok() : fail(new Error(`mariadb-dump exited ${code}: ${err}`))));
          });
          await promisify(execFile)(client('mariadb')!, [...connection, '-e', `CREATE DATABASE \`${fresh}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`]);
          await new Promise<void>((ok, fail) => {
            const restore = spawn(client('mariadb')!, [...connection, fresh], { stdio: ['pipe', 'ignore', 'pipe'] });
            let err = '';
            restore.stderr.on('data', (d) => (err += d));
            createReadStream(dumpFile).pipe(restore.stdin);
            restore.on('close', (code) => (code === 0 ? ok() : fail(new Error(`mariadb exited ${code}: ${err}`))));
          });
          const restoredUrl = new URL(services.mysqlUrl!);
          restoredUrl.pathname = `/${fresh}`;
          const restored = createDatabase(restoredUrl.toString());
          try {
            expect(await snapshot(restored)).toEqual(before);
          } finally {
            await restored.close();
          }
        } finally {
          await promisify(execFile)(client('mariadb')!, [...connection, '-e', `DROP DATABASE IF EXISTS \`${fresh}\``]).catch(() => {});
          tmp.remove();
        }
      }, 120_000);
    },
  );
});
