import { api } from '../api.js';
import type { ForecastPoint } from '../chart.js';
import { forecastChart } from '../chart.js';
import { h } from '../dom.js';
import { num } from '../format.js';
import { card, table } from '../render.js';

interface Series {
  level: string;
  key: string;
  store: string | null;
  source: string;
  modelVersion: string;
  points: ForecastPoint[];
}

interface Forecast {
  dataThrough: string;
  weeks: number;
  store: string;
  modelVersion: string;
  intervalLevel: number;
  series: Series[];
}

let categories: string[] | null = null;

function seriesCard(s: Series, detailed: boolean): HTMLElement {
  const total = s.points.reduce((a, p) => a + p.value, 0);
  const title = `${s.level === 'rental_class' ? 'Rental class ' : ''}${s.key}${s.store ? ` · store ${s.store}` : ''}`;
  return h(
    'section',
    { class: `card series${detailed ? ' wide' : ''}`, 'data-series': s.key },
    h('h2', {}, title),
    h('p', { class: 'muted small' }, `${num(total, 0)} units out over ${s.points.length} days · ${s.modelVersion} (${s.source})`),
    forecastChart(s.points, `Daily demand forecast for ${s.key} with its 80 % interval`),
    h('p', { class: 'legend small' }, h('span', { class: 'swatch line' }), 'forecast ', h('span', { class: 'swatch band80' }), '80 % interval ', h('span', { class: 'swatch band95' }), '95 %'),
    detailed
      ? table(s.points as unknown as Record<string, unknown>[], [
          { key: 'date' },
          { key: 'value', label: 'Forecast' },
          { key: 'lower', label: '80 % low' },
          { key: 'upper', label: '80 % high' },
        ])
      : null,
  );
}

export function demand(root: HTMLElement, params: URLSearchParams): void {
  const weeks = Math.min(8, Math.max(1, Number(params.get('weeks')) || 4));
  const category = params.get('category') ?? '';
  const rentalClass = params.get('rental_class') ?? '';
  const store = params.get('store') ?? 'all';

  const categorySelect = h('select', { name: 'category', id: 'demand-category' }, h('option', { value: '' }, 'All categories'));
  const fillCategories = () => {
    for (const c of categories ?? []) categorySelect.append(h('option', { value: c, selected: c === category }, c));
  };
  const form = h(
    'form',
    { class: 'controls', id: 'demand-form' },
    h('label', {}, 'Category', categorySelect),
    h('label', {}, 'Rental class', h('input', { name: 'rental_class', value: rentalClass, placeholder: 'e.g. 61885', inputmode: 'numeric', size: 10 })),
    h('label', {}, 'Weeks', h('select', { name: 'weeks' }, ...[1, 2, 3, 4, 5, 6, 7, 8].map((w) => h('option', { value: w, selected: w === weeks }, String(w))))),
    h('label', {}, 'Store', h('input', { name: 'store', value: store, size: 5 })),
    h('button', { type: 'submit', class: 'primary' }, 'Show'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    const q = new URLSearchParams();
    for (const k of ['category', 'rental_class', 'weeks', 'store']) {
      const v = String(data.get(k) ?? '').trim();
      if (v && !(k === 'store' && v === 'all')) q.set(k, v);
    }
    location.hash = `#/demand?${q.toString()}`;
  });

  const results = h('div', { class: 'grid', id: 'demand-series' });
  root.append(h('h1', {}, 'Demand'), form, results);
  results.append(
    card(
      'Forecast',
      async (body) => {
        const query = { weeks, category: rentalClass ? undefined : category || undefined, rental_class: rentalClass || undefined, store };
        const fc = await api.get<Forecast>('demand/forecast', query);
        if (!category && !rentalClass) categories = fc.series.map((s) => s.key).sort();
        else if (!categories) categories = (await api.get<Forecast>('demand/forecast', { weeks: 1, store })).series.map((s) => s.key).sort();
        fillCategories();
        body.append(
          h(
            'p',
            { class: 'muted small' },
            `Daily units going out, ${fc.weeks} week${fc.weeks === 1 ? '' : 's'} from data through ${fc.dataThrough}, store ${fc.store}; bands are the ${Math.round(fc.intervalLevel * 100)} % interval.`,
          ),
        );
        const cards = fc.series.map((s) => seriesCard(s, fc.series.length === 1));
        results.append(...cards);
        if (!cards.length) body.append(h('p', { class: 'muted' }, 'No series to forecast.'));
      },
      { id: 'demand-summary', wide: true },
    ),
  );
}
