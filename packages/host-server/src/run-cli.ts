import { Command, CommanderError } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import type { CliIo } from './cli-io.js';
import { register as registerBacktestClassify } from './commands/backtest-classify.js';
import { register as registerBacktestDemand } from './commands/backtest-demand.js';
import { register as registerBacktestElasticity } from './commands/backtest-elasticity.js';
import { register as registerBacktestRules } from './commands/backtest-rules.js';
import { register as registerBackup } from './commands/backup.js';
import { register as registerDemo } from './commands/demo.js';
import { register as registerImportPor } from './commands/import-por.js';
import { register as registerKeys } from './commands/keys.js';
import { register as registerMigrate } from './commands/migrate.js';
import { register as registerPlugin } from './commands/plugin.js';
import { register as registerServe } from './commands/serve.js';

export type { CliIo } from './cli-io.js';

/**
 * The `rfid3` command, run in-process: returns the exit code instead of exiting. Results go to
 * `io.stdout` (clean JSON with `--json`); messages and logs go to stderr.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = new Command('rfid3')
    .description('RFID3 Predictive host: serve the API, migrate the database, manage API keys, add plugins')
    .version(pkg.version)
    .option('--config <path>', 'JSON config file (default: $RFID3_CONFIG, else ./rfid3.config.json if present)')
    .option('--verbose', 'print stack traces with errors')
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();

  registerServe(program, io);
  registerMigrate(program, io);
  registerKeys(program, io);
  registerDemo(program, io);
  registerImportPor(program, io);
  registerBackup(program, io);
  registerBacktestDemand(program, io);
  registerBacktestClassify(program, io);
  registerBacktestElasticity(program, io);
  registerBacktestRules(program, io);
  registerPlugin(program, io);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    // Commander has already printed its own message (usage errors, --help, --version).
    if (err instanceof CommanderError) return err.exitCode;
    const verbose = program.opts<{ verbose?: boolean }>().verbose || argv.includes('--verbose');
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`error: ${message}\n`);
    if (verbose && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
    return 1;
  }
}
