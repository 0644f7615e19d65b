import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '@rfid3/core/testing';
import { expect, it, vi } from 'vitest';

it('the README example lists a replacement and the grade path of that item', async () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  await runReadmeExample(readme, new URL('./', import.meta.url));
  const [decision, grade, median] = log.mock.calls[0]!;
  log.mockRestore();
  expect(['replace_now', 'replace_soon']).toContain(decision);
  expect(['A+', 'A', 'A-', 'B+', 'B', 'B-', 'C+', 'C', 'C-']).toContain(grade);
  // replace_now means unrentable already or within the lead time (3 rentals) for half its paths
  if (decision === 'replace_now') expect(median).toBeLessThanOrEqual(3);
  else expect(median).toBeGreaterThan(3);
});
