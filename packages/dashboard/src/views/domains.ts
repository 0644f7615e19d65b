import { api } from '../api.js';
import { h } from '../dom.js';
import { card, renderAny, type LinkFor } from '../render.js';

/** A card that shows one GET endpoint's answer, whatever its shape. */
const endpointCard = (title: string, path: string, query: Record<string, string | number | undefined> = {}, id?: string, linkFor?: LinkFor) =>
  card(title, async (body) => void body.append(renderAny(await api.get(path, query), 0, linkFor)), { wide: true, id });

/** Item (tag) ids open that item's detail in the given view. */
const itemLinks =
  (view: string): LinkFor =>
  (key, value) =>
    /^(itemId|item_id|tagId|tag_id)$/.test(key) ? `#/${view}?item=${encodeURIComponent(String(value))}` : null;

/** A small form that reloads the view with its fields as the hash query. */
function queryForm(view: string, fields: { name: string; label: string; value: string; options?: string[]; placeholder?: string }[]): HTMLFormElement {
  const form = h(
    'form',
    { class: 'controls' },
    ...fields.map((f) =>
      h(
        'label',
        {},
        f.label,
        f.options
          ? h('select', { name: f.name }, ...f.options.map((o) => h('option', { value: o, selected: o === f.value }, o)))
          : h('input', { name: f.name, value: f.value, placeholder: f.placeholder, size: 12 }),
      ),
    ),
    h('button', { type: 'submit', class: 'primary' }, 'Show'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (String(v).trim()) q.set(k, String(v).trim());
    location.hash = `#/${view}?${q.toString()}`;
  });
  return form;
}

export function maintenance(root: HTMLElement, params: URLSearchParams): void {
  const days = params.get('days') ?? '30';
  const item = params.get('item') ?? '';
  root.append(
    h('h1', {}, 'Maintenance'),
    queryForm('maintenance', [
      { name: 'days', label: 'Days', value: days, options: ['7', '14', '30', '60', '90'] },
      { name: 'item', label: 'Item (tag id)', value: item, placeholder: 'tag id' },
    ]),
  );
  if (item) root.append(endpointCard(`Failure probability of ${item}`, `maintenance/probability/${encodeURIComponent(item)}`, {}, 'maintenance-item'));
  root.append(endpointCard(`Schedule, next ${days} days`, 'maintenance/schedule', { days }, 'maintenance-schedule', itemLinks('maintenance')));
}

export function quality(root: HTMLElement, params: URLSearchParams): void {
  const item = params.get('item') ?? '';
  root.append(
    h('h1', {}, 'Quality and replacements'),
    queryForm('quality', [{ name: 'item', label: 'Item (tag id)', value: item, placeholder: 'tag id' }]),
  );
  if (item) root.append(endpointCard(`Grade outlook of ${item}`, `quality/degradation/${encodeURIComponent(item)}`, {}, 'quality-item'));
  root.append(
    endpointCard('Replacement recommendations', 'quality/replacement-recommendations', {}, 'quality-replacements', itemLinks('quality')),
  );
}

export function pricing(root: HTMLElement, params: URLSearchParams): void {
  const category = params.get('category') ?? '';
  root.append(
    h('h1', {}, 'Pricing'),
    queryForm('pricing', [{ name: 'category', label: 'Category', value: category, placeholder: 'e.g. tables' }]),
    endpointCard('Price recommendations', 'pricing/recommendations', { category: category || undefined }, 'pricing-recommendations'),
    endpointCard('Elasticity analysis', 'pricing/elasticity-analysis'),
  );
}

export function packs(root: HTMLElement): void {
  root.append(
    h('h1', {}, 'Packs'),
    endpointCard('Pack performance', 'packs/performance-analysis', {}, 'packs-performance'),
    endpointCard('Create and dissolve recommendations', 'packs/recommendations'),
  );
}

export function models(root: HTMLElement): void {
  root.append(
    h('h1', {}, 'Models and health'),
    h(
      'div',
      { class: 'grid' },
      endpointCard('Active models', 'models/status', {}, 'models-status'),
      endpointCard('System status', 'health/system-status', {}, 'system-status'),
      endpointCard('Performance', 'health/performance-metrics'),
      endpointCard('Version history', 'models/version-history', { limit: 20 }),
    ),
  );
}
