import { type Answer, api, type GetPath, type ReadArgs } from '../api.js';
import { decisionActions, isPending, ledgerRoute } from '../decide.js';
import { h } from '../dom.js';
import { about, day, humanize, num, pct0, usd, usdChange } from '../format.js';
import { classIdsIn, classLabel, ensureNames } from '../names.js';
import { card, details, facts, money, renderAny, table, whyLine, whyOf } from '../render.js';

type Row = Record<string, unknown>;
const rowsOf = (v: unknown): Row[] => (Array.isArray(v) ? (v.filter((x) => x && typeof x === 'object') as Row[]) : []);
const numOr = (v: unknown, fallback = '—', digits = 1) => (typeof v === 'number' ? num(v, digits) : fallback);
const firstNumber = (r: Row, keys: string[]): number | null => {
  for (const k of keys) if (typeof r[k] === 'number' && Number.isFinite(r[k])) return r[k] as number;
  return null;
};

/** A card that reads one endpoint (`read`: its path, then what `api.read` takes after it), learns the class names it needs, and shows the answer. */
function viewCard<R extends GetPath>(
  title: string,
  read: readonly [path: R, ...args: ReadArgs<R>],
  id: string | undefined,
  show: (answer: Answer<R>, body: HTMLElement) => void,
): HTMLElement {
  return card(
    title,
    async (body) => {
      const [path, ...args] = read;
      const answer = await api.read(path, ...args);
      await ensureNames(classIdsIn(answer));
      show(answer, body);
    },
    { wide: true, id },
  );
}

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

/** An item: its class with the class's name, its category, and its tag opening the item's detail. */
const itemCell = (view?: string) => (_: unknown, r: Row) => {
  const tag = r.itemId ?? r.item_id ?? r.tagId;
  const name = r.commonName ?? r.common_name ?? r.name;
  const cls = r.rentalClass ?? r.rental_class;
  return h(
    'div',
    {},
    cls !== undefined && cls !== null ? classLabel(cls, name) : h('span', { class: 'cls-name' }, typeof name === 'string' ? name : '—'),
    h(
      'div',
      { class: 'muted small' },
      typeof r.category === 'string' ? r.category : '',
      typeof r.category === 'string' && typeof tag === 'string' && view ? ' · ' : '',
      typeof tag === 'string' && view ? h('a', { href: `#/${view}?item=${encodeURIComponent(tag)}` }, `tag ${tag.slice(0, 8)}…`) : '',
    ),
  );
};

// ---------------------------------------------------------------- maintenance

/** Model feature names in the words a manager uses; anything else is humanized. */
const DRIVER_WORDS: Record<string, string> = {
  weibull_hazard_next: 'wear since its last service',
  rentals_since_service: 'rentals since its last service',
  rentals_observed: 'how often it has been rented',
  repairs_observed: 'how often it has been repaired',
  repair_cost_ltd: 'what its repairs have cost so far',
  grade: 'its condition grade',
  age_days: 'its age',
  turnover_ltd: 'its rental income so far',
  turnover_ytd: 'its rental income this year',
  days_since_service: 'days since its last service',
};
const driverWords = (name: unknown) => (typeof name === 'string' ? (DRIVER_WORDS[name] ?? humanize(name).toLowerCase()) : '');

function orderWhy(r: Row, days: unknown): string {
  const given = whyOf(r);
  if (given) return given;
  const parts: string[] = [];
  if (typeof r.probability === 'number') {
    const after = typeof r.probabilityAfterService === 'number' ? ` (${pct0(r.probabilityAfterService)} after a service)` : '';
    parts.push(`${pct0(r.probability)} chance it needs a repair within ${typeof days === 'number' ? days : 'the coming'} days${after}`);
  }
  if (typeof r.preventiveCost === 'number' && typeof r.expectedEmergencyCost === 'number') {
    parts.push(`servicing it costs ${usd(r.preventiveCost)} against an expected ${usd(r.expectedEmergencyCost)} for an emergency repair`);
  }
  return parts.join('; ');
}

