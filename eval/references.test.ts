import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM module without types
import { REFERENCE_PACKAGES } from './references/index.mjs';
// @ts-expect-error plain ESM module without types
import { FIRST_REPORTING_ORIGIN, foldScores, referencePoints, seasonalNaivePoints } from './suites/bike-folds.mjs';

const here = dirname(fileURLToPath(import.meta.url));
type Point = { origin: number; h: number; actual: number; mean: number; lower?: number; upper?: number };

describe('pnpm eval --references', () => {
  it('without R forecast, says which Debian packages to install and exits non-zero before running anything', () => {
    const r = spawnSync(process.execPath, [join(here, 'run.mjs'), 'packs', '--references', '--json'], {
      encoding: 'utf8',
      env: { ...process.env, RFID3_RSCRIPT: join(here, 'no-such-rscript') },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/missing: .*r-cran-forecast/);
    expect(r.stderr).toContain(`apt-get install -y ${REFERENCE_PACKAGES.join(' ')}`);
    expect(r.stdout).toBe('');
  });

  it('rejects a malformed --draws or --business-seed, naming it', () => {
    const bad = (args: string[]) => spawnSync(process.execPath, [join(here, 'run.mjs'), 'restock', ...args], { encoding: 'utf8' });
    expect(bad(['--draws', '20-13']).stderr).toContain('--draws must be A-B');
    expect(bad(['--draws', '20-13']).status).toBe(2);
    expect(bad(['--business-seed', 'x']).stderr).toContain('--business-seed must be a positive integer');
    expect(bad(['--business-seed']).stderr).toContain('--business-seed needs a value');
  });
});

describe('bike folds: choosing and reporting halves', () => {
  // 600 days of a weekly pattern plus a level step: seasonal naive errs only where the level moves.
  const values = Array.from({ length: 600 }, (_, d) => 100 + (d % 7) * 10 + (d >= 540 ? 50 : 0));
  const protocol = { initial: 365, step: 28, horizon: 28 };
  const naive = seasonalNaivePoints(values, protocol) as Point[];

  it('seasonal naive repeats the last week; the folds split at the first reporting origin', () => {
    expect(naive.filter((p) => p.origin === 365).map((p) => p.mean)).toEqual(Array.from({ length: 28 }, (_, k) => values[358 + (k % 7)]));
    const origins = [...new Set(naive.map((p) => p.origin))];
    expect(origins).toEqual([365, 393, 421, 449, 477, 505, 533, 561]);
    const exact = foldScores(
      naive.map((p) => ({ ...p })),
      naive,
    );
    expect(exact.maeRatio).toBe(1);
    expect(exact.choosingFolds.folds).toBe(origins.filter((o) => o < FIRST_REPORTING_ORIGIN).length);
    expect(exact.reportingFolds.folds).toBe(2);
  });

  it('scores a reference tool by the same code: MAE ÷ seasonal naive per half, interval coverage when given', () => {
    // A tool that knows the level: no error at all on every fold but the one where the level steps (origin 533).
    const folds = [...new Set(naive.map((p) => p.origin))].map((origin) => ({
      origin,
      mean: Array.from({ length: 28 }, (_, k) => values[origin + k]! + (origin === 533 ? 5 : 0)),
      lower: Array.from({ length: 28 }, (_, k) => values[origin + k]! - 1),
      upper: Array.from({ length: 28 }, (_, k) => values[origin + k]! + 1),
    }));
    const s = foldScores(referencePoints(values, folds), naive);
    expect(s.choosingFolds.maeRatio).toBeNaN(); // 0 ÷ 0: seasonal naive is exact before the step too
    const naiveErr = naive.filter((p) => p.origin >= 533).reduce((a, p) => a + Math.abs(p.actual - p.mean), 0);
    expect(s.reportingFolds.maeRatio).toBeCloseTo((5 * 28) / naiveErr, 12);
    expect(s.coverage80).toBe(1);
  });
});
