import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The first fenced ```ts block of a README. */
export function readmeExample(readme: string): string {
  const m = /```ts\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('README has no ```ts example block');
  return m[1]!;
}

/**
 * Runs a README's first TypeScript example as a module written next to the calling test (so package
 * imports resolve as they would for a user), then removes it. Keeps the documented usage honest.
 */
export async function runReadmeExample(readme: string, dir: URL): Promise<void> {
  const file = new URL(`.readme-example-${randomBytes(4).toString('hex')}.ts`, dir);
  writeFileSync(file, readmeExample(readme));
  try {
    await import(/* @vite-ignore */ fileURLToPath(file));
  } finally {
    rmSync(file, { force: true });
  }
}