function maintenanceSchedule(a: Answer<'maintenance/schedule'>, body: HTMLElement): void {
  const orders = rowsOf(a.orders);
  if (!Array.isArray(a.orders)) return void body.append(renderAny(a, 0));
  const perDay = typeof a.capacityPerDay === 'number' ? ` (the workshop fits ${num(a.capacityPerDay, 0)} a day)` : '';
  body.append(h('p', { class: 'sentence' }, `${orders.length} item${orders.length === 1 ? '' : 's'} to service in the next ${numOr(a.days, '?', 0)} days${perDay}.`));
  if (typeof a.expectedCostWithPlan === 'number' && typeof a.expectedCostWithoutPlan === 'number') {
    body.append(
      h(
        'p',
        {},
        'Expected repair spending with this plan: ',
        money(a.expectedCostWithPlan),
        ', against ',
        money(a.expectedCostWithoutPlan),
        ' without it',
        ...(typeof a.expectedSaving === 'number' ? [' — a saving of about ', money(a.expectedSaving)] : []),
        '.',
      ),
    );
  }
  if (orders.length) {
    body.append(
      table(orders, [
        { key: 'day', label: 'Day', format: (v) => day(v) },
        { key: 'rentalClass', label: 'Item', primary: true, format: itemCell('maintenance') },
        { key: 'probability', label: 'Chance of repair', format: (v) => pct0(v) },
        { key: 'preventiveCost', label: 'Service cost', format: (v) => money(v) },
        { key: 'expectedSaving', label: 'Expected saving', format: (v) => money(v) },
        { key: 'reason', label: 'Why', full: true, format: (_, r) => whyLine(orderWhy(r, a.days)) },
      ]),
    );
  }
  const rest = Object.fromEntries(Object.entries(a).filter(([k]) => k !== 'orders'));
  body.append(details('How the plan is costed', renderAny(rest, 1)));
}

function maintenanceItem(a: Answer<'maintenance/probability/{item_id}'>, body: HTMLElement): void {
  const p = (a.probability ?? {}) as Row;
  const life = (a.remainingUsefulLife ?? {}) as Row;
  if (typeof p.withinDays !== 'number') return void body.append(renderAny(a));
  body.append(
    h('p', { class: 'item-head' }, classLabel(a.rentalClass, a.commonName), typeof a.status === 'string' ? h('span', { class: 'badge' }, a.status) : null),
    h(
      'p',
      { class: 'sentence' },
      `${pct0(p.withinDays)} chance it needs a repair within ${numOr(p.days, '?', 0)} days`,
      typeof p.expectedRentals === 'number' ? ` (about ${about(p.expectedRentals)} rentals)` : '',
      typeof p.nextRental === 'number' ? `; ${pct0(p.nextRental)} on its next rental` : '',
      '.',
    ),
  );
  const lines: (string | Node)[][] = [];
  if (typeof a.rentalsSinceService === 'number') lines.push([`${num(a.rentalsSinceService, 0)} rentals since its last service.`]);
  if (typeof life.median === 'number') {
    lines.push([
      `It should last about ${num(life.median, 0)} more rentals before needing a repair`,
      typeof life.lower === 'number' && typeof life.upper === 'number' ? ` (between ${num(life.lower, 0)} and ${num(life.upper, 0)}, 8 times in 10)` : '',
      '.',
    ]);
  }
  if (typeof a.expectedRepairCost === 'number') lines.push(['A repair is expected to cost ', money(a.expectedRepairCost), '.']);
  const drivers = rowsOf(a.drivers).filter((d) => typeof d.effect === 'number');
  const raises = drivers.filter((d) => (d.effect as number) > 0).map((d) => driverWords(d.name));
  const lowers = drivers.filter((d) => (d.effect as number) < 0).map((d) => driverWords(d.name));
  if (raises.length) lines.push([`What raises the risk most: ${raises.slice(0, 4).join(', ')}.`]);
  if (lowers.length) lines.push([`What lowers it: ${lowers.slice(0, 3).join(', ')}.`]);
  for (const l of lines) body.append(h('p', { class: 'item-line' }, ...l));
  const tech = Object.fromEntries(
    Object.entries(a).filter(([k]) => ['baseline', 'validation', 'drivers', 'modelVersion', 'source', 'probability', 'remainingUsefulLife', 'dataThrough'].includes(k)),
  );
  body.append(details('Model details', renderAny(tech, 1)));
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
  if (item) root.append(viewCard(`Repair risk of ${item}`, ['maintenance/probability/{item_id}', { item_id: item }], 'maintenance-item', maintenanceItem));
  root.append(viewCard(`What to service in the next ${days} days`, ['maintenance/schedule', { days }], 'maintenance-schedule', maintenanceSchedule));
}

// ---------------------------------------------------------------- quality

