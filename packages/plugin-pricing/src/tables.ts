import type { CoreTables, JsonColumn } from '@rfid3/core';
import type { Generated, Kysely } from 'kysely';

/** The plugin's own tables (see migrations.ts); a `type`, not an interface, as Kysely's `withTables` needs. */
export type PricingTables = {
  pricing_tests: {
    id: Generated<number>;
    rental_class: string;
    /** The variants with their exposures and conversions (written as JSON text). */
    variants: JsonColumn;
    status: string;
    winner: string | null;
    decision_id: number | null;
    created_by: string | null;
    created_at: string;
    updated_at: string;
  };
  pricing_competitor_prices: { id: Generated<number>; rental_class: string; competitor: string; price: number; observed_on: string };
};

/** The database as the pricing plugin sees it: core's tables and its own. */
export type PricingDb = Kysely<CoreTables & PricingTables>;
