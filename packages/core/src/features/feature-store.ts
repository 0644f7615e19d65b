import 'reflect-metadata';
import { inject, injectable } from 'inversify';
import { baseServices } from '../runtime/base-services.js';
import type { Feature } from '../contracts/feature.js';
import type { JsonValue } from '../contracts/json.js';
import type { Clock } from '../time/clock.js';
import { sqlDateTime } from '../time/dates.js';
import type { DatabaseHandle } from '../storage/database.js';
import { insertInChunks, parseJsonColumn } from '../storage/database.js';

/** One computed feature value of one entity as of one day. */
export interface FeatureValue {
  entityType: string;
  entityId: string;
  featureName: string;
  /** The day the value describes (computed from data up to that day only). */
  asOf: string;
  value: JsonValue;
}

/** Computed feature values in `ml_feature_store`, one per entity, feature and day. */
@injectable()
export class FeatureStore {
  private readonly deps: { database: DatabaseHandle; clock: Clock };

  /** Core binds it as `coreServices.featureStore`, built from its database and clock. */
  constructor(@inject(baseServices.database.token) database: DatabaseHandle, @inject(baseServices.clock.token) clock: Clock) {
    this.deps = { database, clock };
  }

  /** Stores values, replacing any for the same entity, feature and day. */
  async put(values: FeatureValue[]): Promise<void> {
    if (values.length === 0) return;
    const { db } = this.deps.database;
    const now = sqlDateTime(this.deps.clock.now());
    await db.transaction().execute(async (trx) => {
      for (const v of values) {
        await trx
          .deleteFrom('ml_feature_store')
          .where('entity_type', '=', v.entityType)
          .where('entity_id', '=', v.entityId)
          .where('feature_name', '=', v.featureName)
          .where('as_of', '=', v.asOf)
          .execute();
      }
      await insertInChunks(
        { db: trx, maxBoundValues: this.deps.database.maxBoundValues },
        'ml_feature_store',
        values.map((v) => ({
          entity_type: v.entityType,
          entity_id: v.entityId,
          feature_name: v.featureName,
          as_of: v.asOf,
          feature_value: typeof v.value === 'number' ? v.value : null,
          feature_json: typeof v.value === 'number' ? null : JSON.stringify(v.value),
          computed_at: now,
        })),
      );
    });
  }

  /** Latest value on or before `asOf` of each named feature, per entity. */
  async get(entityType: string, entityIds: string[], featureNames: string[], asOf: string): Promise<Map<string, Record<string, JsonValue>>> {
    const out = new Map<string, Record<string, JsonValue>>();
    if (entityIds.length === 0 || featureNames.length === 0) return out;
    const rows = await this.deps.database.db
      .selectFrom('ml_feature_store')
      .select(['entity_id', 'feature_name', 'as_of', 'feature_value', 'feature_json'])
      .where('entity_type', '=', entityType)
      .where('entity_id', 'in', entityIds)
      .where('feature_name', 'in', featureNames)
      .where('as_of', '<=', asOf)
      .orderBy('as_of')
      .execute();
    for (const r of rows) {
      const rec = out.get(r.entity_id) ?? {};
      rec[r.feature_name] = r.feature_value !== null ? Number(r.feature_value) : (parseJsonColumn<JsonValue>(r.feature_json) ?? null);
      out.set(r.entity_id, rec);
    }
    return out;
  }

  /** Computes a feature for the entities as of a day and stores the values. */
  async materialise<E>(feature: Feature<E, JsonValue>, entities: E[], ids: (e: E) => string, asOf: string): Promise<FeatureValue[]> {
    const values = await feature.compute(entities, { asOf });
    if (values.length !== entities.length) {
      throw new Error(`feature ${feature.name} returned ${values.length} values for ${entities.length} entities`);
    }
    const rows = entities.map((e, i) => ({ entityType: feature.entityType, entityId: ids(e), featureName: feature.name, asOf, value: values[i]! }));
    await this.put(rows);
    return rows;
  }
}