const ADVICE: Record<string, string> = { replace_now: 'Replace now', replace_soon: 'Replace soon', keep: 'Keep' };
const adviceWords = (v: unknown) => (typeof v === 'string' ? (ADVICE[v] ?? humanize(v)) : '—');

function rentalsLeft(v: unknown): string {
  const r = (v ?? {}) as Row;
  if (typeof r.median !== 'number') return '—';
  if (r.median === 0 && r.upper === 0) return 'none';
  return typeof r.lower === 'number' && typeof r.upper === 'number' && r.upper !== r.lower
    ? `about ${num(r.median, 0)} (${num(r.lower, 0)}–${num(r.upper, 0)})`
    : `about ${num(r.median, 0)}`;
}

function qualityReplacements(a: Answer<'quality/replacement-recommendations'>, body: HTMLElement): void {
  const recs = rowsOf(a.recommendations);
  if (!Array.isArray(a.recommendations)) return void body.append(renderAny(a));
  const counts = (a.counts ?? {}) as Row;
  if (typeof counts.items === 'number') {
    body.append(
      h(
        'p',
        { class: 'sentence' },
        `${num(counts.replace_now ?? 0, 0)} items should be replaced now and ${num(counts.replace_soon ?? 0, 0)} soon, of ${num(counts.items, 0)} checked`,
        typeof a.minRentableGrade === 'string' ? ` (rentable down to grade ${a.minRentableGrade})` : '',
        '.',
      ),
    );
  }
  if (recs.length) {
    // The most urgent first: replace now, then soon, then the rest, each in the plugin's order.
    const urgency = (r: Row) => ['replace_now', 'replace_soon'].indexOf(String(r.decision)) >>> 0;
    body.append(
      table(
        [...recs].sort((x, y) => urgency(x) - urgency(y)),
        [
          { key: 'rentalClass', label: 'Item', primary: true, format: itemCell('quality') },
          { key: 'grade', label: 'Grade' },
          { key: 'decision', label: 'Advice', format: (v) => adviceWords(v) },
          { key: 'rentalsUntilUnrentable', label: 'Rentals left', format: (_, r) => rentalsLeft(r.rentalsUntilUnrentable) },
          { key: 'netReplacementCost', label: 'Replacement (after resale)', format: (v, r) => (typeof v === 'number' ? money(v) : money(r.replacementCost)) },
          { key: 'revenuePerRental', label: 'Earns per rental', format: (v) => money(v) },
          { key: 'reason', label: 'Why', full: true, format: (_, r) => (whyOf(r) ? whyLine(whyOf(r)!) : '—') },
        ],
      ),
    );
  } else body.append(h('p', { class: 'muted' }, 'Nothing to replace.'));
  const inspect = rowsOf(a.inspectNext);
  if (inspect.length) {
    body.append(
      h('h3', {}, `Inspect next (${inspect.length})`),
      table(inspect, [
        { key: 'commonName', label: 'Item', primary: true, format: itemCell('quality') },
        { key: 'grade', label: 'Grade' },
        { key: 'probabilityBelowRentableNextRental', label: 'Chance it is unrentable after its next rental', format: (v) => pct0(v) },
        { key: 'why', label: 'Why', full: true, format: (_, r) => (whyOf(r) ? whyLine(whyOf(r)!) : '—') },
      ]),
    );
  }
  const economics = rowsOf(a.gradeEconomics);
  if (economics.length) {
    body.append(
      h('h3', {}, 'What each grade earns'),
      table(economics, [
        { key: 'grade', label: 'Grade', primary: true },
        { key: 'items', label: 'Items', format: (v) => numOr(v, '—', 0) },
        { key: 'rentalsPerItemYear', label: 'Rentals per item a year', format: (v) => numOr(v) },
        { key: 'revenuePerRental', label: 'Earns per rental', format: (v) => money(v) },
        { key: 'turnoverYtdPerItem', label: 'Income per item this year', format: (v) => money(v) },
        { key: 'relativePrice', label: 'Price against the average', format: (v) => (typeof v === 'number' ? `×${num(v, 2)}` : '—') },
      ]),
    );
  }
  const rest = Object.fromEntries(Object.entries(a).filter(([k]) => !['recommendations', 'inspectNext', 'gradeEconomics', 'counts'].includes(k)));
  body.append(details('Model details', renderAny(rest, 1)));
}

