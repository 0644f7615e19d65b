import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';
import { tempDir } from './helpers.js';

async function rfid3(cwd: string, args: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env: {}, cwd });
  return { code, stdout: out, stderr: err };
}

describe('rfid3 backtest rules', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir('rfid3-rules-');
  });
  afterEach(() => tmp.remove());

  it('prints count, ms and the rules sorted by lift, items kept with their whitespace', async () => {
    writeFileSync(join(tmp.dir, 'b.txt'), 'chair,table ,linen\nchair,table \nchair,linen\ntent,heater\nchair,table ,linen,tent\n');
    const run = await rfid3(tmp.dir, ['backtest', 'rules', '--baskets', 'b.txt', '--min-support', '0.4', '--min-confidence', '0.5', '--json']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { count: number; ms: number; rules: { antecedent: string[]; consequent: string[]; support: number; confidence: number; lift: number }[] };
    expect(out.count).toBe(out.rules.length);
    expect(out.ms).toBeGreaterThanOrEqual(0);
    const r = out.rules.find((x) => x.antecedent.join() === 'table ' && x.consequent[0] === 'chair')!;
    expect(r).toMatchObject({ support: 0.6, confidence: 1, lift: 1.25 });
    for (let i = 1; i < out.rules.length; i++) expect(out.rules[i - 1]!.lift).toBeGreaterThanOrEqual(out.rules[i]!.lift);
    // --min-len 3 keeps only rules of three or more items.
    const long = JSON.parse(
      (await rfid3(tmp.dir, ['backtest', 'rules', '--baskets', 'b.txt', '--min-support', '0.4', '--min-confidence', '0.5', '--min-len', '3', '--json'])).stdout,
    ) as typeof out;
    expect(long.count).toBeGreaterThan(0);
    expect(long.count).toBeLessThan(out.count);
    for (const x of long.rules) expect(x.antecedent.length + x.consequent.length).toBeGreaterThanOrEqual(3);
  });

  it('rejects a support outside (0, 1]', async () => {
    writeFileSync(join(tmp.dir, 'b.txt'), 'a,b\n');
    const run = await rfid3(tmp.dir, ['backtest', 'rules', '--baskets', 'b.txt', '--min-support', '1.5', '--min-confidence', '0.5']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--min-support');
  });
});
