// Own-price elasticities on the cafe and avocado data (log-log OLS, the README's protocol), and on a simulated
// business whose true elasticities are known.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { coreMigrations, createDatabase, migrate } from '@rfid3/core';
import { simulate } from '@rfid3/core/simulator';
import { olsElasticities } from '../references/index.mjs';
import { categoryElasticities, estimateElasticity, loadPriceHistory, pooledElasticity } from '@rfid3/plugin-pricing';
import { POLICIES, pricingSchedules, replayPolicies, summarise } from './pricing-replay.mjs';

/** Businesses the policies are replayed on: the elasticity business above, and others (seed, items). */
const REPLAY_BUSINESSES = [
  { seed: 11, items: 1000 },
  { seed: 23, items: 1000 },
];
const REPLAY_DRAWS = [1, 2];

/** The two files have no quoted fields. */
function readCsv(file) {
  const [head, ...lines] = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.length > 0);
  const cols = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
}

const pick = (e) => ({ elasticity: e.elasticity, se: e.se, ci95: e.ci95, n: e.n, r2: e.r2 });

async function replayBusiness(database, truth, b) {
  const fitted = await pricingSchedules(database, truth);
  // The category elasticities the policies used, against each category's true mean class elasticity.
  const covered = fitted.categoryEstimates
    .filter((e) => Number.isFinite(e.elasticity))
    .map((e) => {
      const cs = truth.classes.filter((c) => c.category === e.group);
      const t = cs.reduce((s, c) => s + c.elasticity, 0) / cs.length;
      return { covered: e.ci95[0] <= t && t <= e.ci95[1] ? 1 : 0, se: e.se, error: e.elasticity - t };
    });
  return { ...b, moves: fitted.moves, covered, replay: replayPolicies(truth, fitted, { draws: REPLAY_DRAWS }) };
}

