// Step-1 diagnostics of issue 12 (pricing), on the tuning businesses only: SEEDS=101,202,303 nice node eval/pricing-diagnostics/ceiling.mjs
// prints per category the price variation (classes whose price changed, mean sd of log price over the history),
// the true mean class elasticity, the 28-day OLS, the censored and the OLS-on-true-uncensored-demand estimates, then the
// share of the oracle's gain of the capacity policy with each: capacityOls and capacity = the eval's capacity and
// capacityCensored, uncensored, the true category mean (se 0.15), the true class elasticity (se 0.02).
// Step 1 diagnostics on the tuning seeds (101, 202, 303): price variation, what an estimator on the true
// uncensored demand achieves, and the policy with true elasticities.
import { coreMigrations, createDatabase, migrate, dayRange } from '@rfid3/core';
import { simulate, replayClass } from '@rfid3/core/simulator';
import { categoryElasticities, classElasticities, censoredElasticities, loadCapacityHistory } from '@rfid3/plugin-pricing';
import { InventoryData } from '@rfid3/core';
import { CAPACITY_SETTING, capacitySchedule, pricingSchedules, replayPolicies } from '../suites/pricing-replay.mjs';

const seeds = (process.env.SEEDS ?? '101,202,303').split(',').map(Number);
const out = [];
for (const seed of seeds) {
  const db = createDatabase('sqlite::memory:');
  await migrate(db, 'core', coreMigrations);
  const sim = await simulate(db, { seed, items: 1000, days: 730, end: '2025-12-31' });
  const truth = sim.truth;
  const fitted = await pricingSchedules(db, truth);
  // price variation per category
  const days = dayRange(truth.start, truth.end);
  const byCat = {};
  for (const c of truth.classes) {
    const k = (byCat[c.category] ??= { classes: 0, changed: 0, sdLogP: [], trueEl: [], units: 0 });
    k.classes++;
    k.units += c.units;
    k.trueEl.push(c.elasticity);
    if (c.prices.length > 1) {
      k.changed++;
      const lp = days.map((d) => Math.log([...c.prices].reverse().find((p) => p.from <= d).price));
      const m = lp.reduce((a, b) => a + b, 0) / lp.length;
      k.sdLogP.push(Math.sqrt(lp.reduce((s, v) => s + (v - m) ** 2, 0) / lp.length));
    }
  }
  // uncensored history by replay with no capacity bound, one price per day
  const BIG = new Map(truth.classes.map((c) => [c.rentalClass, 1e7]));
  const periods = [];
  for (const c of truth.classes) {
    const prices = days.map((d) => [...c.prices].reverse().find((p) => p.from <= d).price);
    for (let k = 0; k * 28 < days.length; k++) {
      const n = Math.min(28, days.length - k * 28);
      const o = replayClass(truth, c.rentalClass, prices.slice(k * 28, k * 28 + n), { from: days[k * 28], days: n, blockDays: 1, seed: 99, capacity: BIG });
      const ps = new Set(prices.slice(k * 28, k * 28 + n));
      if (ps.size !== 1 || o.units <= 0) continue;
      periods.push({ rentalClass: c.rentalClass, category: c.category, periodStart: days[k * 28], price: prices[k * 28], quantity: o.units, revenue: 0 });
    }
  }
  const catsU = categoryElasticities(periods);
  const pooledU = classElasticities(periods, catsU);
  const catsE = new Map(
    categoryElasticities(await (await import('@rfid3/plugin-pricing')).loadPriceHistory(db, new Map(truth.classes.map((c) => [c.rentalClass, c.category])))).map((e) => [
      e.group,
      e,
    ]),
  );
  const trueMap = new Map(truth.classes.map((c) => [c.rentalClass, { elasticity: c.elasticity, se: 0.02 }]));
  const trueCat = new Map();
  for (const [cat, k] of Object.entries(byCat)) trueCat.set(cat, k.trueEl.reduce((a, b) => a + b, 0) / k.trueEl.length);
  const trueCatMap = new Map(truth.classes.map((c) => [c.rentalClass, { elasticity: trueCat.get(c.category), se: 0.15 }]));
  const inv = await new InventoryData(db).rentalClasses();
  const t0 = Date.now();
  const cens = censoredElasticities(
    await loadCapacityHistory(
      db,
      inv.map((c) => ({ ...c, price: [...(truth.classes.find((t) => t.rentalClass === c.rentalClass)?.prices ?? [{ price: 1 }])].pop().price })),
      { through: truth.end, days: 730 },
    ),
  );
  console.log('censored fit ms', Date.now() - t0);
  const censCat = new Map(cens.categories.map((e) => [e.group, e]));
  const cat = Object.fromEntries(
    Object.entries(byCat).map(([name, k]) => [
      name,
      {
        classes: k.classes,
        changed: k.changed,
        units: k.units,
        meanSdLogP: +(k.sdLogP.reduce((a, b) => a + b, 0) / Math.max(1, k.sdLogP.length)).toFixed(3),
        trueEl: +trueCat.get(name).toFixed(2),
        est: catsE.get(name) ? `${catsE.get(name).elasticity.toFixed(2)}±${catsE.get(name).se.toFixed(2)}` : null,
        estCensored: censCat.get(name) ? `${censCat.get(name).elasticity.toFixed(2)}±${censCat.get(name).se.toFixed(2)}` : null,
        estUncensored: catsU.find((e) => e.group === name)
          ? `${catsU.find((e) => e.group === name).elasticity.toFixed(2)}±${catsU.find((e) => e.group === name).se.toFixed(2)}`
          : null,
      },
    ]),
  );
  console.table(cat);
  // policies with alternative elasticities
  const schedule = (elMap) =>
    new Map(
      [...fitted.grids.keys()].map((cls) => [
        cls,
        capacitySchedule({
          price: fitted.schedules.today.get(cls)[0],
          elasticity: elMap.get(cls),
          model: fitted.models.get(cls),
          from: fitted.from,
          days: fitted.days,
          blockDays: fitted.blockDays,
          options: CAPACITY_SETTING,
          maxChange: 0.2,
        }),
      ]),
    );
  const extra = { uncensored: schedule(pooledU), trueClass: schedule(trueMap), trueCategory: schedule(trueCatMap) };
  const r = replayPolicies(truth, fitted, { draws: [1, 2] });
  const res = { seed, today: r.totals.today.revenue, oracle: r.totals.oracle.revenue, capacity: r.totals.capacityCensored.revenue, capacityOls: r.totals.capacity.revenue };
  for (const [name, sch] of Object.entries(extra)) {
    let rev = 0,
      losing = 0,
      st = 0;
    for (const cls of sch.keys()) {
      let cr = 0;
      for (const sd of [1, 2]) {
        const o = replayClass(truth, cls, sch.get(cls), { from: fitted.from, days: fitted.days, blockDays: 28, seed: sd, capacity: fitted.capacity });
        cr += o.revenue;
        st += o.stockoutDays;
      }
      rev += cr;
      if (cr < 0.98 * r.perClass.get(cls).today) losing++;
    }
    res[name] = rev;
    res[name + 'Losing'] = losing;
    res[name + 'StockoutAdded'] = st - r.totals.today.stockoutDays;
  }
  const g = res.oracle - res.today;
  console.log(
    JSON.stringify({
      seed,
      oracleGainPct: ((g / res.today) * 100).toFixed(2),
      share: Object.fromEntries(['capacityOls', 'capacity', 'uncensored', 'trueCategory', 'trueClass'].map((k) => [k, +((res[k] - res.today) / g).toFixed(3)])),
      losing: [res.uncensoredLosing, res.trueCategoryLosing, res.trueClassLosing],
      stockAdded: [res.uncensoredStockoutAdded, res.trueCategoryStockoutAdded, res.trueClassStockoutAdded],
    }),
  );
  await db.close();
}
