import { type Answer, api } from '../api.js';
import { type DecisionRoute, decisionActions, decisionIdOf, isPending } from '../decide.js';
import { h } from '../dom.js';
import { about, bySeverity, day, num, pct0, severityRank } from '../format.js';
import { classIdsIn, classLabel, ensureNames } from '../names.js';
import { card, details, money, renderAny, table, whyLine, whyOf, type Column } from '../render.js';

type Row = Record<string, unknown>;

/** The first list of records in an answer (`alerts`, `recommendations`, …), or the answer itself when it is one. */
export function findRows(body: unknown): Row[] {
  const isRows = (v: unknown): v is Row[] => Array.isArray(v) && v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x));
  if (isRows(body)) return body;
  if (body && typeof body === 'object') {
    for (const v of Object.values(body as Row)) if (isRows(v) && v.length) return v;
    for (const v of Object.values(body as Row)) if (isRows(v)) return v;
  }
  return [];
}

/** The `{item_id}` of `restock/approve-restock/{item_id}`: the alert's item (a rental class or tag). */
export function itemIdOf(r: Row): string | null {
  for (const k of ['itemId', 'item_id', 'rentalClass', 'rental_class', 'rental_class_num', 'tagId', 'tag_id']) {
    const v = r[k];
    if (typeof v === 'string' || typeof v === 'number') return String(v);
  }
  const target = r.target as Row | undefined;
  if (target && (typeof target.id === 'string' || typeof target.id === 'number')) return String(target.id);
  return null;
}

/** Restock decisions go through the restock plugin's own endpoint (it re-prices the purchase). */
const restockRoute: DecisionRoute = {
  approve: (row) => api.write('restock/approve-restock/{item_id}', { item_id: itemIdOf(row)! }, { action: 'approve', ...decisionIdBody(row) }),
  reject: (row, reason) => api.write('restock/approve-restock/{item_id}', { item_id: itemIdOf(row)! }, { action: 'reject', reason, ...decisionIdBody(row) }),
  question: 'Why reject this restock?',
};
const decisionIdBody = (row: Row) => (decisionIdOf(row) !== undefined ? { decision_id: decisionIdOf(row) } : {});

export const restockActions = (row: Row): HTMLElement => decisionActions(row, restockRoute, itemIdOf(row) !== null);

/** The purchases the restock plugin recommends; each `buy` carries its recorded decision. */
export async function restockDecisions(): Promise<{ rows: Row[]; answer: Answer<'restock/optimization-recommendations'> }> {
  const answer = await api.read('restock/optimization-recommendations');
  const rows: Row[] = Array.isArray(answer?.recommendations) ? answer.recommendations : findRows(answer);
  return { rows: bySeverity(rows), answer };
}

const severityBadge = (s: unknown): HTMLElement => (typeof s === 'string' ? h('span', { class: `sev ${s.toLowerCase()}` }, s) : h('span', { class: 'muted' }, 'no alert'));

const itemCell = (_: unknown, r: Row) =>
  h(
    'div',
    {},
    classLabel(r.rentalClass ?? r.rental_class ?? r.itemId, r.commonName ?? r.common_name ?? r.name),
    typeof r.category === 'string' ? h('div', { class: 'muted small' }, r.category) : null,
  );

const num0 = (v: unknown) => (typeof v === 'number' ? num(v, 0) : '—');

function actionText(r: Row): string {
  const q = typeof r.quantity === 'number' ? r.quantity : null;
  if (r.action === 'buy') return q === null ? 'Buy' : `Buy ${num0(q)}`;
  if (r.action === 'sub-rent') return q === null ? 'Sub-rent' : `Sub-rent ${num0(q)}`;
  return typeof r.action === 'string' ? r.action : '—';
}

/** What the purchase or sub-rental costs: the purchase cost for a buy, the sub-rent cost for a sub-rental. */
function costOf(r: Row): unknown {
  if (r.action === 'sub-rent' && typeof r.subRentCost === 'number') return r.subRentCost;
  return r.purchaseCost ?? r.amountUsd ?? (r.decision as Row | null)?.amountUsd;
}

const PURCHASE_COLUMNS: Column[] = [
  { key: 'rentalClass', label: 'Item', primary: true, format: itemCell },
  { key: 'severity', label: 'Urgency', format: (v) => severityBadge(v) },
  { key: 'action', label: 'Do', format: (_, r) => actionText(r) },
  { key: 'purchaseCost', label: 'Cost', format: (_, r) => money(costOf(r)) },
  { key: 'expectedProfit', label: 'Expected profit', format: (v) => money(v) },
  { key: 'reason', label: 'Why', full: true, format: (_, r) => (purchaseWhy(r) ? whyLine(purchaseWhy(r)) : '—') },
];

/** The highest number of units on rent that the alert's range allows, whatever the plugin calls it. */
function peakUpper(r: Row): number | null {
  for (const [k, v] of Object.entries(r)) if (typeof v === 'number' && /^peak/i.test(k) && /(bound|upper|high|p9\d|q9\d)/i.test(k)) return v;
  return null;
}

/** The expected (median) peak on rent at once. */
const peakExpected = (r: Row): number | null => {
  for (const k of ['peakExpectedOnRent', 'peakOnRentP50', 'peakOnRent', 'expectedPeak']) if (typeof r[k] === 'number') return r[k] as number;
  return null;
};

/**
 * The shortage in a sentence, from the row's own figures: "expected peak on rent 12 (up to 17) of 9 owned
 * on Fri Jun 19; 64 % chance of running short; about 2.3 days turning rentals away".
 */
