import type { SeriesInput } from '../contracts/model.js';

/** Rows [start, end) of a series, with its dates and regressors cut the same way. */
export function sliceSeries(series: SeriesInput, start: number, end: number): SeriesInput {
  const out: SeriesInput = { values: series.values.slice(start, end) };
  if (series.dates) out.dates = series.dates.slice(start, end);
  if (series.regressors) {
    out.regressors = {};
    for (const [k, v] of Object.entries(series.regressors)) out.regressors[k] = v.slice(start, end);
  }
  return out;
}

/** Throws a RangeError naming the row when a value is not finite or a regressor's length differs from the series'. */
export function assertFiniteSeries(series: SeriesInput, what = 'series'): void {
  const bad = series.values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new RangeError(`${what}: value at row ${bad} is not a finite number`);
  for (const [k, v] of Object.entries(series.regressors ?? {})) {
    if (v.length !== series.values.length) throw new RangeError(`${what}: regressor '${k}' has ${v.length} rows, the series ${series.values.length}`);
  }
}
