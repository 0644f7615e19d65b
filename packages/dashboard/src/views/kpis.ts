import { type Answer, api } from '../api.js';
import { h } from '../dom.js';
import { day, num, pct0, plural } from '../format.js';
import { classLabel, ensureNames, withClassNames } from '../names.js';
import { card, details, money, table } from '../render.js';

/** `GET kpis` as the OpenAPI document declares it (core's `kpiReportSchema`); every figure shown comes from here. */
export type KpiReport = Answer<'kpis'>;
/** One week of `stockouts.weeks` (or its `yearEarlier`). */
type Week = KpiReport['stockouts']['weeks'][number];
/** The accepted, rejected, automatic and pending counts of one decision type. */
type Acceptance = KpiReport['recommendationAcceptance']['byType'][string];
/** A carried-out decision with its predicted and measured effect. */
type MeasuredDecision = KpiReport['decisionAccuracy']['decisions'][number];

/** The ledger's decision types in words. */
const TYPE_WORDS: Record<string, string> = {
  restock: 'purchases',
  price_change: 'price changes',
  pack_create: 'new packs',
  pack_dissolve: 'packs broken up',
};
const typeWords = (t: string) => TYPE_WORDS[t] ?? t.replace(/_/g, ' ');

/** "up 12 % on the year before", "down 3 %", or nothing when there is no earlier figure. */
function changeWords(change: number | null, than: string): string {
  if (change === null) return '';
  const p = Math.round(Math.abs(change) * 100);
  return p === 0 ? ` — the same as ${than}` : ` — ${change > 0 ? 'up' : 'down'} ${p} % on ${than}`;
}

/** " (up 5 %)", " (the same)", or nothing without an earlier figure. */
function changeShort(change: number | null): string {
  if (change === null) return '';
  const p = Math.round(Math.abs(change) * 100);
  return p === 0 ? ' (the same now)' : ` (now ${change > 0 ? 'up' : 'down'} ${p} %)`;
}

const noEarlier = (what: string) => h('p', { class: 'muted small' }, `No ${what} to compare with yet: the data does not reach back that far.`);

/** The report's outcomes: every part that says how it is measured. */
type Section = { [K in keyof KpiReport]-?: KpiReport[K] extends { measure: string } ? K : never }[keyof KpiReport];
/** The outcome's headline figure: a value shown with its unit, or in words when there is none yet. */
type Figure = <T>(value: T | null, show: (v: T) => Node | string, unit: string, none: string) => HTMLElement;

/** One outcome: a plain title, its figure, what the figure means in one line, and how it is measured folded away. */
function tile<S extends Section>(
  report: Promise<KpiReport>,
  spec: { id: string; section: S; title: string; explain: string; wide?: boolean },
  fill: (section: KpiReport[S], body: HTMLElement, figure: Figure) => Promise<void> | void,
): HTMLElement {
  return card(
    spec.title,
    async (body) => {
      const section = (await report)[spec.section];
      const figure: Figure = (value, show, unit, none) =>
        h(
          'div',
          { class: 'big kpi-figure', 'data-kpi': spec.id },
          value === null ? none : show(value),
          value === null || !unit ? null : h('span', { class: 'kpi-unit' }, ` ${unit}`),
        );
      await fill(section, body, figure);
      body.append(h('p', { class: 'muted small kpi-explain' }, spec.explain), details('How it is measured', h('p', {}, section.measure)));
    },
    { id: `kpi-${spec.id}`, wide: spec.wide },
  );
}

/** "May 25 – May 31": the week's first and last day, without weekdays. */
const weekLabel = (w: { from: string; to: string }) => `${day(w.from).replace(/^\w+,? /, '')} – ${day(w.to).replace(/^\w+,? /, '')}`;

