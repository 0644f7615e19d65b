import { byId, h } from './dom.js';
import { askForKey, updateKeyButton } from './key.js';
import { demand } from './views/demand.js';
import { kpis } from './views/kpis.js';
import { maintenance, models, packs, pricing, quality } from './views/domains.js';
import { overview } from './views/overview.js';
import { restock } from './views/restock.js';

type View = (root: HTMLElement, params: URLSearchParams) => void;

const VIEWS: { path: string; label: string; view: View }[] = [
  { path: '', label: 'Overview', view: overview },
  { path: 'kpis', label: 'Results', view: kpis },
  { path: 'demand', label: 'Demand', view: demand },
  { path: 'maintenance', label: 'Maintenance', view: maintenance },
  { path: 'quality', label: 'Quality', view: quality },
  { path: 'pricing', label: 'Pricing', view: pricing },
  { path: 'restock', label: 'Restock', view: restock },
  { path: 'packs', label: 'Packs', view: packs },
  { path: 'models', label: 'Models & health', view: models },
];

/** Routes live in the hash (`#/demand?weeks=6`), so the host serves one page at `/` and nothing else. */
function route(): void {
  const [path = '', query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const entry = VIEWS.find((v) => v.path === path) ?? VIEWS[0]!;
  for (const a of byId('tabs').querySelectorAll('a')) {
    a.classList.toggle('active', a.dataset.view === entry.path);
    if (a.dataset.view === entry.path) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  setMenu(false);
  byId('menu-button').textContent = `☰ ${entry.label}`;
  const root = byId('view');
  root.replaceChildren();
  root.dataset.view = entry.path || 'overview';
  document.title = `${entry.label} · RFID3 Predictive`;
  entry.view(root, new URLSearchParams(query));
  window.scrollTo(0, 0);
}

/** On a phone the views sit behind a menu button instead of a strip of tabs scrolling sideways. */
function setMenu(open: boolean): void {
  byId('tabs').classList.toggle('open', open);
  byId('menu-button').setAttribute('aria-expanded', String(open));
}

function start(): void {
  byId('menu-button').addEventListener('click', () => setMenu(!byId('tabs').classList.contains('open')));
  byId('tabs').append(...VIEWS.map((v) => h('a', { href: `#/${v.path}`, 'data-view': v.path }, v.label)));
  // Choosing the view already shown fires no hashchange; the menu closes all the same.
  byId('tabs').addEventListener('click', (ev) => {
    if ((ev.target as Element).closest('a')) setMenu(false);
  });
  byId('key-button').addEventListener('click', () => void askForKey());
  updateKeyButton();
  window.addEventListener('hashchange', route);
  route();
}

start();
