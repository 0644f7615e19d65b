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

/**
 * A daily forecast as SVG: the 80 % interval as a band, the 95 % one lighter behind it, the point
 * forecast as a line. Hand-written (about a hundred lines) instead of a chart library to keep the page
 * light on a phone; the scale is published in data attributes so a test can read values back from it.
 */
export function forecastChart(points: ForecastPoint[], label: string): SVGSVGElement {
  const plot = { x0: PAD.left, x1: W - PAD.right, y0: PAD.top, y1: H - PAD.bottom };
  const top = Math.max(0, ...points.flatMap((p) => [p.value, p.upper ?? 0, p.upper95 ?? 0]));
  const yMax = niceMax(top);
  const n = points.length;
  const x = (i: number) => (n <= 1 ? (plot.x0 + plot.x1) / 2 : plot.x0 + (i / (n - 1)) * (plot.x1 - plot.x0));
  const y = (v: number) => plot.y1 - (Math.max(0, v) / yMax) * (plot.y1 - plot.y0);

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
  });

  // Grid and y labels at quarters of the axis.
  for (let k = 0; k <= 4; k++) {
    const v = (yMax * k) / 4;
    svg.append(
      s('line', { class: 'grid', x1: plot.x0, x2: plot.x1, y1: f(y(v)), y2: f(y(v)) }),
      s('text', { class: 'tick', x: plot.x0 - 6, y: f(y(v) + 4), 'text-anchor': 'end' }, num(v, 1)),
    );
  }
  if (n === 0) return svg;
  const ticks = n > 2 ? [0, Math.floor((n - 1) / 2), n - 1] : [...Array(n).keys()];
  for (const i of ticks) {
    const anchor = i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle';
    svg.append(s('text', { class: 'tick', x: f(x(i)), y: H - 8, 'text-anchor': anchor }, points[i]!.date.slice(5)));
  }

  const band = (lo: (p: ForecastPoint) => number | null | undefined, hi: (p: ForecastPoint) => number | null | undefined) => {
    if (!points.every((p) => typeof lo(p) === 'number' && typeof hi(p) === 'number')) return null;
    const upper = points.map((p, i) => `${f(x(i))},${f(y(hi(p)!))}`);
    const lower = points.map((p, i) => `${f(x(i))},${f(y(lo(p)!))}`).reverse();
    return `M${upper.join('L')}L${lower.join('L')}Z`;
  };
  const d95 = band((p) => p.lower95, (p) => p.upper95);
  if (d95) svg.append(s('path', { class: 'band95', d: d95 }));
  const d80 = band((p) => p.lower, (p) => p.upper);
  if (d80) svg.append(s('path', { class: 'band80', d: d80, 'data-level': '0.8' }));
  svg.append(s('path', { class: 'line', d: `M${points.map((p, i) => `${f(x(i))},${f(y(p.value))}`).join('L')}` }));
  return svg;
}
