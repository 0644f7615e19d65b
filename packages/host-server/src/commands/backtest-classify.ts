import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { backtestClassify } from '@rfid3/plugin-maintenance';
import type { CliIo } from '../cli-io.js';
import { CliError } from '../cli-io.js';

interface BacktestClassifyOptions {
  csv: string;
  target: string;
  drop?: string;
  holdoutLast: string;
  trees?: string;
  seed?: string;
  json?: boolean;
}

/**
 * Holdout backtest of the failure classifier (the histogram random forest of @rfid3/learn) on any CSV
 * table with a 0/1 target: non-numeric columns are one-hot encoded, the first rows train it, the last
 * fraction is scored. Reports F1, precision and recall at the out-of-bag-tuned threshold, PR-AUC and ROC-AUC.
 */
export function register(program: Command, io: CliIo): void {
  const backtest = program.commands.find((c) => c.name() === 'backtest') ?? program.command('backtest').description('Rolling-origin backtests of the models');
  backtest
    .command('classify')
    .description('Train the failure classifier on the first rows of a CSV table and score it on the last fraction')
    .requiredOption('--csv <file>', 'CSV file with a header row')
    .requiredOption('--target <column>', 'the 0/1 column to predict')
    .option('--drop <a,b>', 'columns not to use as features (comma-separated)')
    .requiredOption('--holdout-last <fraction>', 'fraction of rows at the end that are held out and scored, e.g. 0.2')
    .option('--trees <n>', 'trees in the forest', '100')
    .option('--seed <n>', 'random seed', '1')
    .option('--json', 'print one JSON object on stdout')
    .action((opts: BacktestClassifyOptions) => {
      const holdout = Number(opts.holdoutLast);
      if (!(holdout > 0 && holdout < 1)) throw new CliError(`--holdout-last: '${opts.holdoutLast}' is not a fraction between 0 and 1`);
      const trees = Number(opts.trees);
      if (!Number.isInteger(trees) || trees < 1 || trees > 5000) throw new CliError(`--trees: '${opts.trees}' is not a whole number between 1 and 5000`);
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed)) throw new CliError(`--seed: '${opts.seed}' is not a whole number`);
      let text: string;
      try {
        text = readFileSync(resolve(io.cwd, opts.csv), 'utf8');
      } catch (err) {
        throw new CliError(`--csv: cannot read ${opts.csv} (${err instanceof Error ? err.message : String(err)})`);
      }
      const drop = opts.drop
        ? opts.drop
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : [];
      let result: ReturnType<typeof backtestClassify>;
      try {
        result = backtestClassify(text, { target: opts.target, drop, holdoutLast: holdout, forest: { nEstimators: trees, seed } });
      } catch (err) {
        throw new CliError(err instanceof Error ? err.message : String(err));
      }
      const m = result.model;
      if (opts.json) {
        io.stdout.write(
          `${JSON.stringify({
            rows: result.rows,
            trainRows: result.trainRows,
            testRows: result.testRows,
            testPositives: result.testPositives,
            trainMs: result.trainMs,
            model: { name: m.name, f1: m.f1, precision: m.precision, recall: m.recall, prAuc: m.prAuc, rocAuc: m.rocAuc, threshold: m.threshold, brier: m.brier, ece: m.ece },
            baseline: result.baseline,
          })}\n`,
        );
        return;
      }
      const f = (v: number) => (Number.isNaN(v) ? '—' : v.toFixed(3));
      io.stdout.write(
        `${opts.csv}: ${result.rows} rows, trained on the first ${result.trainRows} in ${result.trainMs} ms, scored on the last ${result.testRows} (${result.testPositives} positive)\n`,
      );
      io.stdout.write(`features: ${result.features.join(', ')}\n`);
      const line = (cells: string[]) => io.stdout.write(`${cells.map((c, i) => (i === 0 ? c.padEnd(18) : c.padStart(10))).join(' ')}\n`);
      line(['model', 'F1', 'precision', 'recall', 'PR-AUC', 'ROC-AUC', 'threshold']);
      line(['random-forest', f(m.f1), f(m.precision), f(m.recall), f(m.prAuc), f(m.rocAuc), f(m.threshold)]);
      line([result.baseline.name, f(result.baseline.f1), '—', '—', f(result.baseline.prAuc), f(result.baseline.rocAuc), '—']);
    });
}