function qualityItem(a: Answer<'quality/degradation/{item_id}'>, body: HTMLElement): void {
  if (typeof a.grade !== 'string') return void body.append(renderAny(a));
  const until = (a.rentalsUntilUnrentable ?? {}) as Row;
  const replacement = (a.replacement ?? {}) as Row;
  body.append(
    h('p', { class: 'item-head' }, classLabel(a.rentalClass, a.commonName)),
    h(
      'p',
      { class: 'sentence' },
      `Grade ${a.grade} now`,
      typeof a.minRentableGrade === 'string' ? ` (rentable down to ${a.minRentableGrade})` : '',
      `; rentals left before it is unrentable: ${rentalsLeft(until)}.`,
    ),
  );
  if (typeof replacement.decision === 'string') {
    body.append(
      h(
        'p',
        { class: 'item-line' },
        `${adviceWords(replacement.decision)}.`,
        ...(typeof replacement.netReplacementCost === 'number' ? [' Replacing it costs ', money(replacement.netReplacementCost), ' after resale.'] : []),
      ),
    );
    if (whyOf(replacement)) body.append(whyLine(whyOf(replacement)!));
  }
  const after = rowsOf(a.after);
  if (after.length) {
    body.append(
      table(after, [
        { key: 'rentals', label: 'After', primary: true, format: (v) => `${numOr(v, '?', 0)} more rental${v === 1 ? '' : 's'}` },
        { key: 'mostLikely', label: 'Most likely grade' },
        {
          key: 'interval80',
          label: 'Likely between',
          format: (_, r) => (r.interval80 && typeof r.interval80 === 'object' ? `${String((r.interval80 as Row).best)} and ${String((r.interval80 as Row).worst)}` : '—'),
        },
        { key: 'rentable', label: 'Chance still rentable', format: (v) => pct0(v) },
      ]),
    );
  }
  const tech = Object.fromEntries(Object.entries(a).filter(([k]) => ['lastObservation', 'modelVersion', 'matrix', 'source', 'validation'].includes(k)));
  body.append(details('Model details', renderAny(tech, 1)));
}

export function quality(root: HTMLElement, params: URLSearchParams): void {
  const item = params.get('item') ?? '';
  root.append(h('h1', {}, 'Quality and replacements'), queryForm('quality', [{ name: 'item', label: 'Item (tag id)', value: item, placeholder: 'tag id' }]));
  if (item) root.append(viewCard(`Grade outlook of ${item}`, ['quality/degradation/{item_id}', { item_id: item }], 'quality-item', qualityItem));
  root.append(viewCard('What to replace and inspect', ['quality/replacement-recommendations'], 'quality-replacements', qualityReplacements));
}

// ---------------------------------------------------------------- pricing

/** Demand's response to a 10 % higher price, from a constant elasticity: e = −1.2 → "−11 %". */
const tenPercent = (e: number) => {
  const change = 1.1 ** e - 1;
  return `${change > 0 ? '+' : change < 0 ? '−' : ''}${Math.abs(Math.round(change * 100))} %`;
};

const currentPriceOf = (r: Row) => firstNumber(r, ['currentPrice', 'baselinePrice', 'price']);
const newPriceOf = (r: Row) => firstNumber(r, ['recommendedPrice', 'proposedPrice', 'newPrice']);
const gainOf = (r: Row) => firstNumber(r, ['expectedChangePerPeriod', 'expectedGain', 'expectedRevenueChange', 'expectedChange']);

/** Why a price: the plugin's own words when it gives them, else its drivers in words. */
function priceWhy(r: Row): string {
  const given = whyOf(r);
  // Where the business allows peak and off-peak prices, the two-price proposal is the one the decision is for.
  const peak = r.peak && typeof r.peak === 'object' ? whyOf(r.peak as Row) : '';
  if (peak) return given ? `${given}. Two prices: ${peak}` : peak;
  if (given) return given;
  const parts: string[] = [];
  for (const d of rowsOf(r.drivers)) {
    if (d.name === 'elasticity' && typeof d.value === 'number') parts.push(`a 10 % higher price changes rentals by about ${tenPercent(d.value)}`);
    else if (d.name === 'grade' && typeof d.value === 'number') parts.push(`its condition grade moves the price by ×${num(d.value, 2)}`);
    else if (typeof d.note === 'string' && d.name === 'season') parts.push(d.note);
    else if (typeof d.note === 'string' && typeof d.name === 'string') parts.push(`${humanize(d.name).toLowerCase()}: ${d.note}`);
  }
  return parts.join('; ');
}

