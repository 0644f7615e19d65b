import type { Command } from 'commander';
import { createLogger, createRuntime, migrate, coreMigrations, createDatabase, DEFAULT_CLOSED_HOLIDAYS } from '@rfid3/core';
import { simulate } from '@rfid3/core/simulator';
import type { CliIo, GlobalOptions } from '../cli-io.js';
import { CliError } from '../cli-io.js';
import { loadHostConfig } from '../config.js';
import { loadPlugins } from '../plugins.js';
import { positiveInt } from './options.js';

interface DemoOptions extends GlobalOptions {
  items: string;
  days: string;
  seed: string;
  json?: boolean;
}

/**
 * Seeds the configured database with a simulated business (only when it has no items yet), then trains
 * every loaded plugin's models on it and replays their recent forecasts, so the served demo has measured
 * accuracy from the first request.
 */
export function register(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description('Seed the configured database with a simulated rental business, train the models and replay recent forecasts')
    .option('--items <n>', 'tagged items to simulate', '1500')
    .option('--days <n>', 'days of history to simulate, ending yesterday', '730')
    .option('--seed <n>', 'random seed (same seed, same business)', '42')
    .option('--json', 'print the summary as JSON on stdout')
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<DemoOptions>();
      const items = positiveInt(opts.items, '--items');
      const days = positiveInt(opts.days, '--days');
      const seed = positiveInt(opts.seed, '--seed');
      const config = loadHostConfig({ cwd: io.cwd, env: io.env, configPath: opts.config });
      const say = (line: string) => io.stderr.write(`${line}\n`);
      const started = performance.now();

      const database = createDatabase(config.databaseUrl);
      let seeded: Awaited<ReturnType<typeof simulate>> | null = null;
      try {
        await migrate(database, 'core', coreMigrations);
        const existing = await database.db
          .selectFrom('id_item_master')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirst();
        if (Number(existing?.n ?? 0) > 0) {
          say(`${database.displayUrl} already holds ${existing!.n} items: not seeding again (delete the file, or point DATABASE_URL elsewhere, to start over)`);
        } else {
          say(`seeding ${database.displayUrl}: ${items} items, ${days} days, seed ${seed}`);
          let last = -1;
          seeded = await simulate(database, {
            items,
            days,
            seed,
            // Packs beside their single components, burst when the singles run out: the pack views have data.
            packComponents: true,
            // Closed on the holidays the demand plugin's default store calendar closes on: no units go out then.
            closedHolidays: DEFAULT_CLOSED_HOLIDAYS,
            onProgress: (fraction, message) => {
              const pct = Math.floor(fraction * 10) * 10;
              if (pct > last) {
                last = pct;
                say(`  ${String(pct).padStart(3)} %  ${message}`);
              }
            },
          });
          say(`  ${seeded.counts.items} items, ${seeded.counts.scans} scans, ${seeded.counts.contracts} contracts in ${(seeded.ms / 1000).toFixed(1)} s`);
        }
      } catch (err) {
        await database.close();
        throw err;
      }

      const logger = createLogger({ level: 'warn', destination: io.stderr });
      const plugins = await loadPlugins(config.plugins, { baseDir: config.baseDir, mode: config.pluginsMode, logger });
      const runtime = await createRuntime({
        config: { databaseUrl: config.databaseUrl, logLevel: 'warn' },
        database,
        logger,
        plugins,
      });
      const jobs: Record<string, unknown> = {};
      try {
        // Train first, then replay forecasts with the trained models, then let the plugins propose their
        // decisions (the scheduled job's work), so the demo has purchases, prices and packs awaiting approval.
        const names = runtime.plugins.flatMap((p) => p.jobs);
        for (const suffix of ['.retrain', '.backfill', '.propose']) {
          for (const name of names.filter((n) => n.endsWith(suffix))) {
            say(`running ${name}`);
            const record = await runtime.jobs.waitFor(runtime.jobs.enqueue(name, {}).id);
            if (record.status === 'failed') throw new CliError(`${name} failed: ${record.error}`);
            jobs[name] = record.result ?? null;
          }
        }
        const accuracy = await runtime.predictionStore.accuracy({ byHorizon: false });
        const pending = (await runtime.decisions.listOpen()).filter((d) => d.status === 'pending');
        const summary = {
          database: database.displayUrl,
          seeded: seeded ? seeded.counts : null,
          plugins: runtime.plugins.map((p) => `${p.id}@${p.version}`),
          models: (await runtime.registry.status()).map((m) => ({ model: m.versionTag, metric: m.validation.metric, value: m.validation.value })),
          jobs,
          pendingDecisions: pending.length,
          accuracy,
          seconds: Math.round((performance.now() - started) / 100) / 10,
        };
        if (opts.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
        else {
          const out = (line: string) => io.stdout.write(`${line}\n`);
          out(`demo ready in ${summary.seconds} s: ${database.displayUrl}`);
          for (const m of summary.models) out(`  model ${m.model}: validation ${m.metric} ${m.value.toFixed(3)}`);
          for (const a of accuracy) {
            out(
              `  ${a.modelVersion}: ${a.n} replayed forecasts matched with actuals, MAE ${a.mae.toFixed(2)}, sMAPE ${a.smape.toFixed(1)} %` +
                (a.coverage === null ? '' : `, ${Math.round((a.intervalLevel ?? 0) * 100)} % interval coverage ${a.coverage.toFixed(2)}`),
            );
          }
          out(`  ${pending.length} decisions await approval (restock, prices, packs): GET /api/predictive/decisions?status=pending`);
          out('serve it with: pnpm rfid3 serve');
        }
      } finally {
        await runtime.close();
      }
    });
}
