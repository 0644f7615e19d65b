// Interval calibration of the served demand forecasts on daily counts: each business is simulated as `pnpm rfid3
// demo` simulates it, the demand plugin is retrained and replays its past forecasts (the `demand.backfill` job: each
// origin fitted only on data through it), and the figures are what `GET /api/predictive/demand/accuracy` answers
// per week of horizon: 80 % coverage, mean width of the 80 % range and its interval score.
import { addDays, DEFAULT_CLOSED_HOLIDAYS, isoDay } from '@rfid3/core';
import { startTestHost } from '@rfid3/core/testing';
import { demandPlugin } from '@rfid3/plugin-demand';

/**
 * Seeds the choice of `intervals: 'counts'` (negative binomial) over `conformal` and of its form was made on; the
 * reported businesses below use none of them. Seed 11 ends in May, so its replay is in the rising season.
 */
export const BUILD_BUSINESSES = [
  { name: 'build seed 7 (ends yesterday)', seed: 7 },
  { name: 'build seed 11 (ends 15 May: rising season)', seed: 11, end: '2026-05-15' },
];

/** The reported businesses: the demo's (seed 42, ends yesterday, as `pnpm rfid3 demo`), and two held out from building. */
export const REPORTED_BUSINESSES = [
  { name: 'demo (seed 42, ends yesterday)', key: 'demo', seed: 42 },
  { name: 'held-out seed 1001 (ends 30 Sep: falling season)', key: 'seed1001', seed: 1001, end: '2026-09-30' },
  { name: 'held-out seed 2024 (ends 31 May: rising season)', key: 'seed2024', seed: 2024, end: '2026-05-31' },
];

/** Simulates one business, trains the demand model on it, replays its past forecasts and reads their accuracy per week ahead. */
export async function replayBusiness({ seed, end, items = 1500, days = 730, intervals = 'counts', progress = () => {} }) {
  const last = end ?? addDays(isoDay(new Date()), -1);
  const t0 = performance.now();
  const host = await startTestHost({
    now: `${addDays(last, 1)}T12:00:00Z`,
    simulate: { seed, items, days, end: last, packComponents: true, closedHolidays: DEFAULT_CLOSED_HOLIDAYS },
    plugins: [{ plugin: demandPlugin, config: { matchActualsEveryMinutes: 0, intervals } }],
  });
  try {
    progress(`demand-counts: seed ${seed} through ${last}: retrain`);
    await host.runJob('demand.retrain');
    progress(`demand-counts: seed ${seed}: replaying past forecasts`);
    await host.runJob('demand.backfill');
    const res = await host.call('GET', '/demand/accuracy');
    if (res.status !== 200) throw new Error(`accuracy answered ${res.status}`);
    const body = res.body;
    const r3 = (x) => (x === null ? null : Math.round(x * 1000) / 1000);
    const weeks = body.byHorizonWeek.map((w) => ({
      week: w.week,
      n: w.n,
      coverage80: r3(w.coverage),
      meanWidth80: r3(w.meanWidth),
      intervalScore80: r3(w.intervalScore),
      mae: r3(w.mae),
    }));
    const m = body.byModel[0];
    // Which side the misses fall on: a range that is off-centre misses mostly on one side.
    const rows = await host.runtime.database.db
      .selectFrom('analytics_predictions')
      .select(['actual_value as y', 'lower_bound as lo', 'upper_bound as hi'])
      .where('prediction_type', '=', 'demand.units_out')
      .where('actual_value', 'is not', null)
      .execute();
    const share = (f) => (rows.length ? r3(rows.filter(f).length / rows.length) : null);
    return {
      seed,
      through: last,
      intervals,
      matched: body.matched,
      coverage80: r3(m?.coverage ?? null),
      meanWidth80: r3(m?.meanWidth ?? null),
      intervalScore80: r3(m?.intervalScore ?? null),
      mae: r3(m?.mae ?? null),
      belowRange: share((r) => Number(r.y) < Number(r.lo)),
      aboveRange: share((r) => Number(r.y) > Number(r.hi)),
      weeks,
      minWeekCoverage: Math.min(...weeks.map((w) => w.coverage80)),
      maxWeekCoverage: Math.max(...weeks.map((w) => w.coverage80)),
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    };
  } finally {
    await host.close();
  }
}

