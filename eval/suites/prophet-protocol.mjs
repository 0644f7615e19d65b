// Prophet's cross-validation protocol (diagnostics.cross_validation and performance_metrics), in calendar days:
// cutoffs from the end back by `period` while at least `initial` days of history remain; each cutoff's
// test points are the rows in (cutoff, cutoff + horizon]; horizon metrics use Prophet's rolling window.

const DAY = 86_400_000;
const toDay = (iso) => Math.round(Date.parse(`${iso}T00:00:00Z`) / DAY);
const fromDay = (n) => new Date(n * DAY).toISOString().slice(0, 10);

/** Cutoffs exactly as prophet.diagnostics.generate_cutoffs makes them (oldest first). */
export function prophetCutoffs(days, { initial, period, horizon }) {
  const min = days[0];
  const max = days[days.length - 1];
  const result = [max - horizon];
  while (result[result.length - 1] >= min + initial) {
    let cutoff = result[result.length - 1] - period;
    if (!days.some((d) => d > cutoff && d <= cutoff + horizon)) {
      if (cutoff > min) cutoff = Math.max(...days.filter((d) => d <= cutoff)) - horizon;
    }
    result.push(cutoff);
  }
  return result.slice(0, -1).reverse();
}

/**
 * Runs `forecast(trainDays, trainValues, cutoff, horizon)` (returning { mean, lower80, upper80 } per day
 * 1..horizon after the cutoff) at every cutoff and collects the test points with their horizon in days.
 */
export function prophetCrossValidation(dates, values, forecast, protocol) {
  const days = dates.map(toDay);
  const cutoffs = prophetCutoffs(days, protocol);
  const points = [];
  for (const cutoff of cutoffs) {
    const train = days.map((d, i) => i).filter((i) => days[i] <= cutoff);
    const fc = forecast(
      train.map((i) => days[i]),
      train.map((i) => values[i]),
      cutoff,
      protocol.horizon,
    );
    for (let i = 0; i < days.length; i++) {
      const h = days[i] - cutoff;
      if (h < 1 || h > protocol.horizon) continue;
      points.push({ cutoff: fromDay(cutoff), h, actual: values[i], mean: fc.mean[h - 1], lower: fc.lower?.[h - 1], upper: fc.upper?.[h - 1] });
    }
  }
  return { cutoffs: cutoffs.map(fromDay), points };
}

/** prophet.diagnostics.rolling_mean_by_h: the mean of `x` over the fewest trailing horizons holding ≥ w points. */
export function rollingMeanAtHorizon(points, x, h, rollingWindow = 0.1) {
  const w = Math.max(1, Math.floor(rollingWindow * points.length));
  const byH = new Map();
  for (const p of points) {
    const g = byH.get(p.h) ?? { sum: 0, n: 0 };
    g.sum += x(p);
    g.n += 1;
    byH.set(p.h, g);
  }
  const hs = [...byH.keys()].sort((a, b) => a - b).filter((k) => k <= h);
  let sum = 0;
  let n = 0;
  for (let i = hs.length - 1; i >= 0 && n < w; i--) {
    const g = byH.get(hs[i]);
    sum += g.sum;
    n += g.n;
  }
  return n >= w ? sum / n : Number.NaN;
}

/** Fills calendar gaps of a daily series by linear interpolation (for models that need every day). */
export function dailyCalendar(days, values) {
  const start = days[0];
  const out = new Array(days[days.length - 1] - start + 1);
  for (let i = 0; i < days.length; i++) out[days[i] - start] = values[i];
  for (let k = 0; k < out.length; k++) {
    if (out[k] !== undefined) continue;
    let j = k;
    while (out[j] === undefined) j++;
    const a = out[k - 1];
    const b = out[j];
    for (let m = k; m < j; m++) out[m] = a + ((b - a) * (m - k + 1)) / (j - k + 1);
    k = j;
  }
  return out;
}