/** Each outcome's title and its one line of meaning, in the order shown. */
const TILES = {
  stockouts: {
    id: 'stockouts',
    section: 'stockouts',
    title: 'Days items were sold out',
    explain: 'A day on which every unit of an item was out at once: anyone asking for it that day was turned away. Two items sold out on one day count as two days.',
    wide: true,
  },
  turns: {
    id: 'turns',
    section: 'inventoryTurns',
    title: 'How hard the fleet works',
    explain: 'Inventory turns: how many times a year each unit owned goes out on rent. Higher means less stock sitting idle.',
  },
  revenue: {
    id: 'revenue',
    section: 'revenuePerRental',
    title: 'Revenue per rental',
    explain: 'What one rental contract brings in on average, from the Point of Rental contracts.',
  },
  acceptance: {
    id: 'acceptance',
    section: 'recommendationAcceptance',
    title: 'Recommendations you accepted',
    explain: 'Of the recommendations a person approved or rejected, the share approved. A low share means the advice does not fit the business.',
  },
  repairs: {
    id: 'repairs',
    section: 'unplannedRepairs',
    title: 'Repairs nobody planned',
    explain: 'The share of repair spending on items that came back broken, rather than serviced before they broke. Lower is better.',
  },
  premature: {
    id: 'premature',
    section: 'prematureReplacements',
    title: 'Replaced too early',
    explain: 'Items sold or retired while still good enough to rent: rental income given up.',
  },
  accuracy: {
    id: 'accuracy',
    section: 'decisionAccuracy',
    title: 'Did decisions pay off as predicted?',
    explain: 'Each decision carried out, its predicted effect beside what actually happened once its period had passed.',
    wide: true,
  },
} as const;