export const suite = {
  name: 'demand-counts',
  async run({ progress, options }) {
    const out = {};
    const businesses = options.businessSeed ? [{ key: `seed${options.businessSeed}`, seed: options.businessSeed }] : REPORTED_BUSINESSES;
    for (const b of businesses) out[b.key] = await replayBusiness({ ...b, progress });
    // The ranges the plugin served before (`intervals: 'conformal'`) on the first business, for comparison.
    out.conformal = await replayBusiness({ ...businesses[0], intervals: 'conformal', progress });
    out.buildSeeds = BUILD_BUSINESSES.map((b) => b.seed);
    return out;
  },
  references: [
    ['conformal.coverage80', "demo with `intervals: 'conformal'` (the earlier ranges): 80 % coverage", 'the old ranges, for comparison'],
    ['conformal.meanWidth80', "demo with `intervals: 'conformal'`: mean width of the 80 % range", '—'],
    ['conformal.intervalScore80', "demo with `intervals: 'conformal'`: 80 % interval score", '—'],
    ...REPORTED_BUSINESSES.flatMap((b) => [
      [`${b.key}.minWeekCoverage`, `${b.name}: lowest 80 % coverage of the 4 weeks ahead`, 'target 0.75–0.85'],
      [`${b.key}.maxWeekCoverage`, `${b.name}: highest 80 % coverage of the 4 weeks ahead`, 'target 0.75–0.85'],
      [`${b.key}.meanWidth80`, `${b.name}: mean width of the 80 % range (units)`, 'as narrow as coverage allows'],
      [`${b.key}.intervalScore80`, `${b.name}: 80 % interval score (lower is better)`, '—'],
    ]),
  ],
  notes: (r) => [
    'Each business is simulated as `pnpm rfid3 demo` does (1,500 items, 730 days, packs with components, closed on Thanksgiving,',
    'Christmas and New Year), the demand model retrained, and 8 weekly origins replayed 4 weeks ahead with data only through each',
    "origin; the figures are `GET /api/predictive/demand/accuracy`'s `byHorizonWeek`. Per week ahead:",
    '',
    '| business | week | n | 80 % coverage | mean width | interval score | MAE |',
    '|---|---|---|---|---|---|---|',
    ...REPORTED_BUSINESSES.flatMap((b) =>
      (r?.[b.key]?.weeks ?? []).map((w) => `| ${b.name} | ${w.week} | ${w.n} | ${w.coverage80} | ${w.meanWidth80} | ${w.intervalScore80} | ${w.mae} |`),
    ),
    '',
    `Misses below / above the range on the demo: ${r?.demo?.belowRange} / ${r?.demo?.aboveRange}.`,
    `The kind of range and its form (negative binomial over conformal; the range nearest 80 % over the central one; inner forecasts weighted with a 3-week half-life (21 days; 42 was tried first and scored worse on both build seeds); no week ahead more certain than the one before) were chosen on seeds ${BUILD_BUSINESSES.map((b) => b.seed).join(' and ')} only (eval/suites/demand-counts.mjs, BUILD_BUSINESSES).`,
    '',
    '### Chosen on these folds',
    '',
    "The demo (seed 42) is a reported business, but its week-4 coverage (0.747, then 0.745) had been seen before the last two choices were made: the 21-day half-life and no week ahead more certain than the one before. Each was adopted on the build seeds' figures (seed 7 / 11, coverage / interval score: half-life 42 days 0.794 / 21.49 and 0.828 / 29.50; 21 days 0.794 / 21.42 and 0.817 / 29.17; with the week rule 0.800 / 21.36 and 0.821 / 29.22), so the demo row is not a blind test; seeds 1001 and 2024 are.",
  ],
};
