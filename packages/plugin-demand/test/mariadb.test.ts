import { addDays } from '@rfid3/core';
import { externalServices, startTestHost, type ExternalServices, type TestHost } from '@rfid3/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demandPlugin, demandServices, loadOnRentSeries, ON_RENT_LOOKBACK_DAYS } from '../src/index.js';

const services: ExternalServices = await externalServices();

describe.skipIf(!services.mysqlUrl)('demand plumbing on MariaDB (MYSQL_URL)', { timeout: 300_000 }, () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startTestHost({
      plugins: [{ plugin: demandPlugin, config: { matchActualsEveryMinutes: 0 } }],
      config: { databaseUrl: services.mysqlUrl! },
      simulate: { items: 300, days: 300 },
    });
  });
  afterAll(async () => {
    await host?.close();
    await services.cleanup();
  });

  it('reconciles rental classes to their category, and matches units-on-rent forecasts with the units on rent', async () => {
    const { predictions } = await host.predict('demand.daily', { weeks: 1, category: 'tables', byClass: true });
    const total = predictions.filter((p) => p.target.type === 'category');
    const parts = predictions.filter((p) => p.target.type === 'rental_class');
    expect(total).toHaveLength(7);
    expect(parts.length).toBeGreaterThanOrEqual(14);
    for (const t of total) {
      const sum = parts.filter((p) => p.targetDate === t.targetDate).reduce((s, p) => s + p.value, 0);
      expect(Math.abs(sum - t.value)).toBeLessThan(1e-6);
    }

    const forecaster = host.runtime.get(demandServices.forecaster);
    const through = forecaster.dataThrough();
    const origin = addDays(through, -10);
    const preds = await forecaster.forecast({ weeks: 1, category: 'tables', measure: 'on_rent' }, origin);
    host.runtime.predictionStore.record(preds, new Date(`${addDays(origin, 1)}T06:00:00Z`));
    const body = (await host.call('GET', '/demand/accuracy')).body as { onRent: { matched: number; byModel: { mae: number }[] } };
    expect(body.onRent.matched).toBe(7);
    const category = preds[0]!.target.id;
    const [series] = await loadOnRentSeries(host.runtime.database, host.runtime.inventory, {
      level: 'category',
      category,
      from: addDays(origin, 1 - ON_RENT_LOOKBACK_DAYS),
      to: through,
    });
    const onRent = new Map(series!.days.map((d, i) => [d, series!.values[i]!]));
    const mae = preds.reduce((s, p) => s + Math.abs(onRent.get(p.targetDate!)! - p.value), 0) / preds.length;
    expect(body.onRent.byModel[0]!.mae).toBeCloseTo(mae, 6);
  });
});
