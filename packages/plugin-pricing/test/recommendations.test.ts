import { addDays, dayRange, HttpProblem } from '@rfid3/core';
import { Rng } from '@rfid3/core/simulator';
import { startTestHost, type TestHost } from '@rfid3/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pricingPlugin, recommendPrice, seasonalIndex, seasonFactor } from '../src/index.js';

/** Two years of daily units out with a yearly cycle peaking at `peakDay` (Poisson counts, seeded). */
function seasonalRows(seed: number, end: string, peakDay: number, amplitude: number, perDay = 20) {
  const rng = new Rng(seed);
  return dayRange(addDays(end, -729), end).map((day) => {
    const doy = (Date.parse(`${day}T00:00:00Z`) - Date.parse(`${day.slice(0, 4)}-01-01T00:00:00Z`)) / 86_400_000 + 1;
    const lambda = perDay * (1 + amplitude * Math.cos((2 * Math.PI * (doy - peakDay)) / 365.25));
    let k = 0;
    for (let p = Math.exp(-lambda), s = p, u = rng.next(); u > s; ) k++, (p *= lambda / k), (s += p);
    return { day, units: k };
  });
}

describe('season', () => {
  const rows = seasonalRows(3, '2026-12-31', 180, 0.5);
  const peak = seasonalIndex(rows, '2026-05-31', 28)!; // June ahead: the peak
  const off = seasonalIndex(rows, '2026-11-30', 28)!; // December ahead: the trough

  it('the seasonal index of the coming period is its months’ demand over the yearly mean', () => {
    expect(peak.from).toBe('2026-06-01');
    expect(peak.to).toBe('2026-06-28');
    // True June mean of 1 + 0.5 cos(2π(d − 180)/365.25) is about 1.48, December's about 0.53.
    expect(peak.index).toBeGreaterThan(1.3);
    expect(off.index).toBeLessThan(0.7);
    expect(seasonalIndex([], '2026-05-31', 28)).toBeNull();
    expect(seasonFactor(peak.index, 0.1, 0.1)).toBeCloseTo(peak.index ** 0.1, 12);
    expect(seasonFactor(100, 0.5, 0.1)).toBe(1.1);
    expect(seasonFactor(0, 0.1, 0.1)).toBe(0.9);
  });

  it('the same class recommends a higher price ahead of its peak than ahead of its trough, within the 20 % cap', () => {
    for (const elasticity of [-0.6, -1.6]) {
      const at = (index: number) =>
        recommendPrice({
          price: 40,
          elasticity,
          elasticitySe: 0.1,
          quantity: 30,
          objective: 'revenue',
          maxChange: 0.2,
          adjustments: [
            { name: 'grade', factor: 1.04 },
            { name: 'season', factor: seasonFactor(index, 0.1, 0.1) },
          ],
        });
      const hi = at(peak.index);
      const lo = at(off.index);
      expect(hi.recommendedPrice).toBeGreaterThan(lo.recommendedPrice);
      for (const r of [hi, lo]) expect(Math.abs(r.recommendedPrice / 40 - 1)).toBeLessThanOrEqual(0.2 + 1e-12);
      expect(hi.drivers.map((d) => d.name)).toEqual(['elasticity', 'grade', 'season']);
    }
  });
});

interface Rec {
  rentalClass: string;
  category: string;
  currentPrice: number;
  recommendedPrice: number | null;
  drivers?: { name: string; value: number; note: string }[];
  decision: { id: number; status: string } | null;
}