function priceChange(r: Row): Node | string {
  const now = currentPriceOf(r);
  const next = newPriceOf(r);
  if (now === null || next === null) return next === null ? '—' : money(next);
  const change = now > 0 ? (next - now) / now : 0;
  return h(
    'span',
    {},
    money(now),
    ' → ',
    money(next),
    h('span', { class: change > 0 ? 'ok' : change < 0 ? 'warn' : 'muted' }, ` (${change > 0 ? '+' : change < 0 ? '−' : '±'}${Math.abs(Math.round(change * 100))} %)`),
  );
}

function pricingRecommendations(a: Answer<'pricing/recommendations'>, body: HTMLElement): void {
  if (!Array.isArray(a.recommendations)) return void body.append(renderAny(a));
  const recs = rowsOf(a.recommendations);
  const period = typeof a.periodDays === 'number' ? `${a.periodDays} days` : 'period';
  const raises = recs.filter((r) => (newPriceOf(r) ?? 0) > (currentPriceOf(r) ?? 0)).length;
  const cuts = recs.filter((r) => (newPriceOf(r) ?? 0) < (currentPriceOf(r) ?? 0)).length;
  const pending = recs.filter(isPending).length;
  body.append(
    h(
      'p',
      { class: 'sentence' },
      `${recs.length} price change${recs.length === 1 ? '' : 's'} suggested: ${raises} raise${raises === 1 ? '' : 's'} and ${cuts} cut${cuts === 1 ? '' : 's'}; ${pending} wait${pending === 1 ? 's' : ''} for your review.`,
    ),
  );
  if (!recs.length) return;
  // Those waiting for a decision first, in the order the plugin ranks them.
  const ordered = [...recs.filter(isPending), ...recs.filter((r) => !isPending(r))];
  body.append(
    table(
      ordered,
      [
        { key: 'rentalClass', label: 'Item', primary: true, format: itemCell() },
        { key: 'recommendedPrice', label: 'Price', format: (_, r) => priceChange(r) },
        {
          key: 'expectedChangePerPeriod',
          label: `Expected revenue per ${period}`,
          format: (_, r) => (gainOf(r) === null ? '—' : h('span', { class: 'money' }, usdChange(gainOf(r)))),
        },
        { key: 'confidence', label: 'How sure', format: (v) => pct0(v) },
        { key: 'reason', label: 'Why', full: true, format: (_, r) => whyLine(priceWhy(r) || 'no reason given') },
      ],
      { label: 'Decision', render: (r) => decisionActions(r, ledgerRoute('price change')) },
    ),
  );
}

function elasticity(a: Answer<'pricing/elasticity-analysis'>, body: HTMLElement): void {
  const rows = rowsOf(a.categories);
  if (!rows.length) return void body.append(renderAny(a));
  const pooled = a.pooled && typeof a.pooled === 'object' ? [{ ...(a.pooled as Row), group: 'All categories together' }] : [];
  body.append(
    h('p', {}, 'How many more or fewer rentals a 10 % higher price brings, per category, with the range the data allows (19 times in 20).'),
    table(
      [...rows, ...pooled],
      [
        { key: 'group', label: 'Category', primary: true },
        { key: 'elasticity', label: 'Rentals after a 10 % higher price', format: (v) => (typeof v === 'number' ? tenPercent(v) : '—') },
        {
          key: 'ci95',
          label: 'Could be',
          format: (v) => {
            if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'number' || typeof v[1] !== 'number') return '—';
            const [lo, hi] = [tenPercent(v[1]), tenPercent(v[0])];
            return `${lo} to ${hi}${v[0] < 0 && v[1] > 0 ? ' (not clear yet)' : ''}`;
          },
        },
        { key: 'n', label: 'Periods of data', format: (v) => numOr(v, '—', 0) },
      ],
    ),
    details('Method', facts(Object.entries(a).filter(([k]) => !['categories', 'pooled'].includes(k)))),
  );
}

export function pricing(root: HTMLElement, params: URLSearchParams): void {
  const category = params.get('category') ?? '';
  root.append(
    h('h1', {}, 'Pricing'),
    queryForm('pricing', [{ name: 'category', label: 'Category', value: category, placeholder: 'e.g. tables' }]),
    viewCard('Suggested prices', ['pricing/recommendations', { category: category || undefined }], 'pricing-recommendations', pricingRecommendations),
    viewCard('How rentals respond to price', ['pricing/elasticity-analysis'], 'pricing-elasticity', elasticity),
  );
}

