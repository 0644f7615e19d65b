import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { ExternalFactorStore, FakeClock, FactorFetchError, fetchFactors, openMeteoProvider } from '../src/index.js';
import { externalServices } from '../src/testing/index.js';
import { databaseTargets, describeEach, useMigratedDatabase } from './support/targets.js';

const services = await externalServices();
afterAll(() => services.cleanup());

/** A loopback stand-in for the Open-Meteo API whose next answers a test scripts: a status, a delay, or a body. */
function stubServer() {
  const script: ('500' | 'hang' | 'ok')[] = [];
  const requests: URL[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(url);
    const step = script.shift() ?? 'ok';
    if (step === '500') {
      res.writeHead(500).end('upstream down');
      return;
    }
    if (step === 'hang') return; // never answers: the caller's timeout must end it
    const from = url.searchParams.get('start_date')!;
    const to = url.searchParams.get('end_date')!;
    const time: string[] = [];
    for (let d = from; d <= to; d = new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)) time.push(d);
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        daily: {
          time,
          temperature_2m_max: time.map((_, i) => 20 + i),
          temperature_2m_min: time.map((_, i) => 10 + i),
          precipitation_sum: time.map((_, i) => (i === 1 ? null : i * 0.5)),
          wind_speed_10m_max: time.map(() => 12),
        },
      }),
    );
  });
  return {
    script,
    requests,
    start: () => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    closeAll: () => server.closeAllConnections(),
  };
}

describeEach(databaseTargets(services), 'external factors through a provider with timeout, retries and a cached fallback', (target) => {
  const db = useMigratedDatabase(target.url, ['external_data_factors']);
  const stub = stubServer();
  let baseUrl = '';
  let store: ExternalFactorStore;
  beforeAll(async () => {
    baseUrl = await stub.start();
  });
  afterAll(async () => {
    stub.closeAll();
    await stub.stop();
  });
  beforeEach(() => {
    store = new ExternalFactorStore(db.handle, new FakeClock('2026-06-01T08:00:00Z'));
    stub.script.length = 0;
    stub.requests.length = 0;
  });
  const provider = () => openMeteoProvider({ latitude: 44.98, longitude: -93.27, baseUrl, today: () => '2026-06-01' });
  const range = { from: '2026-05-31', to: '2026-06-03', location: '8101' };

  it('reads daily weather, marks days after today as forecasts, and stores it in external_data_factors', async () => {
    const got = await fetchFactors(provider(), store, range, { timeoutMs: 2000 });
    expect(got.from).toBe('live');
    expect(got.attempts).toBe(1);
    expect(stub.requests[0]!.pathname).toBe('/v1/forecast');
    expect(stub.requests[0]!.searchParams.get('latitude')).toBe('44.98');
    const tmax = got.factors.filter((f) => f.factorName === 'temp_max_c');
    expect(tmax.map((f) => [f.date, f.value, f.isForecast])).toEqual([
      ['2026-05-31', 20, false],
      ['2026-06-01', 21, false],
      ['2026-06-02', 22, true],
      ['2026-06-03', 23, true],
    ]);
    // A missing value is stored as null, not as 0.
    expect(got.factors.find((f) => f.factorName === 'precip_mm' && f.date === '2026-06-01')!.value).toBeNull();
    const stored = await store.get({ factorType: 'weather', from: range.from, to: range.to, location: '8101' });
    expect(stored).toHaveLength(16);
  });

  it('retries after server errors with backoff and succeeds on the third attempt', async () => {
    stub.script.push('500', '500', 'ok');
    const got = await fetchFactors(provider(), store, range, { timeoutMs: 2000, retries: 2, backoffMs: 10 });
    expect(got.from).toBe('live');
    expect(got.attempts).toBe(3);
    expect(stub.requests).toHaveLength(3);
  });

  it('falls back to the stored values when every attempt times out, and says why', async () => {
    await fetchFactors(provider(), store, range, { timeoutMs: 2000 });
    stub.script.push('hang', 'hang');
    const started = Date.now();
    const got = await fetchFactors(provider(), store, range, { timeoutMs: 150, retries: 1, backoffMs: 10 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(got.from).toBe('cache');
    expect(got.attempts).toBe(2);
    expect(got.error).toContain('timed out after 150 ms');
    expect(got.factors).toHaveLength(16);
  });

  it('throws, naming the provider and the range, when it fails and nothing is cached', async () => {
    stub.script.push('500', '500');
    const err = await fetchFactors(provider(), store, { ...range, location: 'nowhere' }, { timeoutMs: 1000, retries: 1, backoffMs: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FactorFetchError);
    expect((err as Error).message).toMatch(/open-meteo failed 2 time\(s\) and nothing is cached for nowhere 2026-05-31\.\.2026-06-03: open-meteo answered 500/);
  });
});
