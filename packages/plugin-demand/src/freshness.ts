import { randomBytes } from 'node:crypto';
import type { DemandLevel } from '@rfid3/core';

/** A series or a request, as far as freshness is concerned. */
export interface SeriesScope {
  level: DemandLevel;
  key: string;
  /** A store code; null for all stores together. */
  store: string | null;
}

/**
 * Data versions of the demand series, bumped by `data-changed` events: a fitted state or a cached forecast
 * is keyed by the version of the series it read, so a change to one series makes only its entries stale.
 *
 * A change to rental class r of category c at stores S bumps r and c at each store in S and at all stores
 * together (the total contains every store); a change that names no store bumps r and c at every store;
 * a change that names no rental class bumps everything. Versions only grow, so a sum of them changes
 * whenever one of its terms does.
 */
export class SeriesVersions {
  private epoch = 0;
  private readonly counts = new Map<string, number>();
  /** Categories bumped so far (lower-cased), for requests that name a category by a term. */
  private readonly categories = new Set<string>();
  /** Every bump so far: what changes whenever anything does. */
  private changesSeen = 0;
  /** Tells this process's versions from another's (hosts sharing a Redis cache count changes apart). */
  private readonly nonce = randomBytes(4).toString('hex');

  /** How many changes have been seen; a fit begun before a change is not cached after it. */
  get changes(): number {
    return this.changesSeen;
  }

  /** Marks every series as changed (a change whose scope is not known). */
  bumpAll(): void {
    this.epoch++;
    this.changesSeen++;
  }

  /** One changed series key (a rental class or a category) at the given stores, or at every store. */
  bump(level: DemandLevel, key: string, stores?: readonly string[]): void {
    const id = scopeId(level, key);
    if (level === 'category') this.categories.add(key.toLowerCase());
    if (!stores || stores.length === 0) {
      this.add(id);
    } else {
      this.add(`${id}@*`);
      for (const s of stores) this.add(`${id}@${s}`);
    }
    this.changesSeen++;
  }

  /** The version of one series: it changes when that series' data may have. */
  of(scope: SeriesScope): number {
    const id = scopeId(scope.level, scope.key);
    return this.epoch + (this.counts.get(id) ?? 0) + (this.counts.get(`${id}@${scope.store ?? '*'}`) ?? 0);
  }

  /**
   * The version of a request, before its category term is resolved: every category the term could mean
   * (any whose name contains it, a superset of what `resolve` picks), or every category when none is named.
   */
  ofRequest(req: { category?: string; rentalClass?: string; store?: string | null }): number {
    const store = req.store ?? null;
    if (req.rentalClass) return this.of({ level: 'rental_class', key: req.rentalClass, store });
    if (!req.category) return this.changesSeen;
    const term = req.category.trim().toLowerCase();
    let v = this.epoch;
    for (const c of this.categories) {
      if (c.includes(term)) v += this.of({ level: 'category', key: c, store }) - this.epoch;
    }
    return v;
  }

  /**
   * The request's version as a cache-key part: `0` while this process has seen no change to what the request
   * reads (so hosts sharing a cache share those answers), else unique to this process, so that another host's
   * count of its own changes never lands on the same key.
   */
  requestToken(req: { category?: string; rentalClass?: string; store?: string | null }): string {
    const v = this.ofRequest(req);
    return v === 0 ? '0' : `${this.nonce}.${v}`;
  }

  private add(id: string): void {
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
  }
}

// Categories are matched ignoring case (`resolve`), so their versions are kept by lower-cased name.
const scopeId = (level: DemandLevel, key: string) => `${level}:${level === 'category' ? key.toLowerCase() : key}`;
