import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseEvents } from '@rfid3/core';
import type { CalendarEvent } from '@rfid3/core';
import { backtestDemand, DEFAULT_DEMAND_SPEC } from '@rfid3/plugin-demand';
import type { ScoredModel } from '@rfid3/plugin-demand';
import type { CliIo } from '../cli-io.js';
import { CliError } from '../cli-io.js';
import { readSeriesCsv } from '../series-csv.js';
import { positiveInt } from './options.js';

interface BacktestDemandOptions {
  csv: string;
  date: string;
  value: string;
  regressors?: string;
  initial: string;
  step: string;
  horizon: string;
  holidays: string;
  events?: string;
  members?: boolean;
  json?: boolean;
}

const METRICS = ['mae', 'rmse', 'smape', 'mase', 'coverage80', 'coverage95'] as const;
const pick = (m: ScoredModel) => Object.fromEntries([['name', m.name], ...METRICS.map((k) => [k, m[k]])]);

/**
 * Rolling-origin backtest of the demand ensemble on any daily series in a CSV file: fit on the rows
 * before each origin, forecast the next `horizon` rows; origins at initial, initial + step, … while
 * origin + horizon ≤ rows. The ensemble's regressions use the `--regressors` columns (their values on the
 * forecast days are taken from the file: only forecastable inputs belong there), US holidays with
 * `--holidays us` and a local event calendar with `--events`. Reports it beside the seasonal-naive (7 rows
 * back) and naive baselines, and with `--members` each member alone.
 */
export function register(program: Command, io: CliIo): void {
  const backtest = program.commands.find((c) => c.name() === 'backtest') ?? program.command('backtest').description('Rolling-origin backtests of the models');
  backtest
    .command('demand')
    .description('Rolling-origin backtest of the demand model on a CSV time series, beside seasonal-naive and naive baselines')
    .requiredOption('--csv <file>', 'CSV file with a header row, one row per day in date order')
    .requiredOption('--date <column>', 'column holding the date')
    .requiredOption('--value <column>', 'column holding the value to forecast')
    .option('--regressors <a,b>', 'columns to use as regressors (comma-separated); the ensemble regressions use them')
    .option('--holidays <calendar>', "holiday calendar: 'us' (US federal holidays) or 'none'", 'us')
    .option('--events <file>', 'local events: CSV (date,name,lower_window,upper_window) or iCalendar (.ics)')
    .option('--members', 'also backtest each ensemble member alone')
    .requiredOption('--initial <n>', 'rows in the first training window')
    .requiredOption('--step <n>', 'rows between origins')
    .requiredOption('--horizon <n>', 'rows forecast from each origin')
    .option('--json', 'print one JSON object on stdout')
    .action(async (opts: BacktestDemandOptions) => {
      const initial = positiveInt(opts.initial, '--initial');
      const step = positiveInt(opts.step, '--step');
      const horizon = positiveInt(opts.horizon, '--horizon');
      const regressors = opts.regressors
        ? opts.regressors
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : [];
      let series: ReturnType<typeof readSeriesCsv>;
      try {
        series = readSeriesCsv(resolve(io.cwd, opts.csv), { date: opts.date, value: opts.value, regressors });
      } catch (err) {
        throw new CliError(err instanceof Error ? err.message : String(err));
      }
      if (initial + horizon > series.values.length) {
        throw new CliError(`--initial ${initial} + --horizon ${horizon} is more than the ${series.values.length} rows of ${opts.csv}: no fold fits`);
      }
      if (initial < 14) throw new CliError(`--initial: at least 14 rows are needed to fit and calibrate the model (got ${initial})`);
      if (opts.holidays !== 'us' && opts.holidays !== 'none') throw new CliError(`--holidays: 'us' or 'none', got '${opts.holidays}'`);
      let events: CalendarEvent[] = [];
      if (opts.events) {
        try {
          const file = resolve(io.cwd, opts.events);
          events = parseEvents(readFileSync(file, 'utf8'), file);
        } catch (err) {
          throw new CliError(`--events: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      let lastShown = 0;
      const spec = { ...DEFAULT_DEMAND_SPEC, holidays: opts.holidays as 'us' | 'none' };
      const result = backtestDemand(
        series,
        {
          initial,
          step,
          horizon,
          events,
          members: Boolean(opts.members),
          onFold: (done, total, model) => {
            // A long run shows progress on stderr; stdout stays clean for --json.
            const now = Date.now();
            if (done === total || now - lastShown > 1000) {
              lastShown = now;
              io.stderr.write(`  ${model}: fold ${done}/${total}\n`);
            }
          },
        },
        spec,
      );
      if (result.ignoredRegressors.length) {
        io.stderr.write(`note: ${result.model.name} does not use regressors; ignored ${result.ignoredRegressors.join(', ')}\n`);
      }
      const out = {
        folds: result.folds,
        points: result.points,
        fitMs: result.fitMs,
        model: pick(result.model),
        baselines: { seasonalNaive: pick(result.baselines.seasonalNaive), naive: pick(result.baselines.naive) },
        ...(result.members ? { members: result.members.map(pick) } : {}),
        regressors: result.regressors,
        holidays: opts.holidays,
        events: events.length,
      };
      if (opts.json) {
        io.stdout.write(`${JSON.stringify(out)}\n`);
        return;
      }
      const fmt = (v: number | null, digits: number) => (v === null || Number.isNaN(v) ? '—' : v.toFixed(digits));
      const rows = [result.model, ...(result.members ?? []), result.baselines.seasonalNaive, result.baselines.naive];
      const line = (cells: string[]) => io.stdout.write(`${cells.map((c, i) => (i === 0 ? c.padEnd(26) : c.padStart(10))).join(' ')}\n`);
      io.stdout.write(`${opts.csv}: ${series.values.length} rows, ${result.folds} folds × ${horizon} rows = ${result.points} forecasts (fit ${result.fitMs} ms)\n`);
      line(['model', 'MAE', 'RMSE', 'sMAPE %', 'MASE', 'cover 80', 'cover 95']);
      for (const m of rows) line([m.name, fmt(m.mae, 2), fmt(m.rmse, 2), fmt(m.smape, 2), fmt(m.mase, 3), fmt(m.coverage80, 3), fmt(m.coverage95, 3)]);
    });
}