describe('recommendations on a simulated business (June ahead)', () => {
  let host: TestHost;
  beforeAll(async () => {
    // Auto-approval only above 0.995 here, so that some price decisions wait for a person.
    host = await startTestHost({ plugins: [pricingPlugin], simulate: { items: 600, days: 420 }, config: { safeguards: { autoApproveAbove: 0.995 } } });
  });
  afterAll(() => host.close());
  const recs = async (q = '') => ((await host.call('GET', `/pricing/recommendations?limit=500${q}`)).body as { recommendations: Rec[] }).recommendations;
  const priceDecisions = () =>
    host.runtime.database.db.selectFrom('automated_decisions').selectAll().where('decision_type', '=', 'price_change').where('model_version', '=', 'pricing.capacity@1').execute();

  it('category=tables means "Tables and Chairs" in both endpoints; unknown or ambiguous terms are a 404 listing the categories', async () => {
    const r = await recs('&category=tables');
    expect(r.length).toBeGreaterThan(0);
    expect(new Set(r.map((x) => x.category))).toEqual(new Set(['Tables and Chairs']));
    const e = (await host.call('GET', '/pricing/elasticity-analysis?category=TABLES')).body as { categories: { group: string }[] };
    expect(e.categories.map((c) => c.group)).toEqual(['Tables and Chairs']);
    for (const url of ['/pricing/recommendations?category=submarines', '/pricing/elasticity-analysis?category=submarines', '/pricing/recommendations?category=e']) {
      const err = await host.call('GET', url).catch((x: unknown) => x);
      expect(err).toBeInstanceOf(HttpProblem);
      expect((err as HttpProblem).status).toBe(404);
      expect((err as HttpProblem).detail).toContain('Tables and Chairs');
    }
  });

  it('the season index of the demand model follows the simulator’s yearly cycle: above 1 where June is the peak, below 1 where it is the trough', async () => {
    const truth = host.simulation!.truth;
    const through = truth.end;
    const r = await recs();
    const byCat = new Map<string, number>();
    for (const x of r) {
      const s = x.drivers?.find((d) => d.name === 'season');
      if (s) byCat.set(x.category, s.value);
    }
    expect(byCat.size).toBeGreaterThan(5);
    let checked = 0;
    const truthOf = new Map<string, number>();
    for (const [cat, factor] of byCat) {
      const { amplitude, peakDay } = truth.categories[cat]!.seasonality;
      const coming = dayRange(addDays(through, 1), addDays(through, 28));
      const trueIndex =
        coming.reduce((s, d) => {
          const doy = (Date.parse(`${d}T00:00:00Z`) - Date.parse(`${d.slice(0, 4)}-01-01T00:00:00Z`)) / 86_400_000 + 1;
          return s + 1 + amplitude * Math.cos((2 * Math.PI * (doy - peakDay)) / 365.25);
        }, 0) / coming.length;
      truthOf.set(cat, trueIndex);
      if (trueIndex > 1.25) expect(factor, cat).toBeGreaterThan(1);
      if (trueIndex < 0.75) expect(factor, cat).toBeLessThan(1);
      if (trueIndex > 1.25 || trueIndex < 0.75) checked++;
    }
    expect(checked).toBeGreaterThan(3);
    // The category with the strongest June peak in truth gets a larger multiplier than the one with the weakest.
    const ranked = [...truthOf].sort((a, b) => a[1] - b[1]);
    expect(byCat.get(ranked.at(-1)![0])!).toBeGreaterThan(byCat.get(ranked[0]![0])!);
  });

  it('ahead of December the same business gets season indices below 1 where December is the trough (above where it is the peak), lower than ahead of June where the truth says so', async () => {
    const winter = await startTestHost({ plugins: [pricingPlugin], simulate: { items: 600, days: 420 }, now: '2026-12-01T12:00:00Z' });
    try {
      const season = (rs: Rec[]) => new Map(rs.flatMap((x) => x.drivers?.filter((d) => d.name === 'season').map((d) => [x.category, d.value] as const) ?? []));
      const dec = season(((await winter.call('GET', '/pricing/recommendations?limit=500')).body as { recommendations: Rec[] }).recommendations);
      const jun = season(await recs());
      expect(dec.size).toBeGreaterThan(5);
      // The simulator's true seasonal index of a category over the 28 days after a date.
      const trueIndex = (cat: string, through: string) => {
        const { amplitude, peakDay } = host.simulation!.truth.categories[cat]!.seasonality;
        const coming = dayRange(addDays(through, 1), addDays(through, 28));
        return (
          coming.reduce((s, d) => {
            const doy = (Date.parse(`${d}T00:00:00Z`) - Date.parse(`${d.slice(0, 4)}-01-01T00:00:00Z`)) / 86_400_000 + 1;
            return s + 1 + amplitude * Math.cos((2 * Math.PI * (doy - peakDay)) / 365.25);
          }, 0) / coming.length
        );
      };
      let compared = 0;
      for (const [cat, f] of dec) {
        const tDec = trueIndex(cat, '2026-11-30');
        if (tDec < 0.75) expect(f, cat).toBeLessThan(1);
        if (tDec > 1.25) expect(f, cat).toBeGreaterThan(1);
        const tJun = trueIndex(cat, host.simulation!.truth.end);
        if (jun.has(cat) && Math.abs(tJun - tDec) > 0.3) {
          expect(Math.sign(jun.get(cat)! - f), cat).toBe(Math.sign(tJun - tDec));
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(5);
    } finally {
      await winter.close();
    }
  });

  it('reading records nothing; proposing twice records one decision per class; a changed recommendation supersedes the open one instead of adding a second', async () => {
    await recs();
    expect(await priceDecisions()).toEqual([]);
    await host.runJob('pricing.propose');
    const first = await recs();
    const changed = first.filter((x) => x.recommendedPrice !== null && x.recommendedPrice !== x.currentPrice);
    expect(changed.length).toBeGreaterThan(0);
    for (const x of changed) expect(Math.abs(x.recommendedPrice! / x.currentPrice - 1)).toBeLessThanOrEqual(0.2 + 1e-9);
    const once = await priceDecisions();
    expect(once.length).toBe(changed.length);
    expect(new Set(once.map((d) => d.target_id)).size).toBe(once.length);
    await host.runJob('pricing.propose');
    const second = await recs();
    expect(second.map((x) => x.decision?.id ?? null)).toEqual(first.map((x) => x.decision?.id ?? null));
    expect((await priceDecisions()).length).toBe(once.length);

    // A competitor at today's price caps a rise at +10 %: the recommendation changes, and the old decision is closed.
    const up = changed.find((x) => x.recommendedPrice! >= x.currentPrice * 1.15 && x.currentPrice >= 5)!;
    expect(up).toBeDefined();
    await host.call('POST', '/pricing/competitor-prices', {
      principal: host.principals.ingest,
      body: { rows: [{ rental_class: up.rentalClass, competitor: 'Acme', price: up.currentPrice, observed_on: '2026-05-20' }] },
    });
    await host.runJob('pricing.propose');
    const third = await recs();
    const now = third.find((x) => x.rentalClass === up.rentalClass)!;
    expect(now.recommendedPrice).toBeLessThan(up.recommendedPrice!);
    expect(now.recommendedPrice).toBeLessThanOrEqual(up.currentPrice * 1.1);
    expect(now.decision!.id).not.toBe(up.decision!.id);
    const old = await host.runtime.decisions.get(up.decision!.id);
    expect(['rejected', 'failed']).toContain(old!.status);
    expect(old!.overrideReason ?? old!.failureReason).toContain(`superseded by decision ${now.decision!.id}`);
    const all = await priceDecisions();
    expect(all.length).toBe(once.length + 1);
    const open = all.filter((d) => d.status === 'pending' || d.status === 'approved');
    expect(new Set(open.map((d) => d.target_id)).size).toBe(open.length);
    // And proposing again after the change records nothing new either.
    await host.runJob('pricing.propose');
    expect((await priceDecisions()).length).toBe(all.length);
  });

  it('a human rejection stands while the recommendation is the same', async () => {
    const r = (await recs()).find((x) => x.decision?.status === 'pending')!;
    expect(r).toBeDefined();
    await host.runtime.decisions.reject(r.decision!.id, { name: 'ops', keyId: 'k-ops', role: 'operate' }, 'not this season');
    const before = (await priceDecisions()).length;
    await host.runJob('pricing.propose');
    const again = (await recs()).find((x) => x.rentalClass === r.rentalClass)!;
    expect(again.recommendedPrice).toBe(r.recommendedPrice);
    expect(again.decision).toBeNull();
    expect((await host.runtime.decisions.get(r.decision!.id))!.status).toBe('rejected');
    expect((await priceDecisions()).length).toBe(before);
  });
});
