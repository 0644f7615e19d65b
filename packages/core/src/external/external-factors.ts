import 'reflect-metadata';
import { inject, injectable } from 'inversify';
import { baseServices } from '../runtime/base-services.js';
import type { JsonValue } from '../contracts/json.js';
import type { Clock } from '../time/clock.js';
import { sqlDateTime } from '../time/dates.js';
import type { DatabaseHandle } from '../storage/database.js';
import { insertInChunks, parseJsonColumn } from '../storage/database.js';

/** The kind of an external factor; the four the design names, or another. */
export type FactorType = 'weather' | 'event' | 'economic' | 'holiday' | (string & {});

/** One external factor on one day at one location (weather, an event, an economic figure, a holiday). */
export interface ExternalFactor {
  factorType: FactorType;
  /** e.g. `temp_max_c`, `precip_mm`, `county_fair`. */
  factorName: string;
  date: string;
  /** A store code, a region or `all`. */
  location: string;
  value: number | null;
  detail?: JsonValue;
  source: string;
  /** True when the value is a forecast made before the day (usable for forecasting), false when observed. */
  isForecast: boolean;
}

/** A source of external factors (weather API, event calendar, …). */
export interface ExternalFactorProvider {
  id: string;
  factorTypes: FactorType[];
  /** `signal` aborts the request when the caller's timeout passes. */
  fetch(range: { from: string; to: string; location: string; signal?: AbortSignal }): Promise<ExternalFactor[]>;
}

/** External factors in `external_data_factors`, one value per type, name, day and location. */
@injectable()
export class ExternalFactorStore {
  private readonly deps: { database: DatabaseHandle; clock: Clock };

  /** Core binds it as `coreServices.externalFactors`, built from its database and clock. */
  constructor(@inject(baseServices.database.token) database: DatabaseHandle, @inject(baseServices.clock.token) clock: Clock) {
    this.deps = { database, clock };
  }

  /** Stores factors, replacing any with the same type, name, day and location, in one transaction. */
  async put(factors: ExternalFactor[]): Promise<void> {
    if (factors.length === 0) return;
    const now = sqlDateTime(this.deps.clock.now());
    const { db } = this.deps.database;
    await db.transaction().execute(async (trx) => {
      for (const f of factors) {
        await trx
          .deleteFrom('external_data_factors')
          .where('factor_type', '=', f.factorType)
          .where('factor_name', '=', f.factorName)
          .where('factor_date', '=', f.date)
          .where('location', '=', f.location)
          .execute();
      }
      await insertInChunks(
        { db: trx, maxBoundValues: this.deps.database.maxBoundValues },
        'external_data_factors',
        factors.map((f) => ({
          factor_type: f.factorType,
          factor_name: f.factorName,
          factor_date: f.date,
          location: f.location,
          value: f.value,
          value_json: f.detail === undefined ? null : JSON.stringify(f.detail),
          source: f.source,
          is_forecast: f.isForecast ? 1 : 0,
          fetched_at: now,
        })),
      );
    });
  }

  /** The stored factors of a type or names, between two days (both included), optionally at one location. */
  async get(query: { factorType?: FactorType; factorNames?: string[]; from: string; to: string; location?: string }): Promise<ExternalFactor[]> {
    let q = this.deps.database.db.selectFrom('external_data_factors').selectAll().where('factor_date', '>=', query.from).where('factor_date', '<=', query.to);
    if (query.factorType) q = q.where('factor_type', '=', query.factorType);
    if (query.factorNames?.length) q = q.where('factor_name', 'in', query.factorNames);
    if (query.location) q = q.where('location', '=', query.location);
    const rows = await q.orderBy('factor_date').execute();
    return rows.map((r) => ({
      factorType: r.factor_type,
      factorName: r.factor_name,
      date: String(r.factor_date),
      location: r.location,
      value: r.value === null ? null : Number(r.value),
      ...(r.value_json !== null ? { detail: parseJsonColumn<JsonValue>(r.value_json) ?? null } : {}),
      source: r.source,
      isForecast: Boolean(Number(r.is_forecast)),
    }));
  }
}
