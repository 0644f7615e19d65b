import { ApiError, api, operateKey } from '../api.js';
import { h } from '../dom.js';
import { card, problemBox, renderAny, table } from '../render.js';
import { askForKey } from '../key.js';

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

const statusOf = (r: Row): unknown => (r.decision && typeof r.decision === 'object' ? (r.decision as Row).status : undefined) ?? r.decisionStatus ?? r.status;

export const isPending = (r: Row): boolean => statusOf(r) === 'pending';

/** The `{item_id}` of `inventory/approve-restock/{item_id}`: the alert's item (a rental class or tag). */
export function itemIdOf(r: Row): string | null {
  for (const k of ['itemId', 'item_id', 'rentalClass', 'rental_class', 'rental_class_num', 'tagId', 'tag_id']) {
    const v = r[k];
    if (typeof v === 'string' || typeof v === 'number') return String(v);
  }
  const target = r.target as Row | undefined;
  if (target && (typeof target.id === 'string' || typeof target.id === 'number')) return String(target.id);
  return null;
}

function decisionIdOf(r: Row): number | undefined {
  const d = r.decision as Row | undefined;
  const v = d && typeof d === 'object' ? d.id : (r.decisionId ?? r.decision_id);
  return typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
}

async function decide(row: Row, approve: boolean, reason: string | undefined, cell: HTMLElement): Promise<void> {
  const id = itemIdOf(row);
  if (!id) return;
  if (!operateKey.get() && !(await askForKey())) return;
  cell.replaceChildren(h('span', { class: 'muted' }, approve ? 'Approving…' : 'Rejecting…'));
  try {
    const decisionId = decisionIdOf(row);
    const result = await api.post<Row>(`inventory/approve-restock/${encodeURIComponent(id)}`, {
      action: approve ? 'approve' : 'reject',
      ...(decisionId !== undefined ? { decision_id: decisionId } : {}),
      ...(reason ? { reason } : {}),
    });
    const status = (result && (statusOf(result) as string)) || (approve ? 'approved' : 'rejected');
    cell.replaceChildren(h('span', { class: `badge ${status}`, 'data-result': status }, status));
  } catch (err) {
    if (err instanceof ApiError && err.problem.status === 401) operateKey.clear();
    cell.replaceChildren(problemBox(err), actions(row));
  }
}

function actions(row: Row): HTMLElement {
  const cell = h('div', { class: 'decide' });
  if (!isPending(row) || !itemIdOf(row)) {
    const st = statusOf(row);
    cell.append(h('span', { class: `badge ${String(st ?? '')}` }, String(st ?? '—')));
    return cell;
  }
  cell.append(
    h('button', { type: 'button', class: 'primary approve', onclick: () => void decide(row, true, undefined, cell) }, 'Approve'),
    h(
      'button',
      {
        type: 'button',
        class: 'reject',
        onclick: () => {
          const reason = window.prompt('Why reject this restock?', '');
          if (reason !== null) void decide(row, false, reason || 'rejected from the dashboard', cell);
        },
      },
      'Reject',
    ),
  );
  return cell;
}

/** The purchases the restock plugin recommends; each `buy` carries its recorded decision. */
export async function restockDecisions(): Promise<{ rows: Row[]; answer: unknown }> {
  const answer = await api.get<Row>('inventory/optimization-recommendations');
  const rows = Array.isArray(answer?.recommendations) ? (answer.recommendations as Row[]) : findRows(answer);
  return { rows, answer };
}

const DECISION_COLUMNS = [
  { key: 'rentalClass', label: 'Rental class' },
  { key: 'commonName', label: 'Item' },
  { key: 'severity' },
  { key: 'action' },
  { key: 'quantity' },
  { key: 'purchaseCost', label: 'Cost' },
  { key: 'expectedProfit', label: 'Expected profit' },
  { key: 'purchaseRoi', label: 'ROI' },
  { key: 'reason' },
];

export function restock(root: HTMLElement): void {
  root.append(
    h('h1', {}, 'Restock'),
    card(
      'Purchases and their decisions',
      async (body) => {
        const { rows, answer } = await restockDecisions();
        if (!rows.length) {
          body.append(renderAny(answer));
          return;
        }
        const pending = rows.filter(isPending).length;
        // Known columns when the rows have them; otherwise whatever the plugin sends.
        const known = DECISION_COLUMNS.filter((c) => rows.some((r) => r[c.key] !== undefined));
        body.append(
          h('p', { class: 'muted small' }, `${rows.length} recommendations, ${pending} awaiting approval. Approving needs an approve key; rejecting needs an operate key.`),
          table(rows, known.length >= 3 ? known : undefined, { label: 'Decision', render: actions }),
        );
        const velocity = (answer as Row | undefined)?.velocity;
        if (Array.isArray(velocity) && velocity.length) body.append(h('h3', {}, `Velocity classes (${velocity.length})`), table(velocity as Row[]));
      },
      { id: 'restock-decisions', wide: true },
    ),
    card('Restock alerts', async (body) => void body.append(renderAny(await api.get('inventory/restock-alerts'))), { id: 'restock-alerts', wide: true }),
  );
}
