import type { Logger } from '../observability/logger.js';
import type { ExternalFactor, ExternalFactorProvider, ExternalFactorStore } from './external-factors.js';

/** How hard to try a factor provider: timeout, retries and backoff. */
export interface FetchFactorsOptions {
  /** Per attempt; the default is 30 s. */
  timeoutMs?: number;
  /** Attempts after the first; the default is 2. */
  retries?: number;
  /** Wait before retry k is backoffMs · 2^(k−1); the default is 500 ms. */
  backoffMs?: number;
  logger?: Logger;
}

/** Factors fetched from a provider, or from the store when the provider failed. */
export interface FetchedFactors {
  factors: ExternalFactor[];
  /** `live` when the provider answered (and the answer was stored), `cache` when stored values stood in. */
  from: 'live' | 'cache';
  attempts: number;
  /** Why the provider failed, when the cache answered. */
  error?: string;
}

/** A provider that failed every attempt with no stored values to stand in. */
export class FactorFetchError extends Error {
  override name = 'FactorFetchError';
}

/** Rejects after `ms`, aborting the provider's request through the signal it was given. */
async function withTimeout<T>(ms: number, run: (signal: AbortSignal) => Promise<T>, what: string): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new FactorFetchError(`${what} timed out after ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([run(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Fetches external factors through a provider with a timeout per attempt and retries with exponential
 * backoff; a successful answer is written to `external_data_factors`, and when every attempt fails the
 * stored values for the same range stand in (the cached fallback). Throws only when there is neither.
 * (A dozen lines of retry loop rather than p-retry: the attempt needs its own abort signal and the
 * fallback needs the last error, which is all p-retry would add.)
 */
export async function fetchFactors(
  provider: ExternalFactorProvider,
  store: ExternalFactorStore,
  range: { from: string; to: string; location: string },
  options: FetchFactorsOptions = {},
): Promise<FetchedFactors> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const retries = options.retries ?? 2;
  const backoffMs = options.backoffMs ?? 500;
  let lastError = '';
  let attempts = 0;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, backoffMs * 2 ** (attempt - 1)));
    attempts++;
    try {
      const factors = await withTimeout(timeoutMs, (signal) => provider.fetch({ ...range, signal }), `provider ${provider.id}`);
      await store.put(factors);
      return { factors, from: 'live', attempts };
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
      options.logger?.warn({ provider: provider.id, attempt: attempt + 1, err: lastError }, 'external factor provider failed');
    }
  }
  const cached = (await Promise.all(provider.factorTypes.map((factorType) => store.get({ factorType, from: range.from, to: range.to, location: range.location })))).flat();
  if (cached.length === 0)
    throw new FactorFetchError(`provider ${provider.id} failed ${attempts} time(s) and nothing is cached for ${range.location} ${range.from}..${range.to}: ${lastError}`);
  return { factors: cached, from: 'cache', attempts, error: lastError };
}

/** Where the Open-Meteo provider asks for weather. */
export interface OpenMeteoOptions {
  latitude: number;
  longitude: number;
  /** The API's base URL (default https://api.open-meteo.com); tests point it at a loopback stub. */
  baseUrl?: string;
  /** Today, to tell forecasts (after it) from observed days; default from the system clock. */
  today?: () => string;
}

const OPEN_METEO_DAILY = {
  temperature_2m_max: 'temp_max_c',
  temperature_2m_min: 'temp_min_c',
  precipitation_sum: 'precip_mm',
  wind_speed_10m_max: 'wind_max_kmh',
} as const;

/**
 * Daily weather from an Open-Meteo style API (`/v1/forecast?latitude&longitude&daily=…&start_date&end_date`,
 * answering `{ daily: { time: [...], temperature_2m_max: [...], … } }`). Days after today are forecasts
 * (usable as forecast inputs); earlier days are observations.
 */
export function openMeteoProvider(options: OpenMeteoOptions): ExternalFactorProvider {
  const base = (options.baseUrl ?? 'https://api.open-meteo.com').replace(/\/$/, '');
  const today = options.today ?? (() => new Date().toISOString().slice(0, 10));
  return {
    id: 'open-meteo',
    factorTypes: ['weather'],
    async fetch(range) {
      const url = new URL(`${base}/v1/forecast`);
      url.searchParams.set('latitude', String(options.latitude));
      url.searchParams.set('longitude', String(options.longitude));
      url.searchParams.set('daily', Object.keys(OPEN_METEO_DAILY).join(','));
      url.searchParams.set('start_date', range.from);
      url.searchParams.set('end_date', range.to);
      url.searchParams.set('timezone', 'UTC');
      const res = await fetch(url, { signal: range.signal });
      if (!res.ok) throw new FactorFetchError(`open-meteo answered ${res.status} ${res.statusText}`);
      const body = (await res.json()) as { daily?: Record<string, unknown[]> };
      const time = body.daily?.time;
      if (!Array.isArray(time)) throw new FactorFetchError('open-meteo answer has no daily.time');
      const now = today();
      const out: ExternalFactor[] = [];
      for (const [field, name] of Object.entries(OPEN_METEO_DAILY)) {
        const values = body.daily?.[field];
        if (!Array.isArray(values)) continue;
        time.forEach((day, i) => {
          const v = values[i];
          out.push({
            factorType: 'weather',
            factorName: name,
            date: String(day),
            location: range.location,
            value: typeof v === 'number' && Number.isFinite(v) ? v : null,
            source: 'open-meteo',
            isForecast: String(day) > now,
          });
        });
      }
      return out;
    },
  };
}