export function kpis(root: HTMLElement): void {
  const report: Promise<KpiReport> = api.read('kpis');
  // Cards that are not awaited would leave the rejection unhandled; each card shows it on its own.
  report.catch(() => undefined);
  const period = h('p', { class: 'muted', id: 'kpi-period' }, 'Measured from the RFID scans, the Point of Rental contracts and the decisions recorded.');
  void report.then(
    (k) => period.append(` Yearly figures cover the last ${k.period.days} days, ${day(k.period.from, true)} to ${day(k.period.to, true)}.`),
    () => undefined,
  );
  const count = (v: number) => num(v, 0);
  root.append(
    h('h1', {}, 'How the business is doing'),
    period,
    h(
      'div',
      { class: 'grid' },
      tile(report, TILES.stockouts, (s, body, figure) => {
        const n = s.weeks.length;
        const perWeek = (total: number) => num(total / Math.max(1, n), 1);
        body.append(
          figure(s.total.current, count, `item-days in the last ${n} weeks`, ''),
          h(
            'p',
            { class: 'sentence' },
            `About ${perWeek(s.total.current)} a week`,
            s.total.previous !== null ? `, against ${perWeek(s.total.previous)} a week in the same weeks a year earlier${changeWords(s.total.change, 'a year earlier')}` : '',
            '.',
          ),
        );
        const withEarlier = s.weeks.filter((w) => w.yearEarlier).length;
        if (s.total.previous === null) {
          body.append(
            withEarlier
              ? h('p', { class: 'muted small' }, `Only ${withEarlier} of these ${n} weeks have data from a year earlier, so no total to compare with yet.`)
              : noEarlier('same weeks a year earlier'),
          );
        }
        const soldOut = (w: Week) => `${count(w.soldOutClassDays)} (${plural(w.classes, 'item')})`;
        // Week by week: open on a wide screen; folded on a phone, where eight cards would push the other figures far down.
        const weeks = details(
          'Week by week, newest first',
          table([...s.weeks].reverse(), [
            { key: 'from', label: 'Week', primary: true, format: (_, r) => weekLabel(r as Week) },
            { key: 'soldOutClassDays', label: 'Item-days sold out', format: (_, r) => soldOut(r as Week) },
            { key: 'yearEarlier', label: 'Same week a year earlier', format: (v) => (v ? soldOut(v as Week) : 'no data') },
          ]),
        );
        weeks.classList.add('kpi-weeks');
        (weeks as HTMLDetailsElement).open = window.matchMedia('(min-width: 720px)').matches;
        body.append(weeks);
      }),
      tile(report, TILES.turns, (t, body, figure) => {
        body.append(
          figure(t.perYear, (v) => num(v, 1), 'times a year', 'not known yet'),
          h('p', {}, `${count(t.unitsRented)} units sent out over ${count(t.days)} days, from ${count(t.averageUnitsOwned)} units owned on average.`),
          before(t.previous, (p) => [`${p.perYear === null ? 'not known' : `${num(p.perYear, 1)} times`}${changeShort(t.change)}.`]),
        );
      }),
      tile(report, TILES.revenue, (r, body, figure) => {
        body.append(
          figure(r.perContract, money, 'a contract', 'no contracts yet'),
          h('p', {}, money(r.perUnit), ' per unit rented; ', money(r.revenue), ` from ${count(r.contracts)} contracts.`),
          before(r.previous, (p) => [money(p.perContract), ` a contract${changeShort(r.change)}.`]),
        );
      }),
      tile(report, TILES.acceptance, (a, body, figure) => {
        body.append(
          figure(a.rate, pct0, '', 'none decided yet'),
          h(
            'p',
            {},
            `${count(a.accepted)} approved and ${count(a.rejected)} rejected by a person since ${day(a.from, true)}; ${count(a.autoApproved)} approved automatically; ${count(a.pending)} waiting for a decision.`,
          ),
        );
        const types = Object.entries(a.byType).filter(([, t]) => t.accepted + t.rejected + t.autoApproved + t.pending > 0);
        const typeLine = ([type, t]: [string, Acceptance]) =>
          h(
            'li',
            {},
            `${typeWords(type)}: ${t.rate === null ? 'none decided by a person' : `${pct0(t.rate)} accepted (${t.accepted} of ${t.accepted + t.rejected})`}${t.pending ? `, ${t.pending} waiting` : ''}`,
          );
        if (types.length) body.append(h('ul', { class: 'small' }, ...types.map(typeLine)));
      }),
      tile(report, TILES.repairs, (r, body, figure) => {
        body.append(
          figure(r.costShare, pct0, 'of repair costs', 'no repairs yet'),
          h(
            'p',
            {},
            money(r.unplannedCost),
            ` on ${plural(r.unplannedRepairs, 'item')} that came back broken, against `,
            money(r.plannedCost),
            ` on ${plural(r.plannedRepairs, 'planned service')}.`,
          ),
          before(r.previous, (p) => [
            money(p.unplannedCost),
            ` on items that came back broken${changeShort(r.change)}, ${p.costShare === null ? 'no repairs' : `${pct0(p.costShare)} of repair costs`}.`,
          ]),
        );
        if (r.withoutEstimate > 0)
          body.append(h('p', { class: 'small muted' }, `${plural(r.withoutEstimate, 'repair')} had no cost estimate and ${r.withoutEstimate === 1 ? 'is' : 'are'} not counted.`));
      }),
      tile(report, TILES.premature, (p, body, figure) => {
        body.append(
          figure(p.count, count, p.count === 1 ? 'item' : 'items', ''),
          h('p', {}, `${count(p.count)} of the ${plural(p.retired, 'item')} taken out of the fleet were still rentable (grade ${p.minRentableGrade} or better).`),
          before(p.previous, (b) => [`${count(b.count)} of ${plural(b.retired, 'item')}${changeShort(p.change)}.`]),
        );
      }),
      tile(report, TILES.accuracy, async (a, body, figure) => {
        if (a.matched === 0) {
          const waiting = a.awaitingMeasurement;
          body.append(
            figure(null, String, '', 'none measured yet'),
            h(
              'p',
              { id: 'kpi-accuracy-none' },
              waiting > 0
                ? `${plural(waiting, 'decision')} carried out ${waiting === 1 ? 'is' : 'are'} waiting for ${waiting === 1 ? 'its' : 'their'} period to pass before the result can be measured.`
                : 'No decision has been carried out and measured yet. Once an approved decision is carried out and its period has passed, its predicted and actual effect appear here.',
            ),
          );
          return;
        }
        body.append(
          figure(a.accuracy, pct0, 'accurate', 'not known'),
          h(
            'p',
            {},
            `Over ${plural(a.matched, 'decision')} measured: predicted `,
            money(a.predicted),
            ', actual ',
            money(a.actual),
            a.awaitingMeasurement ? `; ${a.awaitingMeasurement} more waiting to be measured.` : '.',
          ),
        );
        // A pack's target names its classes by number ("60477+60634"): each is shown with its name.
        await ensureNames(a.decisions.flatMap((d) => d.target.id.match(/\d{3,8}/g) ?? []));
        body.append(
          table(a.decisions, [
            { key: 'target', label: 'Decision', primary: true, format: (_, r) => decisionTarget(r as MeasuredDecision) },
            { key: 'executedAt', label: 'Carried out', format: (v) => day(v, true) },
            { key: 'predictedImpact', label: 'Predicted', format: (v) => money(v) },
            { key: 'actualImpact', label: 'Actual', format: (v) => money(v) },
          ]),
        );
      }),
    ),
  );
}

/** "The year before: …" where the data reaches the year before; else that there is none to compare with. */
function before<T>(previous: T | null, words: (p: T) => (Node | string)[]): HTMLElement {
  return previous === null ? noEarlier('year before') : h('p', { class: 'small kpi-before' }, 'The year before: ', ...words(previous));
}

function decisionTarget(d: MeasuredDecision): HTMLElement {
  const what = typeWords(d.decisionType).replace(/s$/, '');
  return h('span', {}, `${what.charAt(0).toUpperCase()}${what.slice(1)}: `, ...(d.target.type === 'rental_class' ? [classLabel(d.target.id)] : withClassNames(d.target.id)));
}
