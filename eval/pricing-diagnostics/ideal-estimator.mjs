// SEED=101 nice node eval/pricing-diagnostics/ideal-estimator.mjs (tuning businesses only).
// The estimator given the true uncensored demand: daily contract lines replayed with no capacity bound at the
// history's own prices, fitted by the same Poisson model (censoring off: nothing is censored).
import { coreMigrations, createDatabase, migrate, dayRange } from '@rfid3/core';
import { simulate, replayClass } from '@rfid3/core/simulator';
import { fitCensoredElasticity } from '@rfid3/plugin-pricing';
const seed = Number(process.env.SEED ?? 101);
const db = createDatabase('sqlite::memory:');
await migrate(db, 'core', coreMigrations);
const { truth } = await simulate(db, { seed, items: 1000, days: 730, end: '2025-12-31' });
await db.close();
const days = dayRange(truth.start, truth.end);
const BIG = new Map(truth.classes.map((c) => [c.rentalClass, 1e7]));
const byCat = new Map();
for (const c of truth.classes) {
  const prices = Float64Array.from(days.map((d) => [...c.prices].reverse().find((p) => p.from <= d).price));
  const counts = new Float64Array(days.length);
  for (let d = 0; d < days.length; d++) counts[d] = replayClass(truth, c.rentalClass, [prices[d]], { from: days[d], days: 1, blockDays: 1, seed: 99, capacity: BIG }).lines;
  (byCat.get(c.category) ?? byCat.set(c.category, []).get(c.category)).push({
    rentalClass: c.rentalClass,
    days,
    counts,
    prices,
    censored: new Uint8Array(days.length),
    el: c.elasticity,
  });
}
const rows = {};
for (const [cat, ss] of byCat) {
  const f = fitCensoredElasticity(ss, { censoring: false });
  rows[cat] = {
    truth: +(ss.reduce((s, x) => s + x.el, 0) / ss.length).toFixed(2),
    ideal: +f.elasticity.toFixed(2),
    se: +f.se.toFixed(2),
    linesPerDay: +(ss.reduce((s, x) => s + x.counts.reduce((a, b) => a + b, 0), 0) / days.length).toFixed(2),
  };
}
console.log('seed', seed);
console.table(rows);
