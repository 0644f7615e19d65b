import type { RFID3Database } from '@rfid3/core';
import type { Kysely } from 'kysely';

/** The plugin's own tables (see migrations.ts). */
export interface PricingTables {
  pricing_tests: {
    id: number;
    rental_class: string;
    variants: string;
    status: string;
    winner: string | null;
    decision_id: number | null;
    created_by: string | null;
    created_at: string;
    updated_at: string;
  };
  pricing_competitor_prices: { id: number; rental_class: string; competitor: string; price: number; observed_on: string };
}
export type PricingDb = Kysely<RFID3Database & PricingTables>;
