// Failure drills: every bench/drills/*.mjs runs on its own (`node bench/drills/<name>.mjs`), starts and stops
// its own throwaway servers, prints one JSON line of figures with `pass`, and exits non-zero below its bar.
// This suite runs each in turn and reports its figures; `pnpm bench drills` fails when any drill fails.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const drillsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'drills');
const DRILL_LIMIT_MS = 15 * 60_000;

/** Runs one drill; resolves with its figures (or why it gave none) and its exit status. */
function runDrill(file, log) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = execFile(process.execPath, [join(drillsDir, file)], { timeout: DRILL_LIMIT_MS, killSignal: 'SIGTERM', maxBuffer: 16 << 20 }, (err, stdout) => {
      const line = stdout
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .pop();
      let figures;
      try {
        figures = line ? JSON.parse(line) : { error: 'printed no JSON line' };
      } catch {
        figures = { error: `printed a line that is not JSON: ${line.slice(0, 200)}` };
      }
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      if (err?.killed) figures.error = `stopped after ${DRILL_LIMIT_MS / 60_000} min`;
      resolve({ file, code, pass: code === 0 && figures.pass === true, figures, seconds: (performance.now() - t0) / 1000 });
    });
    child.stderr.on('data', (d) => {
      for (const l of String(d).split('\n').filter(Boolean)) log(`  ${file}: ${l}`);
    });
  });
}

/** `a.b=1, a.c=2`: the numbers, flags and short texts of a drill's figures, for one table cell. */
function flatten(value, prefix = '') {
  if (value === null || typeof value !== 'object') return [`${prefix}=${typeof value === 'string' ? value.slice(0, 200) : value}`];
  if (Array.isArray(value)) return [`${prefix}=[${value.join(', ')}]`];
  return Object.entries(value).flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
}

export const bench = {
  name: 'drills',
  title: 'Drills',
  async run({ log }) {
    const files = readdirSync(drillsDir, { withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.mjs'))
      .map((e) => e.name)
      .sort();
    const results = {};
    const rows = [];
    for (const file of files) {
      log(`drill ${file}`);
      const r = await runDrill(file, log);
      const name = file.replace(/\.mjs$/, '');
      results[name] = { pass: r.pass, exitCode: r.code, seconds: r.seconds, ...r.figures };
      const { drill: _d, bar, pass: _p, ...figures } = r.figures;
      rows.push([
        `\`${name}\`${bar ? `: ${bar}` : ''}`,
        `**${r.pass ? 'pass' : 'FAIL'}** (exit ${r.code}, ${r.seconds.toFixed(0)} s): ${flatten(figures).join(', ').replace(/\|/g, '\\|')}`,
      ]);
    }
    const failed = Object.entries(results)
      .filter(([, r]) => !r.pass)
      .map(([n]) => n);
    return { results: { drills: results, failed }, rows, failed: failed.length > 0 };
  },
};
