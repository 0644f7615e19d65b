/** The version tag of the pricing recommendations (the capacity-aware price model), on their decisions and answers. */
export const PRICING_MODEL_VERSION = 'pricing.capacity@1';
