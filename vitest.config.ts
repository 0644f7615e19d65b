import type { Reporter, TestModule } from 'vitest/node';
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Ends the run with one plain line, `N passed, N failed, N skipped` (no prefix), the closing line any CI reads
 * whatever the runner (vitest's own summary is a table). A test file that could not load counts as failed.
 */
class PlainSummary implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>) {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const m of modules) {
      let tests = 0;
      for (const t of m.children.allTests()) {
        tests++;
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (tests === 0 && m.state() === 'failed') failed++;
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'tests/**/*.test.ts', 'eval/**/*.test.ts', 'bench/**/*.test.ts'],
    pool: 'forks',
    // vitest's own default is one worker fewer than the cores (1 on a 2-core machine, where the suite then runs
    // one file at a time); every file has its own databases, ports and Redis prefix, so use every core.
    maxWorkers: Math.max(2, availableParallelism()),
    // The files a worker runs share its loaded modules (loading them again for each of 116 files cost 140 s of
    // a 410 s run on 2 cores). Each file has its own databases, ports and Redis prefix; a test that needs a module
    // replaced passes the replacement in (an option, a service), since vi.mock cannot replace a module already loaded.
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // CI (`.ci/run`) sets RFID3_TEST_JSON and turns vitest's JSON report into its closing line.
    reporters: ['default', new PlainSummary(), ...(process.env.RFID3_TEST_JSON ? ['json'] : [])],
    ...(process.env.RFID3_TEST_JSON ? { outputFile: { json: process.env.RFID3_TEST_JSON } } : {}),
  },
});
