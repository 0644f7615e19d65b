import { createHash } from 'node:crypto';
import type { Clock, ExternalFactor, ExternalFactorProvider, ExternalFactorStore, FetchFactorsOptions, Logger } from '@rfid3/core';
import { addDays, dayRange, fetchFactors } from '@rfid3/core';

/** Days ahead a weather provider is asked for forecasts (Open-Meteo answers up to 16). */
export const WEATHER_FORECAST_DAYS = 16;

/** A weather provider the deployment configured, and which of its factors become regressors. */
export interface WeatherInputs {
  provider: ExternalFactorProvider;
  store: ExternalFactorStore;
  /** The location the factors are stored under (`all`, a store code, a region). */
  location: string;
  /** Factor names used as regressors, e.g. `temp_max_c`, `precip_mm`. */
  factors: string[];
  fetch?: FetchFactorsOptions;
  /** Share of history days that must have a value (the others take the factor's mean); default 0.8. */
  minHistoryShare?: number;
}

/** Regressors aligned with a forecast's history window and its future days. */
export interface WeatherRegressors {
  names: string[];
  /** One value per history day of the window (missing days filled with the factor's mean). */
  history: Record<string, number[]>;
  /** One value per future day, each a forecast made before the day; as many days as the provider forecasts. */
  future: Record<string, number[]>;
  /** Identifies the history values (part of a fitted state's key). */
  signature: string;
}

/** How long a failed fetch keeps weather out of forecasts before it is tried again. */
const RETRY_AFTER_MS = 15 * 60_000;

/**
 * Weather regressors for live forecasts, and only forecastable ones: history days take the stored or fetched
 * values, future days only values the provider marked as forecasts. Fetched once per data cut-off (through
 * `fetchFactors`: timeout, retries, stored in `external_data_factors`, stored values when the provider fails).
 */
export class WeatherSource {
  private readonly fetched = new Map<string, { at: number; value: Promise<WeatherRegressors | null> }>();

  constructor(
    private readonly inputs: WeatherInputs,
    private readonly deps: { clock: Clock; logger?: Logger },
  ) {}

  /**
   * The regressors for a window [from, through] and `horizon` days after it, or null when the provider has
   * no forecast for every one of those days (or too little history): then the forecast goes without them.
   */
  async regressors(from: string, through: string, horizon: number): Promise<WeatherRegressors | null> {
    // Past the provider's forecast days no forecast can cover the horizon: do not wait for it.
    if (horizon > WEATHER_FORECAST_DAYS) return null;
    const key = `${from}|${through}`;
    const now = this.deps.clock.now().getTime();
    let entry = this.fetched.get(key);
    if (!entry || (now - entry.at > RETRY_AFTER_MS && (await entry.value) === null)) {
      entry = { at: now, value: this.load(from, through) };
      // One window per cut-off is enough: forget earlier days.
      for (const k of this.fetched.keys()) if (!k.endsWith(`|${through}`)) this.fetched.delete(k);
      this.fetched.set(key, entry);
    }
    const all = await entry.value;
    if (!all || all.names.some((n) => all.future[n]!.length < horizon)) return null;
    return { ...all, future: Object.fromEntries(all.names.map((n) => [n, all.future[n]!.slice(0, horizon)])) };
  }

  private async load(from: string, through: string): Promise<WeatherRegressors | null> {
    const { provider, store, location, factors } = this.inputs;
    let got: ExternalFactor[];
    try {
      got = (await fetchFactors(provider, store, { from, to: addDays(through, WEATHER_FORECAST_DAYS), location }, { ...this.inputs.fetch, logger: this.deps.logger })).factors;
    } catch (err) {
      this.deps.logger?.warn({ err, provider: provider.id }, 'no weather for the demand forecast: forecasting without it');
      return null;
    }
    const days = dayRange(from, through);
    const names = [...factors].sort();
    const history: Record<string, number[]> = {};
    const future: Record<string, number[]> = {};
    const minShare = this.inputs.minHistoryShare ?? 0.8;
    for (const name of names) {
      const observed = new Map<string, number>();
      const forecast = new Map<string, number>();
      for (const f of got) {
        if (f.factorName !== name || f.value === null || !Number.isFinite(f.value)) continue;
        if (f.date <= through) observed.set(f.date, f.value);
        else if (f.isForecast) forecast.set(f.date, f.value);
      }
      const known = days.filter((d) => observed.has(d));
      if (known.length < minShare * days.length) return null;
      const mean = known.reduce((s, d) => s + observed.get(d)!, 0) / known.length;
      history[name] = days.map((d) => observed.get(d) ?? mean);
      // Only the unbroken run of forecast days from the day after the cut-off.
      const ahead: number[] = [];
      for (let k = 1; k <= WEATHER_FORECAST_DAYS && forecast.has(addDays(through, k)); k++) ahead.push(forecast.get(addDays(through, k))!);
      future[name] = ahead;
    }
    const signature = createHash('sha1').update(JSON.stringify(history)).digest('hex').slice(0, 16);
    return { names, history, future, signature };
  }
}
