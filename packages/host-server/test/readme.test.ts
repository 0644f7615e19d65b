import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { CORE_PACKAGE_DIR, tempDir } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The README's embedding example, with its package imports pointed at this checkout. */
function readmeExample(): string {
  const readme = readFileSync(resolve(here, '../README.md'), 'utf8');
  const block = /<!-- readme-example[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('README has no marked example');
  return block
    .replace("from '@rfid3/host-server'", `from '${resolve(here, '../src/index.ts')}'`)
    .replace("from '@rfid3/core'", `from '${join(CORE_PACKAGE_DIR, 'dist/index.js')}'`);
}

describe('README', () => {
  it('runs its embedding example and prints what the comment says', async () => {
    const tmp = tempDir('rfid3-readme-');
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const file = join(tmp.dir, 'example.ts');
      writeFileSync(file, readmeExample());
      await import(file);
      expect(log).toHaveBeenCalledWith(200, 'ok', 404);
    } finally {
      log.mockRestore();
      tmp.remove();
    }
  });
});
