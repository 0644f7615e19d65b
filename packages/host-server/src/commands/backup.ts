import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createDatabase } from '@rfid3/core';
import type { CliIo, GlobalOptions } from '../cli-io.js';
import { CliError } from '../cli-io.js';
import { loadHostConfig } from '../config.js';

/**
 * `rfid3 backup --to FILE`: an online copy of the embedded SQLite database (SQLite's backup API, safe while
 * `rfid3 serve` runs and writes). A MariaDB database is backed up with `mariadb-dump`; the command says how.
 */
export function register(program: Command, io: CliIo): void {
  program
    .command('backup')
    .description('Copy the SQLite database to a file while the host keeps running (MariaDB: use mariadb-dump)')
    .requiredOption('--to <file>', 'where to write the copy (refused if it exists)')
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions & { to: string }>();
      const config = loadHostConfig({ cwd: io.cwd, env: io.env, configPath: opts.config });
      const destination = resolve(io.cwd, opts.to);
      if (existsSync(destination)) throw new CliError(`${destination} already exists: choose a new file for each backup`);
      const database = createDatabase(config.databaseUrl);
      try {
        if (!database.backup) {
          throw new CliError(
            `${database.displayUrl} is MariaDB/MySQL: back it up with mariadb-dump --single-transaction --routines --triggers -h HOST -P PORT -u USER -p DATABASE > rfid3.sql (see the README, "Back up and restore")`,
          );
        }
        const started = performance.now();
        await database.backup(destination);
        io.stdout.write(`backed up ${database.displayUrl} to ${destination} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
      } finally {
        await database.close();
      }
    });
}
