import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '@rfid3/core/testing';
import { expect, it, vi } from 'vitest';

it('the README example estimates a negative elasticity with an interval around it', async () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  await runReadmeExample(readme, new URL('./', import.meta.url));
  const [elasticity, ci95, n] = log.mock.calls[0]!;
  log.mockRestore();
  expect(elasticity).toBeLessThan(-1);
  expect(ci95[0]).toBeLessThan(elasticity);
  expect(ci95[1]).toBeGreaterThan(elasticity);
  expect(n).toBe(6);
});
