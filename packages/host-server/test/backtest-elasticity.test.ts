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

describe('rfid3 backtest elasticity', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir('rfid3-elasticity-');
  });
  afterEach(() => tmp.remove());

  it('prints per-group elasticity, se, 95 % interval, n and R² as JSON, skipping non-positive rows', async () => {
    // q = e^(2 + 0.5·[store=b]) · p^e exactly, e = −1.5 for chairs and −0.5 for linens: OLS recovers them with R² = 1.
    const lines = ['price,qty,cls,store'];
    for (const [cls, e] of [
      ['chairs', -1.5],
      ['linens', -0.5],
    ] as const)
      for (const store of ['a', 'b']) for (const p of [2, 2.5, 3, 3.5, 4]) lines.push(`${p},${Math.exp(2 + (store === 'b' ? 0.5 : 0)) * p ** e},${cls},${store}`);
    lines.push('0,5,chairs,a', '3,0,chairs,a', '-1,4,linens,b');
    writeFileSync(join(tmp.dir, 'prices.csv'), `${lines.join('\n')}\n`);
    const run = await rfid3(tmp.dir, ['backtest', 'elasticity', '--csv', 'prices.csv', '--price', 'price', '--quantity', 'qty', '--group', 'cls', '--controls', 'store', '--json']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as {
      skipped: number;
      groups: Record<string, { elasticity: number; se: number; ci95: [number, number]; n: number; r2: number; skipped: number }>;
    };
    expect(out.skipped).toBe(3);
    expect(out.groups.chairs!.elasticity).toBeCloseTo(-1.5, 9);
    expect(out.groups.linens!.elasticity).toBeCloseTo(-0.5, 9);
    expect(out.groups.chairs!).toMatchObject({ n: 10, skipped: 2 });
    expect(out.groups.linens!).toMatchObject({ n: 10, skipped: 1 });
    expect(out.groups.chairs!.r2).toBeCloseTo(1, 9);
    expect(out.groups.chairs!.ci95[0]).toBeLessThanOrEqual(out.groups.chairs!.elasticity);
  });

  it('names a missing column', async () => {
    writeFileSync(join(tmp.dir, 'p.csv'), 'price,qty\n1,2\n2,1\n');
    const run = await rfid3(tmp.dir, ['backtest', 'elasticity', '--csv', 'p.csv', '--price', 'price', '--quantity', 'units']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("no column 'units'");
  });
});
