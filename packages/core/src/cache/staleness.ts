import { AsyncLocalStorage } from 'node:async_hooks';

interface StalenessScope {
  /** Age of the oldest stale answer served within the request, in seconds; null when none was stale. */
  staleSeconds: number | null;
}

const scope = new AsyncLocalStorage<StalenessScope>();

/**
 * Runs a request handler so that anything it serves from a cache it could not refresh (the database away)
 * is noticed: the request's answer then says `stale: true` and the age, whichever plugin built the body.
 */
export async function trackStaleness<T>(run: () => T | Promise<T>): Promise<{ value: T; staleSeconds: number | null }> {
  const state: StalenessScope = { staleSeconds: null };
  const value = await scope.run(state, run);
  return { value, staleSeconds: state.staleSeconds };
}

/** Called where a stale answer is served; outside a tracked request it does nothing. */
export function markStale(ageSeconds: number): void {
  const state = scope.getStore();
  if (!state) return;
  const age = Math.max(0, Math.round(ageSeconds));
  state.staleSeconds = state.staleSeconds === null ? age : Math.max(state.staleSeconds, age);
}
