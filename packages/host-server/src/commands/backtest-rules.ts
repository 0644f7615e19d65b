import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { mineRules, parseBaskets } from '@rfid3/plugin-pack';
import type { CliIo } from '../cli-io.js';
import { CliError } from '../cli-io.js';
import { writeOut } from './write-out.js';
import { positiveInt } from './options.js';

interface BacktestRulesOptions {
  baskets: string;
  minSupport: string;
  minConfidence: string;
  minLen: string;
  json?: boolean;
}

function fraction(value: string, option: string, allowZero: boolean): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || v > 1 || v < 0 || (!allowZero && v === 0)) {
    throw new CliError(`${option}: '${value}' is not a number in ${allowZero ? '[0, 1]' : '(0, 1]'}`);
  }
  return v;
}

/**
 * Association rules over a basket file (one basket per line, items comma-separated, kept exactly as
 * written): the rules pack recommendations are built from, checkable against arules on public data.
 */
export function register(program: Command, io: CliIo): void {
  const backtest = program.commands.find((c) => c.name() === 'backtest') ?? program.command('backtest').description('Rolling-origin backtests of the models');
  backtest
    .command('rules')
    .description('Co-rental association rules (support, confidence, lift) over a basket file, sorted by lift')
    .requiredOption('--baskets <file>', 'one basket per line, items comma-separated (whitespace is part of the item)')
    .requiredOption('--min-support <s>', 'minimum support, a fraction of baskets')
    .requiredOption('--min-confidence <c>', 'minimum confidence')
    .option('--min-len <n>', 'minimum items in a rule, antecedent plus consequent', '2')
    .option('--json', 'print one JSON object on stdout')
    .action(async (opts: BacktestRulesOptions) => {
      const minSupport = fraction(opts.minSupport, '--min-support', false);
      const minConfidence = fraction(opts.minConfidence, '--min-confidence', true);
      const minLen = positiveInt(opts.minLen, '--min-len');
      let text: string;
      try {
        text = readFileSync(resolve(io.cwd, opts.baskets), 'utf8');
      } catch (err) {
        throw new CliError(`cannot read ${opts.baskets}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      const baskets = parseBaskets(text);
      if (baskets.length === 0) throw new CliError(`${opts.baskets} has no baskets`);
      const started = performance.now();
      const result = mineRules(baskets, { minSupport, minConfidence, minLen });
      const ms = Math.round((performance.now() - started) * 10) / 10;
      if (opts.json) {
        const rules = result.rules.map((r) => ({ antecedent: r.antecedent, consequent: r.consequent, support: r.support, confidence: r.confidence, lift: r.lift }));
        await writeOut(io, `${JSON.stringify({ count: rules.length, ms, baskets: result.baskets, items: result.items, frequentItemsets: result.frequentItemsets, rules })}\n`);
        return;
      }
      io.stdout.write(
        `${opts.baskets}: ${result.baskets} baskets, ${result.items} items, ${result.frequentItemsets} frequent itemsets, ${result.rules.length} rules at support ≥ ${minSupport}, confidence ≥ ${minConfidence} (${ms} ms)\n`,
      );
      for (const r of result.rules.slice(0, 20)) {
        io.stdout.write(
          `  {${r.antecedent.join(', ')}} ⇒ {${r.consequent.join(', ')}}  support ${r.support.toFixed(5)}  confidence ${r.confidence.toFixed(3)}  lift ${r.lift.toFixed(3)}\n`,
        );
      }
      if (result.rules.length > 20) io.stdout.write(`  … ${result.rules.length - 20} more (--json prints them all)\n`);
    });
}
