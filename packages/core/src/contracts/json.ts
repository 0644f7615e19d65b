/** A value that survives JSON.stringify → JSON.parse unchanged. Fitted model state must be one. */
export type JsonPrimitive = string | number | boolean | null;
/** Any JSON value: a primitive, an array or an object of JSON values. */
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };
