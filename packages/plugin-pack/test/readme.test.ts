import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '@rfid3/core/testing';
import { expect, it, vi } from 'vitest';

it('the README example prints rules with support, confidence and lift', async () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  await runReadmeExample(readme, new URL('./', import.meta.url));
  const calls = log.mock.calls;
  log.mockRestore();
  const tableChair = calls.find((c) => c[0].join() === 'table' && c[2].join() === 'chair')!;
  expect(tableChair.slice(3)).toEqual([0.6, 1, 1.25]);
});
