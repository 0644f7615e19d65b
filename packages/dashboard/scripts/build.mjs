// Builds the dashboard into dist/public: one minified script and one stylesheet whose names carry a hash
// of their content (so the host can let phones cache them for a year), and index.html pointing at them.
// No CDN and no web fonts: the Pi may be offline.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'public');
rmSync(join(root, 'dist'), { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const hashed = (name, ext, content) => {
  const file = `${name}.${createHash('sha256').update(content).digest('hex').slice(0, 10)}.${ext}`;
  writeFileSync(join(out, file), content);
  return file;
};

const bundle = await build({
  entryPoints: [join(root, 'src', 'main.ts')],
  bundle: true,
  minify: true,
  format: 'iife',
  // ES2020 runs on the browsers of phones from 2020 on (Safari 14, Chrome 80) without polyfills.
  target: 'es2020',
  write: false,
  legalComments: 'none',
  logLevel: 'warning',
});
const script = hashed('app', 'js', bundle.outputFiles[0].contents);

const css = await build({
  entryPoints: [join(root, 'src', 'styles.css')],
  bundle: true,
  minify: true,
  target: ['safari14', 'chrome80'],
  write: false,
  logLevel: 'warning',
});
const style = hashed('app', 'css', css.outputFiles[0].contents);
const icon = hashed('icon', 'svg', readFileSync(join(root, 'src', 'icon.svg')));

const html = readFileSync(join(root, 'src', 'index.html'), 'utf8')
  .replaceAll('{{script}}', `/${script}`)
  .replaceAll('{{style}}', `/${style}`)
  .replaceAll('{{icon}}', `/${icon}`);
writeFileSync(join(out, 'index.html'), html);
console.log(`dashboard: ${script} ${style} ${icon} index.html in ${out}`);
