import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { estimateElasticity } from '@rfid3/plugin-pricing';
import type { PriceObservation } from '@rfid3/plugin-pricing';
import { parse } from 'csv-parse/sync';
import type { CliIo } from '../cli-io.js';
import { CliError } from '../cli-io.js';
import { writeOut } from './write-out.js';

interface BacktestElasticityOptions {
  csv: string;
  price: string;
  quantity: string;
  group?: string;
  controls?: string;
  json?: boolean;
}

/**
 * Own-price elasticity from a CSV of prices and quantities: ordinary least squares of log quantity on log
 * price, per group, with optional categorical controls as dummies. Rows whose price or quantity is not a
 * positive number are skipped and counted.
 */
export function register(program: Command, io: CliIo): void {
  const backtest = program.commands.find((c) => c.name() === 'backtest') ?? program.command('backtest').description('Rolling-origin backtests of the models');
  backtest
    .command('elasticity')
    .description('Log-log own-price elasticity per group from a CSV of prices and quantities, with standard error, 95 % interval and R²')
    .requiredOption('--csv <file>', 'CSV file with a header row')
    .requiredOption('--price <column>', 'column holding the price')
    .requiredOption('--quantity <column>', 'column holding the quantity')
    .option('--group <column>', 'estimate one elasticity per value of this column')
    .option('--controls <a,b>', 'categorical control columns, dummy-coded (comma-separated)')
    .option('--json', 'print one JSON object on stdout')
    .action(async (opts: BacktestElasticityOptions) => {
      const controls = opts.controls
        ? opts.controls
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : [];
      const file = resolve(io.cwd, opts.csv);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new CliError(`cannot read ${opts.csv}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      const rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Record<string, string>[];
      if (rows.length === 0) throw new CliError(`${opts.csv} has no data rows`);
      const header = Object.keys(rows[0]!);
      const wanted = [opts.price, opts.quantity, ...(opts.group ? [opts.group] : []), ...controls];
      const missing = wanted.filter((c) => !header.includes(c));
      if (missing.length) throw new CliError(`${opts.csv} has no column ${missing.map((c) => `'${c}'`).join(', ')} (columns: ${header.join(', ')})`);
      const num = (raw: string | undefined) => (raw === undefined || raw === '' ? Number.NaN : Number(raw));
      const observations: PriceObservation[] = rows.map((r) => ({
        price: num(r[opts.price]),
        quantity: num(r[opts.quantity]),
        group: opts.group ? r[opts.group]! : 'all',
        controls: Object.fromEntries(controls.map((c) => [c, r[c]!])),
      }));
      const estimates = estimateElasticity(observations, { controls });
      const skipped = estimates.reduce((s, e) => s + e.skipped, 0);
      if (opts.json) {
        const groups = Object.fromEntries(
          estimates.map((e) => [
            e.group,
            { elasticity: nullable(e.elasticity), se: nullable(e.se), ci95: e.ci95.map(nullable), n: e.n, r2: nullable(e.r2), skipped: e.skipped, warnings: e.warnings },
          ]),
        );
        await writeOut(io, `${JSON.stringify({ rows: rows.length, skipped, controls, groups })}\n`);
        return;
      }
      const f = (v: number, d: number) => (Number.isFinite(v) ? v.toFixed(d) : '—');
      io.stdout.write(
        `${opts.csv}: ${rows.length} rows, ${skipped} skipped (price or quantity not positive); log(${opts.quantity}) ~ log(${opts.price})${controls.length ? ` + ${controls.join(' + ')}` : ''}\n`,
      );
      const line = (cells: string[]) => io.stdout.write(`${cells.map((c, i) => (i === 0 ? c.padEnd(20) : c.padStart(10))).join(' ')}\n`);
      line(['group', 'elasticity', 'se', 'ci95 lo', 'ci95 hi', 'n', 'R²']);
      for (const e of estimates) {
        line([e.group, f(e.elasticity, 4), f(e.se, 4), f(e.ci95[0], 4), f(e.ci95[1], 4), String(e.n), f(e.r2, 3)]);
        for (const w of e.warnings) io.stdout.write(`  warning: ${w}\n`);
      }
    });
}

const nullable = (v: number) => (Number.isFinite(v) ? v : null);
