import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '@rfid3/core/testing';
import { expect, it, vi } from 'vitest';

it('the README example learns the failure rule and puts the importance on wear and load', async () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  await runReadmeExample(readme, new URL('./', import.meta.url));
  const [f1, prAuc, importances] = log.mock.calls[0]!;
  log.mockRestore();
  expect(f1).toBeGreaterThan(0.9);
  expect(prAuc).toBeGreaterThan(0.9);
  expect(importances).toHaveLength(2);
  expect(importances[0] + importances[1]).toBeCloseTo(1, 10);
});