// ---------------------------------------------------------------- packs

const classes = (v: unknown): Node => h('span', {}, ...(Array.isArray(v) ? v : []).flatMap((x, i) => [i ? ' + ' : '', classLabel(x)]));

function packPerformance(a: Answer<'pack/performance-analysis'>, body: HTMLElement): void {
  const packs = rowsOf(a.packs);
  if (!Array.isArray(a.packs)) return void body.append(renderAny(a));
  const w = (a.window ?? {}) as Row;
  body.append(h('p', { class: 'sentence' }, `${packs.length} pack${packs.length === 1 ? '' : 's'}`, w.from ? `, ${day(w.from, true)} to ${day(w.to, true)}` : '', '.'));
  if (packs.length) {
    body.append(
      table(packs, [
        { key: 'rentalClass', label: 'Pack', primary: true, format: (_, r) => classLabel(r.rentalClass, r.name ?? r.commonName) },
        { key: 'units', label: 'Units', format: (v) => numOr(v, '—', 0) },
        { key: 'utilisation', label: 'In use', format: (v) => pct0(v) },
        {
          key: 'components',
          label: 'Its single items in use',
          format: (v) => h('span', {}, ...rowsOf(v).flatMap((c, i) => [i ? '; ' : '', classLabel(c.rentalClass, c.name ?? c.commonName), ` ${pct0(c.utilisation)}`])),
        },
        { key: 'revenue', label: 'Revenue', format: (v) => money(v) },
        { key: 'bursts', label: 'Broken up', format: (v) => (typeof v === 'number' ? `${num(v, 0)} time${v === 1 ? '' : 's'}` : '—') },
      ]),
    );
  }
  const co = (a.coRental ?? {}) as Row;
  const rules = rowsOf(co.rules);
  if (rules.length) {
    body.append(
      h('h3', {}, 'Rented together'),
      h(
        'ul',
        { class: 'items', id: 'co-rental' },
        ...rules.map((r) =>
          h(
            'li',
            {},
            classes(r.antecedent),
            ' ⇒ ',
            classes(r.consequent),
            h(
              'p',
              { class: 'item-line small' },
              `${pct0(r.confidence)} of the contracts with the first also have the second`,
              typeof r.lift === 'number' ? `, ${num(r.lift, 1)} times more often than by chance` : '',
              typeof r.count === 'number' ? ` (${num(r.count, 0)} contracts)` : '',
              '.',
            ),
          ),
        ),
      ),
    );
  }
  const rest = { window: a.window, modelVersion: a.modelVersion, ...Object.fromEntries(Object.entries(co).filter(([k]) => k !== 'rules')) };
  body.append(details('How rules are found', renderAny(rest, 1)));
}

/** Why a new pack, in words: how often its items go out together, from the rule the plugin found. */
function packWhy(r: Row): string {
  if (typeof r.why === 'string' && r.why.trim()) return r.why.trim();
  const reason = typeof r.reason === 'string' ? r.reason : '';
  const rule = /^\{([^}]*)\}\s*⇒\s*\{([^}]*)\}/.exec(reason);
  if (!rule || typeof r.confidence !== 'number') return whyOf(r) ?? '';
  const lift = typeof r.lift === 'number' ? `, ${num(r.lift, 1)} times more often than by chance` : '';
  const perYear = typeof r.contractsPerYear === 'number' ? `; ${num(r.contractsPerYear, 0)} contracts a year` : '';
  return `${pct0(r.confidence)} of the contracts with ${rule[1]} also have ${rule[2]}${lift}${perYear}`;
}

/** Why break a pack up: the plugin's words, else how little it is used and what it earns. */
function dissolveWhy(r: Row): string {
  const given = whyOf(r);
  if (given) return given;
  const parts: string[] = [];
  if (typeof r.utilisation === 'number') parts.push(`in use only ${pct0(r.utilisation)} of the time`);
  if (typeof r.expectedProfit === 'number') parts.push(`breaking it up is expected to earn ${usdChange(r.expectedProfit)}`);
  return parts.join('; ');
}