export const suite = {
  name: 'pricing',
  async run({ dataDir, progress, references }) {
    const cafeFile = join(dataDir, 'cafe_transaction_store.csv');
    const avocadoFile = join(dataDir, 'avocado.csv');
    for (const f of [cafeFile, avocadoFile]) if (!existsSync(f)) throw new Error(`missing data file ${f}`);
    progress('pricing: cafe, no controls');
    const cafe = estimateElasticity(readCsv(cafeFile).map((r) => ({ price: Number(r.PRICE), quantity: Number(r.QUANTITY), group: r.SELL_ID })));
    progress('pricing: avocado by type, region and year controls');
    const avocado = estimateElasticity(
      readCsv(avocadoFile).map((r) => ({ price: Number(r.AveragePrice), quantity: Number(r.TotalVolume), group: r.type, controls: { region: r.region, year: r.year } })),
      { controls: ['region', 'year'] },
    );
    progress('pricing: simulated business (1,500 items, 730 days), recovery of the true elasticity');
    const database = createDatabase('sqlite::memory:');
    let simulated;
    const replays = [];
    try {
      await migrate(database, 'core', coreMigrations);
      const sim = await simulate(database, { seed: 7, items: 1500, days: 730, end: '2026-05-31' });
      const history = await loadPriceHistory(database, new Map(sim.truth.classes.map((c) => [c.rentalClass, c.category])));
      const categories = categoryElasticities(history);
      const truthOf = (cat) => {
        const cs = sim.truth.classes.filter((c) => c.category === cat && c.prices.length > 1);
        return cs.reduce((s, c) => s + c.elasticity, 0) / cs.length;
      };
      const pooled = pooledElasticity(categories);
      const truth = Object.entries(pooled.weights).reduce((s, [cat, w]) => s + w * truthOf(cat), 0);
      const usable = categories.filter((e) => Number.isFinite(e.elasticity));
      simulated = {
        pooled: { ...pick(pooled), truth, covered: pooled.ci95[0] <= truth && truth <= pooled.ci95[1] ? 1 : 0 },
        categoriesCovered: usable.filter((e) => e.ci95[0] <= truthOf(e.group) && truthOf(e.group) <= e.ci95[1]).length,
        categories: usable.length,
        byCategory: Object.fromEntries(usable.map((e) => [e.group, { ...pick(e), truth: truthOf(e.group) }])),
      };
      progress('pricing: policies replayed on the held-out year after the seed-7 business');
      replays.push(await replayBusiness(database, sim.truth, { seed: 7, items: 1500 }));
    } finally {
      await database.close();
    }
    for (const b of REPLAY_BUSINESSES) {
      progress(`pricing: simulated business seed ${b.seed} (${b.items} items, 730 days), policies replayed on the year after`);
      const db2 = createDatabase('sqlite::memory:');
      try {
        await migrate(db2, 'core', coreMigrations);
        const sim2 = await simulate(db2, { seed: b.seed, items: b.items, days: 730, end: '2025-12-31' });
        replays.push(await replayBusiness(db2, sim2.truth, b));
      } finally {
        await db2.close();
      }
    }
    const policies = {
      ...summarise(replays.map((r) => r.replay)),
      businesses: replays.map((r) => ({
        seed: r.seed,
        items: r.items,
        classes: r.replay.perClass.size,
        moves: r.moves,
        ...Object.fromEntries(POLICIES.map((p) => [p, Math.round(r.replay.totals[p].revenue)])),
      })),
      draws: REPLAY_DRAWS.length,
      estimates: (() => {
        const all = replays.flatMap((r) => r.covered);
        const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
        return {
          categories: all.length,
          covered: all.reduce((s, c) => s + c.covered, 0),
          medianSe: median(all.map((c) => c.se)),
          medianAbsError: median(all.map((c) => Math.abs(c.error))),
        };
      })(),
    };
    const ours = {
      cafe: Object.fromEntries(cafe.map((e) => [e.group, pick(e)])),
      avocado: Object.fromEntries(avocado.map((e) => [e.group, pick(e)])),
    };
    // statsmodels OLS on the same designs, in the same run: the six elasticities and their standard errors.
    let reference;
    if (references) {
      progress('pricing: statsmodels OLS on the cafe and avocado designs');
      const r = olsElasticities(references, { cafe: cafeFile, avocado: avocadoFile });
      const pairs = ['cafe', 'avocado'].flatMap((set) => Object.keys(ours[set]).map((g) => [ours[set][g], r[set][g], `${set}.${g}`]));
      for (const [o, ref, name] of pairs) if (!ref || ref.n !== o.n) throw new Error(`statsmodels and ours fitted ${name} on different rows (${ref?.n} vs ${o.n})`);
      reference = {
        statsmodels: {
          version: r.version,
          cafe: r.cafe,
          avocado: r.avocado,
          maxAbsDiff: Math.max(...pairs.map(([o, ref]) => Math.abs(o.elasticity - ref.elasticity))),
          maxAbsDiffSe: Math.max(...pairs.map(([o, ref]) => Math.abs(o.se - ref.se))),
          elasticities: pairs.length,
        },
      };
    }
    return { ...ours, ...(reference ? { reference } : {}), simulated, policies };
  },
  references: [
    ['cafe.1070.elasticity', 'cafe SELL_ID 1070 (burger), log-log OLS, no controls', 'README −1.22'],
    ['reference.statsmodels.cafe.1070.elasticity', 'statsmodels OLS, same design, same run: cafe 1070', '—'],
    ['cafe.2051.elasticity', 'cafe SELL_ID 2051', 'README −0.93'],
    ['reference.statsmodels.cafe.2051.elasticity', 'statsmodels: cafe 2051', '—'],
    ['cafe.2052.elasticity', 'cafe SELL_ID 2052', 'README −1.25'],
    ['reference.statsmodels.cafe.2052.elasticity', 'statsmodels: cafe 2052', '—'],
    ['cafe.2053.elasticity', 'cafe SELL_ID 2053', 'README −1.32'],
    ['reference.statsmodels.cafe.2053.elasticity', 'statsmodels: cafe 2053', '—'],
    ['avocado.conventional.elasticity', 'avocado conventional, region and year fixed effects', 'published analysis about −1.0'],
    ['reference.statsmodels.avocado.conventional.elasticity', 'statsmodels: avocado conventional', '—'],
    ['avocado.organic.elasticity', 'avocado organic, region and year fixed effects', '—'],
    ['reference.statsmodels.avocado.organic.elasticity', 'statsmodels: avocado organic', '—'],
    ['reference.statsmodels.maxAbsDiff', 'largest absolute difference, ours − statsmodels, over the six elasticities', '≤ 1e-6 target'],
    ['reference.statsmodels.maxAbsDiffSe', 'largest absolute difference over their standard errors', '—'],
    ['simulated.pooled.elasticity', 'simulator: pooled estimate (class and category × 28-day period fixed effects)', 'truth in its 95 % interval'],
    ['simulated.pooled.truth', 'simulator: the true elasticity it estimates (same weights)', 'drawn by the simulator'],
    ['simulated.pooled.se', 'simulator: standard error of the pooled estimate', '—'],
    ['simulated.pooled.covered', 'simulator: truth inside the pooled 95 % interval (1 = yes)', '1'],
    ['policies.today.revenue', "replayed held-out years: revenue at today's prices (all businesses and draws)", '—'],
    ['policies.constantElasticity.revenueChange', "constant-elasticity policy (recommendPrice): revenue vs today's prices", '—'],
    ['policies.capacity.revenueChange', "capacity pricing (recommendCapacityPrice, the eval's setting): revenue vs today's prices", '> constant-elasticity'],
    ['policies.capacityStrict.revenueChange', "capacity pricing at the plugin's default setting (80 % range above zero): revenue vs today's prices", '—'],
    ['policies.oracle.revenueChange', "oracle (true demand, same grid, per 28-day block): revenue vs today's prices", '—'],
    ['policies.capacity.shareOfOracleGain', "capacity pricing: share of the oracle's gain captured", '≥ 0.70'],
    ['policies.capacityStrict.shareOfOracleGain', "capacity pricing, default setting: share of the oracle's gain", '—'],
    ['policies.constantElasticity.shareOfOracleGain', "constant-elasticity policy: share of the oracle's gain", '—'],
    ['policies.capacityCensored.revenueChange', "capacity pricing with the censored daily elasticities, the eval's setting: revenue vs today's prices", '—'],
    ['policies.capacityCensored.shareOfOracleGain', "capacity pricing, censored elasticities: share of the oracle's gain", '—'],
    ['policies.capacityCensored.classesLosingOver2pct', 'capacity pricing, censored elasticities: classes losing > 2 %', '—'],
    ['policies.capacityCensored.stockoutDaysAdded', 'capacity pricing, censored elasticities: stockout days added', '—'],
    ['policies.capacityCensored.revenuePerRentalChange', "capacity pricing, censored elasticities: revenue per rental vs today's prices", '—'],
    ['policies.capacity.classesLosingOver2pct', "capacity pricing: classes losing > 2 % vs today's prices", '0'],
    ['policies.capacityStrict.classesLosingOver2pct', 'capacity pricing, default setting: classes losing > 2 %', '—'],
    ['policies.constantElasticity.classesLosingOver2pct', 'constant-elasticity policy: classes losing > 2 %', '—'],
    ['policies.oracle.classesLosingOver2pct', 'oracle: classes losing > 2 % (replay noise: its prices were chosen on other draws)', '—'],
    ['policies.capacity.stockoutDaysAdded', "capacity pricing: stockout days added vs today's prices", '≤ 0'],
    ['policies.capacityStrict.stockoutDaysAdded', 'capacity pricing, default setting: stockout days added', '—'],
    ['policies.constantElasticity.stockoutDaysAdded', 'constant-elasticity policy: stockout days added', '—'],
    ['policies.capacity.revenuePerRentalChange', "capacity pricing: revenue per rental vs today's prices", 'business target +8 %'],
    ['policies.capacityStrict.revenuePerRentalChange', "capacity pricing, default setting: revenue per rental vs today's prices", '—'],
    ['policies.oracle.revenuePerRentalChange', "oracle: revenue per rental vs today's prices", '—'],
    ['policies.capacityPeak.revenueChange', "peak/off-peak capacity pricing (recommendPeakPrices, Friday and Saturday peak, the eval's setting): revenue vs today's prices", '—'],
    ['policies.capacityPeak.shareOfOracleGain', "peak/off-peak capacity pricing: share of the one-price oracle's gain", '—'],
    ['policies.oraclePeak.revenueChange', "peak/off-peak oracle (true demand, same grid, a peak and an off-peak price per block): revenue vs today's prices", '—'],
    ['policies.capacityPeak.shareOfTieredOracleGain', "peak/off-peak capacity pricing: share of the peak/off-peak oracle's gain", '—'],
    ['policies.capacityPeak.classesLosingOver2pct', 'peak/off-peak capacity pricing: classes losing > 2 %', '—'],
    ['policies.capacityPeak.stockoutDaysAdded', 'peak/off-peak capacity pricing: stockout days added', '—'],
    ['policies.capacityPeak.revenuePerRentalChange', "peak/off-peak capacity pricing: revenue per rental vs today's prices", 'business target +8 %'],
    ['policies.oraclePeak.revenuePerRentalChange', "peak/off-peak oracle: revenue per rental vs today's prices", '—'],
    ['policies.classes', 'classes replayed (over all businesses)', '—'],
    ['policies.estimates.categories', "censored daily-rental elasticities (capacityCensored's): category estimates (all replayed businesses)", '—'],
    ['policies.estimates.covered', "of them, 95 % interval covering the category's true mean class elasticity", '≈ 95 %'],
    ['policies.estimates.medianSe', 'their median standard error', '—'],
    ['policies.estimates.medianAbsError', 'their median absolute error against that truth', '—'],
    ['simulated.categoriesCovered', 'simulator: categories whose 95 % interval covers their truth', `≈ 95 % of ${'`simulated.categories`'}`],
  ],
  notes: [
    "Elasticities are ordinary least squares of log quantity on log price (+ dummy-coded controls) by core's Householder QR.",
    'With `--references`, statsmodels OLS (eval/references/ols_elasticities.py: the formula `lq ~ lp + C(region) + C(year)`,',
    'rows with a non-positive price or quantity left out, as ours) fits the same six designs in the same run; the rows above',
    'and `reference.statsmodels.maxAbsDiff` compare them. No choice here was made on these data.',
    '',
    'Policies (`policies.*`): three simulated businesses (seed 7, 1,500 items, history to 2026-05-31; seeds 11 and 23, 1,000',
    'items, history to 2025-12-31). Each policy is fitted on the 730-day history only and the following 364 days are replayed',
    "(core `replayClass`: the simulator's true demand, weekday, season, trend and true class elasticity, capacity-bound,",
    "rentals of the simulator's sizes and lengths; calendar events, weather and repairs left out), two draws with common",
    "random numbers across policies. today = today's prices; constantElasticity = `recommendPrice` with the category",
    'elasticity of the 28-day OLS above (always at ±20 %); capacity = `recommendCapacityPrice` re-run every 28 days on the',
    'forecast from the history, with class elasticities from the 28-day OLS pooled to the category (`classElasticities`);',
    'capacityCensored = the same with class elasticities from `censoredElasticities` instead (daily contract lines of the',
    '730-day history as Poisson counts with class levels, weekday, month and trend; a day the class sold out enters as',
    'demand ≥ the lines written; category slopes shrunk across categories, class slopes pooled to the category;',
    "`policies.estimates`). On the tuning businesses (seeds 101, 202, 303) it captured 20 %, 28 %, 22 % of the oracle's",
    "gain against the OLS-based policy's 4 %, 91 %, 90 %, so `capacity` stays on the OLS estimates;",
    "at the setting judged here (`CAPACITY_SETTING` in pricing-replay.mjs: P(gain) ≥ 0.8, the low end of the gain's 80 % range",
    "losing at most 1 % of today's revenue over the block, an expected gain of at least $20 and 0.5 % over the block, ≤ 0.5 added",
    "stockout days; the range itself may include zero, and the plugin's `pricing-gain-range` safeguard leaves such a move",
    "to a person); capacityStrict = the same at the plugin's default setting (the 80 % range above zero, no money floor);",
    'oracle = the best price on the same grid per 28-day block under the true demand,',
    'found by replaying each candidate 6 times on other seeds (so it is itself noisy for small classes: see its own losing',
    'classes). A class "loses > 2 %" when its replayed revenue over both draws is below 98 % of today\'s prices\'.',
    'Revenue per rental is revenue ÷ units rented; the business target is +8 %. capacityPeak = `recommendPeakPrices` at the',
    'same setting, with Friday and Saturday as peak weekdays (a line pays the price of the day it starts): each tier priced on',
    "its own days of the block; oraclePeak = the oracle's coordinate search for a peak and an off-peak price per block on the",
    'same grid (best single price, then the best peak price with it held off-peak, then the best off-peak price);',
    'capacityPeak is judged against oraclePeak (`shareOfTieredOracleGain`). The other policies hold one price per class and block.',
    '',
    '### What the history supports (tuning businesses only)',
    '',
    "`eval/pricing-diagnostics/` (seeds 101, 202, 303). About 40 % of classes change price at all, 1–3 times by −20 … +25 %, so a category's mean sd of log price over the 730 days is 0.01–0.13 among the classes that changed (Tent Tops 0.046, 0.054, 0.057). Given the true demand with no capacity bound (the simulator replayed at the history's prices), OLS on 28-day periods has standard errors of 0.3–2.9 per category (up to ±9 where a single class changed price; Tent Tops ±0.99, ±1.76, ±0.80) and a daily Poisson fit of the same demand on seed 101 ±0.22 (Tables and Chairs) to ±1.2 (Tent Tops, Tent Sidewalls, Heaters; ±16.5 for Concession Equipment, one class with a price change): the data cannot tell a category at −0.7 from one at −1.1, which is where the oracle's gain is. With the elasticities given, the same capacity policy captures 101 %, 102 %, 104 % of the oracle's gain (true category mean, se 0.15) and 108 %, 104 %, 109 % (true class elasticity) with 1/0/0 and 0/0/0 classes losing > 2 % and 139–232 fewer stockout days per business; fed the estimates from the true uncensored demand it captures −7 %, 17 %, 11 %. The 70 % bar is a bar on knowing the elasticities, which this history does not hold.",
    '',
    '### Chosen on other businesses',
    '',
    "The setting of `capacity` (P(gain) ≥ 0.8 without the range rule, low end ≥ −1 % of today's revenue, gain ≥ $20) was chosen on three simulated businesses that are not reported: seeds 101, 202 and 303 (1,000 items, history to 2025-12-31, draws 1–2, the same replay, the same oracle), by a scratch script not committed. There, in share of the oracle's gain / classes losing > 2 % (seeds 101, 202, 303): the plugin's strict default 3 % / 2, 65 % / 4, 58 % / 2; P ≥ 0.75 without any bound 22 % / 4, 109 % / 14, 119 % / 10; P ≥ 0.85, low end ≥ −0.5 %, gain ≥ $20: 4 % / 3, 81 % / 0, 71 % / 1; the kept setting 4 % / 3, 91 % / 0, 90 % / 2. Capping the between-class spread of elasticities at 0.3² had one losing class fewer there (and, in one full run of this suite, 21 % of the oracle's gain with 2 losing classes on the reported businesses) but left the demo business with no cut at all, against the issue's demo requirement, so it was not kept. Seed 101 is the hard case: its Tent Tops category elasticity comes out at −1.1 ± 0.4 (truth −0.69), the data cannot tell that a raise pays, and no policy that trusts its estimates moves there. That setting was chosen with the earlier estimator (28-day periods, OLS); it was not re-chosen for the censored estimator. The earlier strict thresholds (P(gain) ≥ 0.8 with the range above zero) had been set while looking at the reported businesses (seeds 7, 11, 23); they stay the plugin's default and are reported as `capacityStrict`.",
  ],
};
