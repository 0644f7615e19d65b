#!/usr/bin/env node
// pnpm eval [suite…] [--json] [--data DIR] [--references] [--draws A-B] [--business-seed S]: evaluates the models
// on the real data sets in ../shared/data, prints the figures (one JSON object with --json), and writes
// eval/RESULTS.md beside the references. With --references the established tools (R forecast, statsmodels,
// scikit-learn; eval/references) run in the same run on the same splits and their figures go beside ours.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machine, machineLine } from '../scripts/machine.mjs';
import { findReferenceTools, REFERENCE_PACKAGES } from './references/index.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const args = process.argv.slice(2);
const json = args.includes('--json');
const flagValue = (flag) => {
  const i = args.indexOf(flag);
  if (i < 0) return undefined;
  if (i + 1 >= args.length || args[i + 1].startsWith('--')) {
    console.error(`${flag} needs a value`);
    process.exit(2);
  }
  return args[i + 1];
};
const VALUED = ['--data', '--draws', '--business-seed'];
const dataDir = flagValue('--data') !== undefined ? resolve(flagValue('--data')) : resolve(root, '..', 'shared', 'data');
const options = {};
if (flagValue('--draws') !== undefined) {
  const m = /^(\d+)(?:-(\d+))?$/.exec(flagValue('--draws'));
  if (!m || Number(m[2] ?? m[1]) < Number(m[1])) {
    console.error(`--draws must be A-B (or one draw A) with 1 ≤ A ≤ B, got ${flagValue('--draws')}`);
    process.exit(2);
  }
  options.draws = Array.from({ length: Number(m[2] ?? m[1]) - Number(m[1]) + 1 }, (_, k) => Number(m[1]) + k);
}
if (flagValue('--business-seed') !== undefined) {
  options.businessSeed = Number(flagValue('--business-seed'));
  if (!Number.isInteger(options.businessSeed) || options.businessSeed < 1) {
    console.error(`--business-seed must be a positive integer, got ${flagValue('--business-seed')}`);
    process.exit(2);
  }
}
const known = new Set(['--json', '--references', ...VALUED]);
const badFlag = args.find((a) => a.startsWith('--') && !known.has(a));
if (badFlag) {
  console.error(`unknown option ${badFlag} (options: ${[...known].join(', ')})`);
  process.exit(2);
}
const named = args.filter((a, i) => !a.startsWith('--') && !VALUED.includes(args[i - 1]));
const progress = (msg) => process.stderr.write(`${msg}\n`);

let references = null;
if (args.includes('--references')) {
  const tools = findReferenceTools();
  if (tools.missing.length) {
    console.error(`--references needs R's forecast package, scikit-learn and statsmodels; missing: ${tools.missing.join(', ')}.`);
    console.error(`Install them with: apt-get install -y ${REFERENCE_PACKAGES.join(' ')}`);
    process.exit(1);
  }
  references = tools;
  progress(`references: ${tools.python} and ${tools.rscript}`);
}

// Every module in eval/suites that exports `suite = { name, run({dataDir, progress, references, options}),
// references: [[path, label, ref]], notes? }` is a suite (notes: lines, or a function of the suite's result giving
// them); the others there are helpers. They are loaded after the options are checked, so a bad option or a missing
// reference fails fast.
const SUITES = {};
for (const file of readdirSync(join(here, 'suites'))
  .filter((f) => f.endsWith('.mjs'))
  .sort()) {
  const mod = await import(pathToFileURL(join(here, 'suites', file)).href);
  if (mod.suite) SUITES[mod.suite.name] = mod.suite;
}

const unknown = named.filter((s) => !SUITES[s]);
if (unknown.length) {
  console.error(`unknown suite ${unknown.join(', ')} (suites: ${Object.keys(SUITES).join(', ')})`);
  process.exit(2);
}
const chosen = named.length ? named : Object.keys(SUITES);

const started = performance.now();
const result = {};
const suiteSeconds = {};
for (const name of chosen) {
  const t0 = performance.now();
  result[name] = await SUITES[name].run({ dataDir, progress, references, options });
  suiteSeconds[name] = (performance.now() - t0) / 1000;
  progress(`${name}: ${suiteSeconds[name].toFixed(1)} s`);
}
const seconds = (performance.now() - started) / 1000;

const get = (obj, path) => path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
const fmt = (v) =>
  typeof v === 'number'
    ? Number.isInteger(v) || Math.abs(v) >= 100
      ? v.toFixed(0)
      : v !== 0 && Math.abs(v) < 1e-3
        ? v.toExponential(1)
        : v.toFixed(3)
    : v === undefined
      ? '— (not run)'
      : String(v);
// One section per suite, each with the machine and date it was measured on; sections of suites not run this
// time are kept as they are.
const file = join(here, 'RESULTS.md');
const sections = {};
if (existsSync(file)) {
  for (const part of readFileSync(file, 'utf8')
    .split(/^(?=## )/m)
    .slice(1))
    sections[part.slice(3, part.indexOf('\n')).trim()] = part.trimEnd();
}
for (const name of chosen) {
  const lines = [`## ${name}`, '', `Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()} in ${suiteSeconds[name].toFixed(1)} s.`, ''];
  lines.push('| figure | measured | reference |', '|---|---|---|');
  for (const [path, label, ref] of SUITES[name].references) lines.push(`| ${label} (\`${name}.${path}\`) | ${fmt(get(result[name], path))} | ${ref} |`);
  const notes = typeof SUITES[name].notes === 'function' ? SUITES[name].notes(result[name], { references: Boolean(references), options }) : SUITES[name].notes;
  if (notes) lines.push('', ...[].concat(notes));
  sections[name] = lines.join('\n');
}
const lines = [
  '# Evaluation results',
  '',
  'Written by `pnpm eval` (eval/run.mjs) from the data in `../shared/data`; rerun it to reproduce. `pnpm eval --references`',
  'also runs the established tools (eval/references: R forecast, statsmodels, scikit-learn) beside ours in the same run.',
  '',
];
for (const name of Object.keys(sections).sort()) lines.push(sections[name], '');
writeFileSync(join(here, 'RESULTS.md'), lines.join('\n'));

if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  for (const name of chosen) {
    console.log(`\n${name}`);
    for (const [path, label, ref] of SUITES[name].references) console.log(`  ${label.padEnd(70)} ${fmt(get(result[name], path)).padStart(8)}   ref ${ref}`);
  }
  console.log(`\nwrote eval/RESULTS.md (${seconds.toFixed(1)} s, ${JSON.stringify(machine())})`);
}