function packRecommendations(a: Answer<'pack/recommendations'>, body: HTMLElement): void {
  if (!Array.isArray(a.create) && !Array.isArray(a.dissolve)) return void body.append(renderAny(a));
  const create = rowsOf(a.create);
  const dissolve = rowsOf(a.dissolve);
  body.append(h('p', { class: 'sentence' }, `${create.length} new pack${create.length === 1 ? '' : 's'} suggested, ${dissolve.length} to break up.`));
  if (create.length) {
    body.append(
      h('h3', {}, 'Make a pack of'),
      table(
        create,
        [
          { key: 'components', label: 'Items', primary: true, format: (v) => classes(v) },
          { key: 'contractsPerYear', label: 'Rented together', format: (v) => (typeof v === 'number' ? `${num(v, 0)} contracts a year` : '—') },
          { key: 'expectedProfit', label: 'Expected profit', format: (v) => money(v) },
          { key: 'reason', label: 'Why', full: true, format: (_, r) => (packWhy(r) ? whyLine(packWhy(r)) : '—') },
        ],
        { label: 'Decision', render: (r) => decisionActions(r, ledgerRoute('new pack')) },
      ),
    );
  }
  if (dissolve.length) {
    body.append(
      h('h3', {}, 'Break up'),
      table(
        dissolve,
        [
          { key: 'pack', label: 'Pack', primary: true, format: (_, r) => classLabel(r.pack ?? r.rentalClass, r.name ?? r.commonName) },
          { key: 'utilisation', label: 'In use', format: (v) => pct0(v) },
          { key: 'expectedProfit', label: 'Expected profit', format: (v) => money(v) },
          { key: 'reasons', label: 'Why', full: true, format: (_, r) => (dissolveWhy(r) ? whyLine(dissolveWhy(r)) : '—') },
        ],
        { label: 'Decision', render: (r) => decisionActions(r, ledgerRoute('pack change')) },
      ),
    );
  }
}

export function packs(root: HTMLElement): void {
  root.append(
    h('h1', {}, 'Packs'),
    viewCard('How packs are used', ['pack/performance-analysis'], 'packs-performance', packPerformance),
    viewCard('Packs to make or break up', ['pack/recommendations'], 'packs-recommendations', packRecommendations),
  );
}

// ---------------------------------------------------------------- models and health

const MODEL_WORDS: Record<string, string> = {
  'demand.daily': 'Demand forecast',
  'maintenance.failure': 'Repair risk',
  'quality.grade_transition': 'Condition grade outlook',
  'pricing.elasticity': 'Price response',
};

function modelsStatus(a: Answer<'models/status'>, body: HTMLElement): void {
  const models = rowsOf(a.models);
  if (!Array.isArray(a.models)) return void body.append(renderAny(a));
  body.append(
    h(
      'ul',
      { class: 'items' },
      ...models.map((m) => {
        const live = (m.live ?? null) as Row | null;
        return h(
          'li',
          {},
          h('strong', {}, MODEL_WORDS[String(m.modelName)] ?? humanize(String(m.modelName ?? 'model'))),
          h(
            'p',
            { class: 'item-line small' },
            `Trained ${day(m.createdAt)}`,
            typeof m.trainingRows === 'number' ? ` on ${num(m.trainingRows, 0)} rows` : '',
            m.status === 'active' || typeof m.status !== 'string' ? '' : ` (${m.status})`,
            '.',
            live && typeof live.mae === 'number'
              ? ` In use it is off by about ${about(live.mae)} units a day${typeof live.coverage === 'number' ? `; its ranges held ${pct0(live.coverage)} of the time` : ''}.`
              : '',
          ),
        );
      }),
    ),
    details('Model figures', table(models, [{ key: 'versionTag', label: 'Version', primary: true }, { key: 'modelType', label: 'Type' }, { key: 'validation' }, { key: 'notes' }])),
  );
}

function systemStatus(a: Answer<'health/system-status'>, body: HTMLElement): void {
  const db = (a.database ?? {}) as Row;
  const jobs = (a.jobs ?? {}) as Row;
  body.append(
    h('p', { class: `sentence ${a.status === 'ok' ? 'ok' : 'warn'}` }, a.status === 'ok' ? 'Working normally.' : `Status: ${String(a.status)}.`),
    facts([
      ['Database', db.ok ? `${String(db.dialect)}, answering in ${numOr(db.latencyMs)} ms` : `unreachable ${String(db.error ?? '')}`],
      ['Running since', typeof a.startedAt === 'string' ? a.startedAt.replace('T', ' ').slice(0, 16) : '—'],
      ['Background jobs', `${numOr(jobs.queued, '0', 0)} waiting, ${numOr(jobs.running, '0', 0)} running, ${numOr(jobs.failed, '0', 0)} failed`],
      [
        'Plugins',
        rowsOf(a.plugins)
          .map((p) => `${String(p.id)} ${String(p.version ?? '')}`)
          .join(', '),
      ],
    ]),
    details('Everything the host reports', renderAny(a, 1)),
  );
}

