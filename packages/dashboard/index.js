// Hand-written rather than built, so that importing the package works even before `pnpm build` has made
// the assets: the host checks for `index.html` in the folder and falls back to its status page.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the built dashboard (index.html and its hashed assets). */
export const assetsDir = join(dirname(fileURLToPath(import.meta.url)), 'dist', 'public');
