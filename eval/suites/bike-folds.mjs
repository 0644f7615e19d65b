// The bike folds split in two: the first folds choose, the later folds report. Every choice of the demand model that
// was looked at on these folds is run again here with its alternatives, so RESULTS.md can show both figures, and a
// new choice is made on the choosing folds alone and scored on the reporting folds.
import { rollingOriginBacktest } from '@rfid3/core';
import { createDemandModel, DEFAULT_DEMAND_SPEC } from '@rfid3/plugin-demand';

export const BIKE_PROTOCOL = { initial: 365, step: 28, horizon: 28 };
/** Folds whose origin is before this row choose (origins 2012-01-01 … 2012-05-20, test days to 2012-06-16: 6 folds); the rest (7 folds, 2012-06-17 on) report. */
export const FIRST_REPORTING_ORIGIN = 533;

const absErrors = (points) => points.map((p) => Math.abs(p.actual - p.mean));
const meanOf = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Seasonal naive (the last week repeated) on the same folds: the denominator of every ratio. */
export function seasonalNaivePoints(values, { initial, step, horizon }) {
  const points = [];
  for (let origin = initial; origin + horizon <= values.length; origin += step) {
    for (let h = 1; h <= horizon; h++) points.push({ origin, h, actual: values[origin + h - 1], mean: values[origin - 7 + ((h - 1) % 7)] });
  }
  return points;
}

/** MAE ÷ seasonal naive's, and 80 % coverage where the points carry an interval, on all folds and on each half. */
export function foldScores(points, naivePoints) {
  const part = (keep) => {
    const p = points.filter((x) => keep(x.origin));
    const n = naivePoints.filter((x) => keep(x.origin));
    const iv = p.filter((x) => Number.isFinite(x.lower));
    return {
      maeRatio: meanOf(absErrors(p)) / meanOf(absErrors(n)),
      mae: meanOf(absErrors(p)),
      coverage80: iv.length ? iv.filter((x) => x.actual >= x.lower && x.actual <= x.upper).length / iv.length : null,
      folds: new Set(p.map((x) => x.origin)).size,
    };
  };
  return {
    ...part(() => true),
    choosingFolds: part((o) => o < FIRST_REPORTING_ORIGIN),
    reportingFolds: part((o) => o >= FIRST_REPORTING_ORIGIN),
  };
}

/** Our model's points on the folds, the 80 % interval flattened onto each point. */
export function demandPoints(series, spec) {
  const run = rollingOriginBacktest(series, createDemandModel(spec, BIKE_PROTOCOL.horizon, { nonNegative: false }), { ...BIKE_PROTOCOL, levels: spec.levels });
  return run.points.map((p) => {
    const iv = p.intervals.find((x) => Math.abs(x.level - 0.8) < 1e-9);
    return { origin: p.origin, h: p.h, actual: p.actual, mean: p.mean, lower: iv?.lower, upper: iv?.upper };
  });
}

/** A reference tool's folds (from eval/references) as points on the same series. */
export function referencePoints(values, folds) {
  return folds.flatMap((f) => f.mean.map((mean, k) => ({ origin: f.origin, h: k + 1, actual: values[f.origin + k], mean, lower: f.lower?.[k], upper: f.upper?.[k] })));
}

/**
 * Each choice made on these folds while building the demand model, with the alternatives that were looked at (the
 * first entry is the default). `why` says where the default came from.
 */
export const BIKE_CHOICES = [
  {
    choice: 'softmax temperature of the ensemble weights',
    why: 'chosen looking at all 13 bike folds',
    options: [
      ['0.3 (default)', {}],
      ['0.1', { weighting: { softmax: 0.1 } }],
      ['1', { weighting: { softmax: 1 } }],
    ],
  },
  {
    choice: 'recency-weighted regression member (half-life 120 days, no yearly terms)',
    why: 'kept because the weather folds gained from it',
    options: [
      ['with it (default)', {}],
      ['without it', { members: DEFAULT_DEMAND_SPEC.members.filter((m) => m !== 'regression-local') }],
    ],
  },
  {
    choice: 'US holiday window (days before, after)',
    why: 'no stated source; looked at on these folds',
    options: [
      ['[-3, 1] (default)', {}],
      ['[0, 0]', { holidayWindow: [0, 0] }],
    ],
  },
  {
    choice: 'regressions fitted toward least absolute deviations',
    why: 'adopted on principle, then checked on these folds',
    options: [
      ['least absolute deviations (default)', {}],
      ['least squares', { regression: { robustIterations: 0 } }],
    ],
  },
  {
    choice: 'seasonal ARIMA member (0,1,1)(0,1,1)7',
    why: 'tried on these folds and left out',
    options: [
      ['without it (default)', {}],
      ['with it', { members: [...DEFAULT_DEMAND_SPEC.members, 'arima'] }],
    ],
  },
];

/**
 * Runs every option of every choice on both bike series. Each choice is then made again on the choosing folds alone
 * (lowest sum of the two series' ratios there), the options picked are combined into one spec, and that spec's
 * reporting-fold figures stand beside the default's.
 */
export function bikeChoices({ plain, weather, naive, defaultScores, progress }) {
  const choices = BIKE_CHOICES.map((c) => {
    const options = c.options.map(([name, change], i) => {
      if (i === 0) return { name, change, noRegressors: defaultScores.noRegressors, weather: defaultScores.weather };
      progress(`demand: bike choice "${c.choice}": ${name}`);
      const spec = { ...DEFAULT_DEMAND_SPEC, ...change };
      return { name, change, noRegressors: foldScores(demandPoints(plain, spec), naive), weather: foldScores(demandPoints(weather, spec), naive) };
    });
    const choosing = (o) => o.noRegressors.choosingFolds.maeRatio + o.weather.choosingFolds.maeRatio;
    const picked = options.reduce((a, b) => (choosing(b) < choosing(a) ? b : a));
    return { choice: c.choice, why: c.why, pickedOnChoosingFolds: picked.name, options: options.map(({ change, ...o }) => o), _picked: picked.change };
  });
  const change = Object.assign({}, ...choices.map((c) => c._picked));
  // Members may be changed by two choices (recency member out, ARIMA in): combine them.
  const memberChanges = choices.map((c) => c._picked.members).filter(Boolean);
  if (memberChanges.length > 1) {
    const out = new Set(DEFAULT_DEMAND_SPEC.members.filter((m) => memberChanges.some((ms) => !ms.includes(m))));
    const added = memberChanges.flatMap((ms) => ms.filter((m) => !DEFAULT_DEMAND_SPEC.members.includes(m)));
    change.members = [...DEFAULT_DEMAND_SPEC.members.filter((m) => !out.has(m)), ...new Set(added)];
  }
  let chosen = { noRegressors: defaultScores.noRegressors, weather: defaultScores.weather };
  const sameAsDefault = Object.keys(change).length === 0;
  if (!sameAsDefault) {
    progress('demand: bike, the spec chosen on the choosing folds');
    const spec = { ...DEFAULT_DEMAND_SPEC, ...change };
    chosen = { noRegressors: foldScores(demandPoints(plain, spec), naive), weather: foldScores(demandPoints(weather, spec), naive) };
  }
  return {
    choices: choices.map(({ _picked, ...c }) => c),
    chosenOnChoosingFolds: { sameAsDefault, change, ...chosen },
  };
}
