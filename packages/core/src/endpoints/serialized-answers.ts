import { JsonAnswer } from '../contracts/endpoint.js';

interface Serialized {
  /** The answer without its first field, and its JSON as UTF-8, made once. */
  rest: Record<string, unknown>;
  restJson: Buffer;
  /** The bytes last sent, for the value of the first field they were made with. */
  last: { first: string; bytes: Buffer } | null;
}

/**
 * Answers an endpoint derives from a cached entry (the predictions of a cache hit), kept serialised beside it so
 * that a repeated question costs neither the reads nor the serialising again. An answer is stored as its first
 * field, which may change on every request (`generatedAt`: the second it was served), and the rest, serialised
 * once; the bytes are `{"<first>":<value>,` and the rest, exactly what `JSON.stringify` of the whole answer gives.
 *
 * Entries are held weakly: once the cache drops or replaces the entry (expiry, invalidation, a new data or model
 * version), what was derived from it goes too. `perEntry` bounds the variants kept per entry (least recent go).
 */
export class SerializedAnswers {
  private readonly byEntry = new WeakMap<object, Map<string, Serialized>>();

  constructor(private readonly perEntry = 16) {}

  /** The answer to `key` derived from `entry`, with its first field set to `first`; undefined when none is kept. */
  get(entry: object, key: string, first: [name: string, value: string]): JsonAnswer | undefined {
    const kept = this.byEntry.get(entry)?.get(key);
    return kept ? answer(kept, first) : undefined;
  }

  /** Keeps `rest` (the answer without its first field) as the answer to `key` derived from `entry`, and returns the whole answer. */
  set(entry: object, key: string, first: [name: string, value: string], rest: Record<string, unknown>): JsonAnswer {
    let variants = this.byEntry.get(entry);
    if (!variants) this.byEntry.set(entry, (variants = new Map()));
    variants.delete(key);
    const kept: Serialized = { rest, restJson: Buffer.from(JSON.stringify(rest)), last: null };
    variants.set(key, kept);
    while (variants.size > this.perEntry) variants.delete(variants.keys().next().value as string);
    return answer(kept, first);
  }
}

function answer(kept: Serialized, [name, value]: [string, string]): JsonAnswer {
  if (kept.last?.first !== value) {
    const head = `{${JSON.stringify(name)}:${JSON.stringify(value)}`;
    const bytes = kept.restJson.length === 2 ? Buffer.from(`${head}}`) : Buffer.concat([Buffer.from(`${head},`), kept.restJson.subarray(1)]);
    kept.last = { first: value, bytes };
  }
  return new JsonAnswer({ [name]: value, ...kept.rest }, kept.last.bytes);
}
