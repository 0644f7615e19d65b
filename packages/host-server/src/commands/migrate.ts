import type { Command } from 'commander';
import { DESIGN_TABLES, RFID3_SOURCE_TABLES, coreMigrations, migrate, tableExists } from '@rfid3/core';
import { hostMigrations } from '../host-tables.js';
import type { CliIo, GlobalOptions } from '../cli-io.js';
import { withCoreDatabase } from './database.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('migrate')
    .description("Create or update core's tables on the configured database (RFID3's own tables are created only where missing, never altered)")
    .action(async (_opts: unknown, cmd: Command) => {
      const { config } = cmd.optsWithGlobals<GlobalOptions>();
      await withCoreDatabase(io, config, async ({ database, applied }) => {
        const out = (line: string) => io.stdout.write(`${line}\n`);
        out(`database: ${database.displayUrl}`);
        if (applied.length) out(`applied ${applied.length} core migration(s): ${applied.join(', ')}`);
        else out(`core schema already up to date (${Object.keys(coreMigrations).length} migrations)`);
        const host = await migrate(database, 'host', hostMigrations);
        const hostApplied = (host.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
        out(hostApplied.length ? `applied ${hostApplied.length} host migration(s): ${hostApplied.join(', ')}` : 'host schema already up to date');
        const tables = [
          ...DESIGN_TABLES,
          'rfid3_model_registry',
          'rfid3_api_keys',
          'rfid3_ingest_keys',
          'rfid3_ingest_locks',
          'rfid3_sync_state',
          'rfid3_webhook_deliveries',
          ...RFID3_SOURCE_TABLES,
        ];
        const present: string[] = [];
        for (const t of tables) if (await tableExists(database.db, t)) present.push(t);
        out(`tables present: ${present.join(', ')}`);
        out("plugins' own tables are created when `rfid3 serve` loads them");
      });
    });
}
