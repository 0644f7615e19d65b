/** Where "now" comes from; tests use FakeClock so that "today" is fixed. */
export interface Clock {
  /** The current time. */
  now(): Date;
}

/** The real clock. */
export const systemClock: Clock = { now: () => new Date() };

const DAY_MS = 86_400_000;

/** A clock that moves only when told to (default start 2026-06-01T12:00:00Z), for tests. */
export class FakeClock implements Clock {
  private current: number;

  constructor(start: Date | string = '2026-06-01T12:00:00Z') {
    this.current = new Date(start).getTime();
    if (Number.isNaN(this.current)) throw new TypeError(`FakeClock: invalid start '${String(start)}'`);
  }

  /** The fake current time. */
  now(): Date {
    return new Date(this.current);
  }

  /** Moves the clock to a time. */
  set(to: Date | string): void {
    this.current = new Date(to).getTime();
  }

  /** Moves the clock forward by milliseconds and days. */
  advance(by: { ms?: number; days?: number }): void {
    this.current += (by.ms ?? 0) + (by.days ?? 0) * DAY_MS;
  }
}