function performance(a: Answer<'health/performance-metrics'>, body: HTMLElement): void {
  const http = (a.http ?? {}) as Row;
  const l1 = (((a.cache ?? {}) as Row).l1 ?? {}) as Row;
  const mem = (a.memory ?? {}) as Row;
  body.append(
    facts([
      ['Typical answer', typeof http.p50Seconds === 'number' ? `${num(http.p50Seconds, 2)} s` : '—'],
      ['Slowest 1 in 20', typeof http.p95Seconds === 'number' ? `over ${num(http.p95Seconds, 2)} s` : '—'],
      ['Requests served', numOr(http.requests, '—', 0)],
      ['Answered from memory', pct0(l1.hitRate)],
      ['Memory used', typeof mem.rssBytes === 'number' ? `${num(mem.rssBytes / 1e6, 0)} MB` : '—'],
    ]),
    details('All figures', renderAny(a, 1)),
  );
}

/** How often the running jobs are asked again while any runs. */
export const JOBS_POLL_MS = 2_000;

/** One running job: what it is, its progress bar (a native `<progress>`), how far, and its last message. */
function jobRow(job: Row): HTMLElement {
  const fraction = typeof job.progress === 'number' && Number.isFinite(job.progress) ? Math.min(1, Math.max(0, job.progress)) : 0;
  const name = typeof job.name === 'string' ? job.name : 'job';
  const [plugin, task] = name.includes('.') ? [name.slice(0, name.indexOf('.')), name.slice(name.indexOf('.') + 1)] : ['', name];
  const started = typeof job.startedAt === 'string' ? `started ${job.startedAt.replace('T', ' ').slice(11, 19)}` : '';
  return h(
    'div',
    { class: 'job', 'data-job-id': typeof job.id === 'string' ? job.id : undefined },
    h(
      'div',
      { class: 'job-head' },
      h('strong', {}, `${humanize(task)}${plugin ? ` (${plugin})` : ''}`),
      h('span', { class: 'muted small' }, `${pct0(fraction)}${started ? ` · ${started}` : ''}`),
    ),
    h('progress', { max: 1, value: fraction, 'aria-label': `${name}: ${pct0(fraction)} done` }, pct0(fraction)),
    typeof job.message === 'string' && job.message ? h('p', { class: 'muted small job-message' }, job.message) : null,
  );
}

/**
 * The jobs running now (`GET jobs?state=active`), each with a progress bar and its message. While any runs
 * the card asks again every `JOBS_POLL_MS`; it stops once none runs, or when the view is left.
 */
function runningJobs(): HTMLElement {
  return card(
    'Running jobs',
    async (body) => {
      const draw = (answer: Answer<'jobs'>) => {
        const jobs = rowsOf(answer.jobs).filter((j) => j.status === 'running');
        body.dataset.running = String(jobs.length);
        body.replaceChildren(...(jobs.length ? jobs.map(jobRow) : [h('p', { class: 'muted' }, 'No job is running.')]));
        return jobs.length > 0;
      };
      const poll = async () => {
        if (!body.isConnected) return;
        try {
          if (draw(await api.read('jobs', { state: 'active' }))) setTimeout(() => void poll(), JOBS_POLL_MS);
        } catch {
          body.append(h('p', { class: 'muted small' }, 'Could not refresh the running jobs; reload the view to try again.'));
        }
      };
      if (draw(await api.read('jobs', { state: 'active' }))) setTimeout(() => void poll(), JOBS_POLL_MS);
    },
    { wide: true, id: 'running-jobs' },
  );
}

export function models(root: HTMLElement): void {
  root.append(
    h('h1', {}, 'Models and health'),
    h(
      'div',
      { class: 'grid' },
      runningJobs(),
      viewCard('Models in use', ['models/status'], 'models-status', modelsStatus),
      viewCard('System', ['health/system-status'], 'system-status', systemStatus),
      viewCard('Speed', ['health/performance-metrics'], undefined, performance),
      viewCard('Version history', ['models/version-history', { limit: 20 }], undefined, (a, body) =>
        body.append(details('Every version and why it was (or was not) put in use', renderAny(a))),
      ),
    ),
  );
}
