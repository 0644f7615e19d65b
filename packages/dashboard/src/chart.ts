import { s } from './dom.js';
import { num } from './format.js';

export interface ForecastPoint {
  date: string;
  value: number;
  lower: number | null;
  upper: number | null;
  lower95?: number;
  upper95?: number;
}

const W = 640;
const H = 240;
const PAD = { left: 44, right: 12, top: 12, bottom: 26 };

/** A round upper bound for the y axis (1, 2, 2.5 or 5 times a power of ten). */
export function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

const f = (x: number) => (Math.round(x * 100) / 100).toString();

/** A day of what actually happened, drawn before the forecast. */
export interface ActualPoint {
  date: string;
  value: number;
}

const DAY_MS = 86_400_000;
const dayNumber = (date: string): number => Math.round(Date.parse(`${date.slice(0, 10)}T00:00:00Z`) / DAY_MS);

/**
 * A daily forecast as SVG: the 80 % interval as a band, the 95 % one lighter behind it, the point
 * forecast as a line, and the recent actual demand (when the answer has it) as a darker line before it.
 * Days are placed by date, so a gap in either series stays a gap. Hand-written (about a hundred lines)
 * instead of a chart library to keep the page light on a phone; the scale is published in data
 * attributes so a test can read values back from it.
 */
export function forecastChart(points: ForecastPoint[], label: string, actual: ActualPoint[] = []): SVGSVGElement {
  const plot = { x0: PAD.left, x1: W - PAD.right, y0: PAD.top, y1: H - PAD.bottom };
  const top = Math.max(0, ...points.flatMap((p) => [p.value, p.upper ?? 0, p.upper95 ?? 0]), ...actual.map((a) => a.value));
  const yMax = niceMax(top);
  const dates = [...actual.map((a) => a.date), ...points.map((p) => p.date)];
  const days = dates.map(dayNumber);
  const first = Math.min(...days);
  const span = Math.max(...days) - first;
  const x = (date: string) => (span <= 0 ? (plot.x0 + plot.x1) / 2 : plot.x0 + ((dayNumber(date) - first) / span) * (plot.x1 - plot.x0));
  const y = (v: number) => plot.y1 - (Math.max(0, v) / yMax) * (plot.y1 - plot.y0);
  const n = points.length;

  const svg = s('svg', {
    class: 'chart',
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': label,
    'data-y-max': yMax,
    'data-plot-top': plot.y0,
    'data-plot-bottom': plot.y1,
    'data-plot-left': plot.x0,
    'data-plot-right': plot.x1,
    'data-points': n,
    'data-actual-points': actual.length,
  });

  // Grid and y labels at quarters of the axis.
  for (let k = 0; k <= 4; k++) {
    const v = (yMax * k) / 4;
    svg.append(
      s('line', { class: 'grid', x1: plot.x0, x2: plot.x1, y1: f(y(v)), y2: f(y(v)) }),
      s('text', { class: 'tick', x: plot.x0 - 6, y: f(y(v) + 4), 'text-anchor': 'end' }, num(v, 1)),
    );
  }
  if (dates.length === 0) return svg;
  // Date labels at the first day, the first forecast day (or the middle) and the last day.
  const ticks = [...new Set([dates[0]!, actual.length && n ? points[0]!.date : dates[Math.floor((dates.length - 1) / 2)]!, dates[dates.length - 1]!])];
  for (const [i, date] of ticks.entries()) {
    const anchor = i === 0 ? 'start' : i === ticks.length - 1 ? 'end' : 'middle';
    svg.append(s('text', { class: 'tick', x: f(x(date)), y: H - 8, 'text-anchor': anchor }, date.slice(5, 10)));
  }

  if (actual.length) {
    svg.append(s('path', { class: 'actual', d: `M${actual.map((a) => `${f(x(a.date))},${f(y(a.value))}`).join('L')}` }));
    for (const a of actual) svg.append(s('circle', { class: 'actual-dot', cx: f(x(a.date)), cy: f(y(a.value)), r: 2 }));
    if (n) svg.append(s('line', { class: 'now', x1: f(x(points[0]!.date)), x2: f(x(points[0]!.date)), y1: plot.y0, y2: plot.y1 }));
  }
  if (n === 0) return svg;
  const band = (lo: (p: ForecastPoint) => number | null | undefined, hi: (p: ForecastPoint) => number | null | undefined) => {
    if (!points.every((p) => typeof lo(p) === 'number' && typeof hi(p) === 'number')) return null;
    const upper = points.map((p) => `${f(x(p.date))},${f(y(hi(p)!))}`);
    const lower = points.map((p) => `${f(x(p.date))},${f(y(lo(p)!))}`).reverse();
    return `M${upper.join('L')}L${lower.join('L')}Z`;
  };
  const d95 = band(
    (p) => p.lower95,
    (p) => p.upper95,
  );
  if (d95) svg.append(s('path', { class: 'band95', d: d95 }));
  const d80 = band(
    (p) => p.lower,
    (p) => p.upper,
  );
  if (d80) svg.append(s('path', { class: 'band80', d: d80, 'data-level': '0.8' }));
  svg.append(s('path', { class: 'line', d: `M${points.map((p) => `${f(x(p.date))},${f(y(p.value))}`).join('L')}` }));
  return svg;
}
