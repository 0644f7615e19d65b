import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_TYPES_FILE, apiTypes } from '../scripts/api-types.mjs';

describe("the dashboard's API types", () => {
  it('are what openapi-typescript makes of the current OpenAPI document (run node scripts/api-types.mjs when this fails)', async () => {
    const expected: string = await apiTypes();
    expect(expected).toContain('"/api/predictive/restock/restock-alerts"');
    // The design's aliases, each to its canonical path, so that a typed client can leave them out.
    expect(expected).toContain('"/api/predictive/inventory/restock-alerts": "/api/predictive/restock/restock-alerts";');
    expect(expected).not.toContain('"/api/predictive/restock/restock-alerts": "');
    expect(readFileSync(API_TYPES_FILE, 'utf8')).toBe(expected);
  });
});
