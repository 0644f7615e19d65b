// The established tools run beside ours in the same `pnpm eval --references` run: R's forecast package (ets,
// auto.arima, stlf), statsmodels (damped Holt-Winters, OLS) and scikit-learn (random forest), from Debian's packages.
// Each script reads JSON on stdin and writes JSON on stdout; the scoring is done here, with the same code as ours.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** What `apt-get install` brings the references in with (Debian 12). */
export const REFERENCE_PACKAGES = ['python3-sklearn', 'python3-statsmodels', 'r-cran-forecast', 'r-cran-jsonlite'];

const works = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return r.status === 0;
};

/**
 * The interpreters that have the reference libraries, or what is missing. Debian's packages install into the
 * system Python, which another `python3` on the PATH (pyenv, a virtualenv) does not see: RFID3_PYTHON names one,
 * else `python3` and then the system's are tried.
 */
export function findReferenceTools(env = process.env) {
  const pythons = [env.RFID3_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean);
  const python = pythons.find((p) => works(p, ['-c', 'import sklearn, statsmodels, pandas']));
  const rscript = env.RFID3_RSCRIPT || 'Rscript';
  const hasR = works(rscript, ['-e', 'suppressPackageStartupMessages({library(forecast); library(jsonlite)})']);
  const missing = [];
  if (!python) missing.push('python3-sklearn', 'python3-statsmodels');
  if (!hasR) missing.push('r-cran-forecast', 'r-cran-jsonlite');
  return { python, rscript: hasR ? rscript : undefined, missing };
}

function run(cmd, script, input) {
  const r = spawnSync(cmd, [join(here, script)], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  return JSON.parse(r.stdout);
}

/**
 * Forecasts of R forecast's ets, auto.arima and stlf and statsmodels' damped Holt-Winters on a series' folds:
 * per tool, per origin, the point forecast (and R's 80 % interval), with the seconds each tool took.
 */
export function bikeReferenceForecasts(tools, { values, origins, horizon, frequency = 7 }) {
  const input = { values, origins, horizon, frequency, level: 80 };
  const r = run(tools.rscript, 'bike_forecast.R', input);
  const py = run(tools.python, 'bike_holt_winters.py', input);
  // auto.arima is named autoArima in the JSON: result paths are dotted.
  const { 'auto.arima': autoArima, ...rest } = r.methods;
  return { versions: { forecast: r.version, statsmodels: py.version }, methods: { ...rest, autoArima, ...py.methods } };
}

/** scikit-learn's RandomForestClassifier (100 trees, defaults) on AI4I, per seed: F1, PR-AUC, ROC-AUC, training ms. */
export function ai4iReference(tools, { file, target, drop, holdoutLast, seeds }) {
  return run(tools.python, 'ai4i_random_forest.py', { file, target, drop, holdoutLast, seeds });
}

/** statsmodels OLS for the cafe (per SELL_ID) and avocado (per type, region and year effects) elasticities. */
export function olsElasticities(tools, { cafe, avocado }) {
  return run(tools.python, 'ols_elasticities.py', { cafe, avocado });
}
