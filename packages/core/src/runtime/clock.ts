/** Where "now" comes from; tests use FakeClock so that "today" is fixed. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

const DAY_MS = 86_400_000;

export class FakeClock implements Clock {
  private current: number;

  constructor(start: Date | string = '2026-06-01T12:00:00Z') {
    this.current = new Date(start).getTime();
    if (Number.isNaN(this.current)) throw new TypeError(`FakeClock: invalid start '${String(start)}'`);
  }

  now(): Date {
    return new Date(this.current);
  }

  set(to: Date | string): void {
    this.current = new Date(to).getTime();
  }

  advance(by: { ms?: number; days?: number }): void {
    this.current += (by.ms ?? 0) + (by.days ?? 0) * DAY_MS;
  }
}
