import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { addDays } from '@rfid3/core';
import { startTestHost, type TestHost } from '@rfid3/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demandPlugin, demandServices, WEATHER_FORECAST_DAYS } from '../src/index.js';

/** A loopback stand-in for the Open-Meteo API: daily weather for whatever range is asked. */
function stubWeather() {
  const requests: URL[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(url);
    const from = url.searchParams.get('start_date')!;
    const to = url.searchParams.get('end_date')!;
    const time: string[] = [];
    for (let d = from; d <= to; d = addDays(d, 1)) time.push(d);
    const doy = (d: string) => (Date.parse(`${d}T00:00:00Z`) - Date.parse(`${d.slice(0, 4)}-01-01T00:00:00Z`)) / 86_400_000;
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        daily: {
          time,
          temperature_2m_max: time.map((d) => 15 + 12 * Math.sin((2 * Math.PI * (doy(d) - 100)) / 365)),
          temperature_2m_min: time.map((d) => 5 + 10 * Math.sin((2 * Math.PI * (doy(d) - 100)) / 365)),
          precipitation_sum: time.map((d) => (doy(d) % 5 === 0 ? 8 : 0)),
          wind_speed_10m_max: time.map(() => 12),
        },
      }),
    );
  });
  return {
    requests,
    start: () => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('weather in live demand forecasts, only where the provider forecasts every day', { timeout: 240_000 }, () => {
  const stub = stubWeather();
  let host: TestHost;
  let down: TestHost;
  beforeAll(async () => {
    const baseUrl = await stub.start();
    host = await startTestHost({
      plugins: [{ plugin: demandPlugin, config: { matchActualsEveryMinutes: 0, weather: { latitude: 44.98, longitude: -93.27, baseUrl, timeoutMs: 5000, retries: 0 } } }],
      simulate: { items: 300, days: 300 },
    });
    // A provider that refuses connections, with nothing stored: forecasts go on without weather.
    const closed = stubWeather();
    const deadUrl = await closed.start();
    await closed.stop();
    down = await startTestHost({
      plugins: [{ plugin: demandPlugin, config: { matchActualsEveryMinutes: 0, weather: { latitude: 44.98, longitude: -93.27, baseUrl: deadUrl, timeoutMs: 2000, retries: 0 } } }],
      simulate: { items: 200, days: 200 },
    });
  });
  afterAll(async () => {
    await host?.close();
    await down?.close();
    await stub.stop();
  });

  it('uses the forecast weather as regressors for a horizon the provider covers, and stores what it fetched', async () => {
    const { predictions } = await host.predict('demand.daily', { weeks: 2, category: 'tables' });
    expect(predictions).toHaveLength(14);
    for (const p of predictions) {
      expect(p.inputFeatures).toMatchObject({ regressors: ['precip_mm', 'temp_max_c'] });
      // The weather's part is named whenever a regression member is in the ensemble (it reports the trend too).
      expect(p.drivers?.some((d) => d.name === 'weather')).toBe(p.drivers?.some((d) => d.name === 'trend level'));
    }
    // Over every category: the regression members carry the weather, and it moves their forecasts.
    const all = (await host.predict('demand.daily', { weeks: 2 })).predictions;
    const weather = all.flatMap((p) => p.drivers?.filter((d) => d.name === 'weather') ?? []);
    expect(weather.length).toBeGreaterThan(0);
    expect(weather.some((d) => d.effect !== 0)).toBe(true);
    // Asked once, from the history window's first day to the provider's last forecast day.
    const through = host.runtime.get(demandServices.forecaster).dataThrough();
    expect(stub.requests).toHaveLength(1);
    expect(stub.requests[0]!.searchParams.get('end_date')).toBe(addDays(through, WEATHER_FORECAST_DAYS));
    const stored = await host.runtime.database.db
      .selectFrom('external_data_factors')
      .select(['factor_date', 'is_forecast'])
      .where('factor_name', '=', 'temp_max_c')
      .where('factor_date', '>', through)
      .execute();
    expect(stored).toHaveLength(WEATHER_FORECAST_DAYS);
    expect(stored.every((r) => Number(r.is_forecast) === 1)).toBe(true);
  });

  it('forecasts without weather, and without asking the provider, when the horizon goes past the days it forecasts', async () => {
    // A new day (a new data cut-off): 4 weeks ahead is past the provider's 16 forecast days, so it is not asked.
    host.clock.advance({ days: 1 });
    const { predictions } = await host.predict('demand.daily', { weeks: 4, category: 'tables' });
    expect(predictions).toHaveLength(28);
    for (const p of predictions) {
      expect(p.inputFeatures?.regressors).toBeUndefined();
      expect(p.drivers?.some((d) => d.name === 'weather')).toBe(false);
    }
    expect(stub.requests).toHaveLength(1);
  });

  it('forecasts without weather, and without an error, when the provider fails and nothing is stored', async () => {
    const { predictions } = await down.predict('demand.daily', { weeks: 1, category: 'tables' });
    expect(predictions).toHaveLength(7);
    for (const p of predictions) {
      expect(p.inputFeatures?.regressors).toBeUndefined();
      expect(Number.isFinite(p.value)).toBe(true);
    }
  });
});
