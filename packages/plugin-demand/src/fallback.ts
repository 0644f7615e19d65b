import { countInterval } from './counts.js';

/** Days the historical average looks back over: eight weeks, so every weekday counts eight times. */
export const AVERAGE_WINDOW_DAYS = 56;

/** The historical-average fallback of a series: its daily mean over the window and count ranges around it. */
export interface AverageForecast {
  mean: number;
  /** Days the mean is taken over. */
  days: number;
  intervals: { level: number; lower: number; upper: number }[];
}

/**
 * The fallback that answers when the model cannot: the mean of the last (up to) eight weeks, with a range
 * honest about what so few days can say. Around the mean, a count distribution (negative binomial by
 * moments, never narrower than the Poisson) whose variance also carries the uncertainty of the mean itself
 * (a mean of n days varies by σ²/n); the range is never narrower than the days' own spread either.
 */
export function historicalAverageForecast(history: number[], levels: number[]): AverageForecast {
  const window = history.slice(-AVERAGE_WINDOW_DAYS);
  const n = window.length;
  if (n === 0) throw new RangeError('the historical average needs at least one day of history');
  const mean = window.reduce((a, b) => a + b, 0) / n;
  const spread = n > 1 ? window.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : mean;
  const variance = Math.max(spread, mean) * (1 + 1 / n);
  const sorted = [...window].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.round(p * (n - 1))))]!;
  return {
    mean,
    days: n,
    intervals: levels.map((level) => {
      const counts = countInterval(mean, variance, level);
      return {
        level,
        lower: Math.min(mean, counts.lower, rank((1 - level) / 2)),
        upper: Math.max(mean, counts.upper, rank((1 + level) / 2)),
      };
    }),
  };
}
