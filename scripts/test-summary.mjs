#!/usr/bin/env node
// Prints one line, `N passed, N failed, N skipped`, from vitest's JSON report (the file named by the first
// argument). A test file that failed to load counts as one failure; a missing or unreadable report (the run
// never reached vitest: the build or the typecheck failed) counts as one failure too.
import { readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  for (const file of report.testResults ?? []) {
    const tests = file.assertionResults ?? [];
    if (tests.length === 0 && file.status === 'failed') failed++;
    for (const t of tests) {
      if (t.status === 'passed') passed++;
      else if (t.status === 'failed') failed++;
      else skipped++;
    }
  }
} catch {
  failed++;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
