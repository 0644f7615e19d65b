import { defineConfig, type Options } from 'tsup';

/**
 * The one tsup configuration every package builds its JavaScript with (ESM, Node 20, source maps). Declarations
 * are not tsup's job: `tsc -b` emits them per package (project references, incremental), so `clean` keeps the
 * `.d.ts` files and the build info it leaves in `dist`.
 */
export function packageBuild(entry: Options['entry'], options: Omit<Options, 'entry'> = {}) {
  return defineConfig({
    entry,
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: ['!**/*.d.ts', '!*.tsbuildinfo'],
    target: 'node20',
    // The package's library config, not its solution-style tsconfig.json (which has no compiler options): esbuild
    // reads `experimentalDecorators` from it, so inversify's `@injectable()` / `@inject(token)` compile as
    // TypeScript decorators (esbuild emits no decorator metadata; every constructor parameter names its token).
    tsconfig: 'tsconfig.lib.json',
    ...options,
  });
}
