import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', testing: 'src/testing/index.ts', simulator: 'src/simulator/index.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true, outDir: '/tmp/tooling-oldcore-dist',
  target: 'node20',
  splitting: true,
});
