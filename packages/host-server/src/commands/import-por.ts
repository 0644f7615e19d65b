import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createLogger, createRuntime } from '@rfid3/core';
import type { CliIo, GlobalOptions } from '../cli-io.js';
import { CliError } from '../cli-io.js';
import { loadHostConfig } from '../config.js';
import { importPorDirectory } from '../import/por-import.js';
import { loadPlugins } from '../plugins.js';

interface ImportPorOptions extends GlobalOptions {
  dir: string;
  json?: boolean;
}

/**
 * `rfid3 import por --dir DIR`: the Point of Rental weekly exports into the pos_* tables. It runs inside a
 * runtime with the configured plugins, so that their `data-changed` listeners (shared Redis cache entries,
 * stored forecasts) see what the import changed.
 */
export function register(program: Command, io: CliIo): void {
  const parent = program.commands.find((c) => c.name() === 'import') ?? program.command('import').description('Import data exported by other systems');
  parent
    .command('por')
    .description('Import the Point of Rental weekly CSV exports (equipment, transactions, transaction items, customers) into the pos_* tables; re-runnable')
    .requiredOption('--dir <folder>', 'folder holding equip*.csv, transactions*.csv, transitems*.csv, customer*.csv')
    .option('--json', 'print the per-file report as JSON on stdout')
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<ImportPorOptions>();
      const dir = resolve(io.cwd, opts.dir);
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError(`--dir ${opts.dir}: no such folder`);
      const config = loadHostConfig({ cwd: io.cwd, env: io.env, configPath: opts.config });
      const logger = createLogger({ level: 'warn', destination: io.stderr });
      const plugins = await loadPlugins(config.plugins, { baseDir: config.baseDir, mode: config.pluginsMode, logger });
      const runtime = await createRuntime({ config: { databaseUrl: config.databaseUrl, redisUrl: config.redisUrl, logLevel: 'warn' }, logger, plugins });
      try {
        const report = await importPorDirectory(runtime.database, runtime.clock, dir, { events: runtime.events });
        if (opts.json) {
          io.stdout.write(`${JSON.stringify(report)}\n`);
          return;
        }
        const out = (line: string) => io.stdout.write(`${line}\n`);
        if (report.files.length === 0) out(`no Point of Rental export found in ${dir} (expected equip*.csv, transactions*.csv, transitems*.csv, customer*.csv)`);
        for (const f of report.files) {
          out(`${f.file} → ${f.table}: ${f.rows} rows, ${f.imported} imported, ${f.updated} updated, ${f.skipped} skipped`);
          for (const [reason, n] of Object.entries(f.reasons).sort((a, b) => b[1] - a[1])) out(`    ${n} skipped: ${reason}`);
          if (f.missingColumns.length) out(`    columns not in this file (left as they were): ${f.missingColumns.join(', ')}`);
        }
        if (report.ignored.length) out(`ignored: ${report.ignored.join(', ')}`);
      } finally {
        await runtime.close();
      }
    });
}