function shortageWords(r: Row): string {
  const parts: string[] = [];
  const owned = typeof r.unitsOwned === 'number' ? r.unitsOwned : null;
  const onOrder = typeof r.onOrder === 'number' && r.onOrder > 0 ? ` (+${num0(r.onOrder)} on order)` : '';
  const peak = peakExpected(r);
  const upper = peakUpper(r);
  if (peak !== null) {
    const range = upper !== null && upper > peak ? ` (up to ${num0(upper)})` : '';
    parts.push(
      `expected peak on rent ${about(peak)}${range} of ${owned === null ? '?' : num0(owned)} owned${onOrder}${typeof r.peakDay === 'string' ? ` on ${day(r.peakDay)}` : ''}`,
    );
  }
  if (typeof r.shortfallProbability === 'number') parts.push(`${pct0(r.shortfallProbability)} chance of running short`);
  if (typeof r.expectedStockoutDays === 'number' && r.expectedStockoutDays >= 0.05) parts.push(`about ${num(r.expectedStockoutDays, 1)} days turning rentals away`);
  const text = parts.join('; ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** An alert's why: the plugin's own words when it gives them, else its figures in a sentence. */
export const alertWhy = (r: Row): string => whyOf(r) ?? shortageWords(r);

/** A purchase's why: its `why` when given; else the shortage it answers, then the plugin's reason for the quantity. */
export function purchaseWhy(r: Row): string {
  if (typeof r.why === 'string' && r.why.trim()) return r.why.trim();
  const given = whyOf(r);
  const shortage = shortageWords(r);
  return [shortage, given].filter(Boolean).join('. ');
}

const ALERT_COLUMNS: Column[] = [
  { key: 'rentalClass', label: 'Item', primary: true, format: itemCell },
  { key: 'severity', label: 'Urgency', format: (v) => severityBadge(v) },
  { key: 'unitsOwned', label: 'Owned', format: (v) => num0(v) },
  { key: 'onRentNow', label: 'On rent now', format: (v) => num0(v) },
  { key: 'shortfallProbability', label: 'Chance of running short', format: (v) => pct0(v) },
  { key: 'reason', label: 'Why', full: true, format: (_, r) => whyLine(alertWhy(r)) },
];

const VELOCITY_COLUMNS: Column[] = [
  { key: 'rentalClass', label: 'Item', primary: true, format: itemCell },
  { key: 'mover', label: 'Moves' },
  { key: 'revenueLastYear', label: 'Revenue last year', format: (v) => money(v) },
  { key: 'reorderPoint', label: 'Reorder at', format: (v) => num0(v) },
  { key: 'orderUpTo', label: 'Order up to', format: (v) => num0(v) },
  { key: 'abc', label: 'Revenue rank (ABC)' },
  { key: 'xyz', label: 'Steadiness (XYZ)' },
  { key: 'cv', label: 'Variability (CV)' },
];

export function restock(root: HTMLElement): void {
  root.append(
    h('h1', {}, 'Restock'),
    card(
      'What to buy or sub-rent',
      async (body) => {
        const { rows, answer } = await restockDecisions();
        await ensureNames(classIdsIn(answer));
        if (!rows.length) {
          body.append(renderAny(answer));
          return;
        }
        const pending = rows.filter(isPending).length;
        const buys = rows.filter((r) => r.action === 'buy');
        const spend = buys.reduce((s, r) => s + (typeof r.purchaseCost === 'number' ? r.purchaseCost : 0), 0);
        body.append(
          h(
            'p',
            { class: 'sentence' },
            `${rows.length} recommendation${rows.length === 1 ? '' : 's'}: ${buys.length} to buy (`,
            money(spend),
            ` in all) and ${rows.length - buys.length} to sub-rent; ${pending} await${pending === 1 ? 's' : ''} your approval. Most urgent first.`,
          ),
          h('p', { class: 'muted small' }, 'Approving needs an API key with role approve; rejecting needs role operate.'),
          table(rows, PURCHASE_COLUMNS, { label: 'Decision', render: restockActions }),
        );
        const velocity = answer?.velocity;
        if (Array.isArray(velocity) && velocity.length) {
          body.append(details(`How fast each item moves (${velocity.length} items)`, table(velocity, VELOCITY_COLUMNS)));
        }
        const policy = answer?.policy;
        if (policy && typeof policy === 'object') body.append(details('Policy behind these figures', renderAny(policy)));
      },
      { id: 'restock-decisions', wide: true },
    ),
    card(
      'Items that may run short',
      async (body) => {
        const answer = await api.read('restock/restock-alerts');
        await ensureNames(classIdsIn(answer));
        const alerts = bySeverity<Row>(Array.isArray(answer.alerts) ? answer.alerts : findRows(answer));
        if (!alerts.length) {
          body.append(h('p', { class: 'muted' }, 'No item is expected to run short.'));
          return;
        }
        const counts = alerts.reduce<Record<string, number>>((c, a) => ((c[String(a.severity ?? 'other')] = (c[String(a.severity ?? 'other')] ?? 0) + 1), c), {});
        const summary = Object.entries(counts)
          .sort(([a], [b]) => severityRank(a) - severityRank(b))
          .map(([s, n]) => `${n} ${s}`)
          .join(', ');
        const horizon = typeof answer.horizonDays === 'number' ? ` in the next ${answer.horizonDays} days` : '';
        body.append(
          h('p', { class: 'sentence' }, `${alerts.length} item${alerts.length === 1 ? '' : 's'} may run short${horizon}: ${summary}. Most urgent first.`),
          table(alerts, ALERT_COLUMNS),
        );
        const rest = Object.fromEntries(Object.entries(answer).filter(([k]) => k !== 'alerts' && k !== 'counts'));
        body.append(details('How urgency is set', renderAny(rest)));
      },
      { id: 'restock-alerts', wide: true },
    ),
  );
}
