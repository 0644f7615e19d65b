import { ApiError, api, operateKey, type PostAnswer } from './api.js';
import { h } from './dom.js';
import { askForKey } from './key.js';
import { problemBox } from './render.js';

type Row = Record<string, unknown>;

/** A row's recorded decision status, wherever the plugin puts it. */
export const statusOf = (r: Row): unknown => (r.decision && typeof r.decision === 'object' ? (r.decision as Row).status : undefined) ?? r.decisionStatus ?? r.status;

export const isPending = (r: Row): boolean => statusOf(r) === 'pending';

export function decisionIdOf(r: Row): number | undefined {
  const d = r.decision as Row | undefined;
  const v = d && typeof d === 'object' ? d.id : (r.decisionId ?? r.decision_id);
  return typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** What approving or rejecting answers: the decision as recorded now (the ledger's and the restock plugin's endpoints alike). */
export type Decided = PostAnswer<'decisions/{id}/approve'> | PostAnswer<'restock/approve-restock/{item_id}'>;

/** How one kind of recommendation is approved and rejected over HTTP. */
export interface DecisionRoute {
  approve(row: Row): Promise<Decided>;
  reject(row: Row, reason: string): Promise<Decided>;
  /** Asked before a reject: "Why reject this restock?". */
  question: string;
}

/** Any recorded decision, by its id, through the ledger's own endpoints (approve needs role approve). */
export const ledgerRoute = (what: string): DecisionRoute => ({
  approve: (row) => api.write('decisions/{id}/approve', { id: decisionIdOf(row)! }, {}),
  reject: (row, reason) => api.write('decisions/{id}/reject', { id: decisionIdOf(row)! }, { reason }),
  question: `Why reject this ${what}?`,
});

async function decide(row: Row, route: DecisionRoute, approve: boolean, reason: string | undefined, box: HTMLElement): Promise<void> {
  if (!operateKey.get() && !(await askForKey())) return;
  box.replaceChildren(h('span', { class: 'muted' }, approve ? 'Approving…' : 'Rejecting…'));
  try {
    const result = approve ? await route.approve(row) : await route.reject(row, reason ?? 'rejected from the dashboard');
    const status = result?.decision?.status ?? (approve ? 'approved' : 'rejected');
    box.replaceChildren(h('span', { class: `badge ${status}`, 'data-result': status }, status));
  } catch (err) {
    if (err instanceof ApiError && err.problem.status === 401) operateKey.clear();
    box.replaceChildren(problemBox(err), decisionActions(row, route));
  }
}

/**
 * Approve / Reject for a pending decision, or its status badge when it is decided (or has no record).
 * `canDecide` says whether the row can be addressed at all (an item id, a decision id).
 */
export function decisionActions(row: Row, route: DecisionRoute, canDecide = decisionIdOf(row) !== undefined): HTMLElement {
  const box = h('div', { class: 'decide' });
  if (!isPending(row) || !canDecide) {
    const st = statusOf(row);
    box.append(h('span', { class: `badge ${String(st ?? 'none')}` }, typeof st === 'string' ? st : 'no open decision'));
    return box;
  }
  box.append(
    h('button', { type: 'button', class: 'primary approve', onclick: () => void decide(row, route, true, undefined, box) }, 'Approve'),
    h(
      'button',
      {
        type: 'button',
        class: 'reject',
        onclick: () => {
          const reason = window.prompt(route.question, '');
          if (reason !== null) void decide(row, route, false, reason || 'rejected from the dashboard', box);
        },
      },
      'Reject',
    ),
  );
  return box;
}
