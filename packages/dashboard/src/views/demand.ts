import { type Answer, api } from '../api.js';
import type { ActualPoint } from '../chart.js';
import { forecastChart } from '../chart.js';
import { h } from '../dom.js';
import { day, num } from '../format.js';
import { classLabel, ensureNames } from '../names.js';
import { card, table } from '../render.js';
import { sourceWords } from '../words.js';

/** `GET demand/forecast` as the OpenAPI document declares it, and one of its series. */
type Forecast = Answer<'demand/forecast'>;
type Series = Forecast['series'][number];

let categories: string[] | null = null;

/** The count of one day of actual demand, whatever the plugin calls it. */
const ACTUAL_VALUE_KEYS = ['value', 'actual', 'units', 'count'];

/**
 * Recent actual demand, if the answer carries it (`recent`, or `actuals`/`history`), as `{ date, value }`
 * days: each day's count may be called `value`, `actual`, `units` or `count`. Days without a date or a count
 * are left out; no such list, or an empty one, draws no actuals.
 */
export function actualsOf(s: Record<string, unknown>): ActualPoint[] {
  for (const k of ['recent', 'actuals', 'actual', 'history']) {
    const v = s[k];
    if (!Array.isArray(v)) continue;
    const out: ActualPoint[] = [];
    for (const p of v) {
      if (!p || typeof p !== 'object') continue;
      const row = p as Record<string, unknown>;
      const date = typeof row.date === 'string' ? row.date : typeof row.day === 'string' ? row.day : null;
      const value = ACTUAL_VALUE_KEYS.map((key) => row[key]).find((x): x is number => typeof x === 'number' && Number.isFinite(x));
      if (date && /^\d{4}-\d{2}-\d{2}/.test(date) && value !== undefined) out.push({ date: date.slice(0, 10), value });
    }
    if (out.length) return out.sort((a, b) => a.date.localeCompare(b.date));
  }
  return [];
}

const isClass = (s: Series) => s.level === 'rental_class' || s.level === 'class';

function seriesCard(s: Series, detailed: boolean, level = 0.8): HTMLElement {
  const total = s.points.reduce((a, p) => a + p.value, 0);
  const actual = actualsOf(s);
  const title = h('h2', {}, isClass(s) ? classLabel(s.key) : s.key, s.store ? ` · store ${s.store}` : '');
  const recent = actual.length ? actual.reduce((a, p) => a + p.value, 0) / actual.length : null;
  return h(
    'section',
    { class: `card series${detailed ? ' wide' : ''}`, 'data-series': s.key },
    title,
    h(
      'p',
      { class: 'small' },
      `About ${num(total, 0)} units going out over the next ${s.points.length} days`,
      recent !== null && s.points.length ? ` (${num(total / s.points.length, 1)} a day), against ${num(recent, 1)} a day over the last ${actual.length} days` : '',
      '.',
    ),
    forecastChart(
      s.points,
      `Daily demand forecast for ${isClass(s) ? `rental class ${s.key}` : s.key} with its likely range${actual.length ? ', after the recent actual demand' : ''}`,
      actual,
    ),
    h(
      'p',
      { class: 'legend small' },
      ...(actual.length ? [h('span', { class: 'swatch actual' }), 'what went out '] : []),
      h('span', { class: 'swatch line' }),
      'forecast ',
      h('span', { class: 'swatch band80' }),
      `${Math.round(level * 100)} % range `,
      h('span', { class: 'swatch band95' }),
      '95 % range',
    ),
    h('p', { class: 'muted small' }, sourceWords(s.source)),
    detailed
      ? table(s.points, [
          { key: 'date', label: 'Day', primary: true, format: (v) => day(v) },
          { key: 'value', label: 'Forecast', format: (v) => num(v, 1) },
          { key: 'upper', label: 'Likely between', format: (_, r) => `${num(r.lower, 1)} and ${num(r.upper, 1)}` },
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
    h('label', {}, 'Rental class', h('input', { name: 'rental_class', value: rentalClass, placeholder: 'class number, e.g. 61885', inputmode: 'numeric', size: 10 })),
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
        const fc: Forecast = await api.read('demand/forecast', query);
        if (!category && !rentalClass) categories = fc.series.map((s) => s.key).sort();
        else if (!categories) categories = (await api.read('demand/forecast', { weeks: 1, store })).series.map((s) => s.key).sort();
        fillCategories();
        const classes = fc.series.filter(isClass).map((s) => s.key);
        if (classes.length) await ensureNames(classes);
        const withActuals = fc.series.some((s) => actualsOf(s).length > 0);
        body.append(
          h(
            'p',
            { class: 'small' },
            `Units going out each day for the next ${fc.weeks} week${fc.weeks === 1 ? '' : 's'}, ${fc.store === 'all' ? 'all stores' : `store ${fc.store}`}, from data through ${day(fc.dataThrough)}. `,
            `The shaded band is where demand should land 8 days in 10 (the ${Math.round(fc.intervalLevel * 100)} % range).`,
          ),
        );
        if (!withActuals) body.append(h('p', { class: 'muted small', id: 'no-actuals' }, 'The server did not send what went out in recent days, so only the forecast is drawn.'));
        else body.append(h('p', { class: 'small' }, 'The dark line before the forecast is what actually went out in recent days.'));
        const cards = fc.series.map((s) => seriesCard(s, fc.series.length === 1, fc.intervalLevel));
        results.append(...cards);
        if (!cards.length) body.append(h('p', { class: 'muted' }, 'No series to forecast.'));
      },
      { id: 'demand-summary', wide: true },
    ),
  );
}
