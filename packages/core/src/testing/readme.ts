import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A README's fenced ```ts block: the first, or the one at `index` (0-based). */
export function readmeExample(readme: string, index = 0): string {
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)];
  if (blocks.length === 0) throw new Error('README has no ```ts example block');
  const block = blocks[index];
  if (!block) throw new Error(`README has ${blocks.length} \`\`\`ts example block(s), none at index ${index}`);
  return block[1]!;
}

/**
 * Runs a README's first TypeScript example (or the one at `index`) as a module written next to the calling test
 * (so package imports resolve as they would for a user), then removes it. Keeps the documented usage honest.
 */
export async function runReadmeExample(readme: string, dir: URL, index = 0): Promise<void> {
  const file = new URL(`.readme-example-${randomBytes(4).toString('hex')}.ts`, dir);
  writeFileSync(file, readmeExample(readme, index));
  try {
    await import(/* @vite-ignore */ fileURLToPath(file));
  } finally {
    rmSync(file, { force: true });
  }
}
