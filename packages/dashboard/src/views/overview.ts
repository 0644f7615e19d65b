import { ApiError, api } from '../api.js';
import { h } from '../dom.js';
import { ageText, num, pct } from '../format.js';
import { card, facts, problemBox, table } from '../render.js';
import { isPending, restockDecisions } from './restock.js';

interface AccuracyRow {
  modelVersion: string;
  horizon: number | null;
  n: number;
  mae: number;
  smape: number;
  coverage: number | null;
  intervalLevel: number | null;
}

interface SystemStatus {
  status: string;
  coreVersion: string;
  database: { ok: boolean; dialect: string; latencyMs: number; error?: string };
  data: { scans: number; firstScan: string | null; lastScan: string | null; lastScanAgeHours: number | null };
  plugins: { id: string; version: string }[];
  jobs: { queued: number; running: number; failed: number };
  cache: { l2: { enabled: boolean; errors?: number } };
  [key: string]: unknown;
}

/** A promise's outcome as a value, so requests can start together without an unhandled rejection. */
const settle = <T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

/** RFID data is polled every minute and POS data weekly: a day without scans deserves a look. */
const STALE_SCAN_HOURS = 24;
/** Coverage this far below the nominal level means the intervals are too narrow. */
const COVERAGE_SLACK = 0.1;

const accuracyColumns = [
  { key: 'modelVersion', label: 'Model' },
  { key: 'n', label: 'Matched' },
  { key: 'mae', label: 'MAE', format: (v: unknown) => num(v) },
  {
    key: 'coverage',
    label: 'Coverage',
    format: (v: unknown, r: Record<string, unknown>) => (typeof v === 'number' ? `${pct(v)} of ${pct(r.intervalLevel, 0)}` : '—'),
  },
];

export function overview(root: HTMLElement): void {
  const alerts = h('ul', { class: 'alerts', id: 'alert-list' });
  const alertCard = h('section', { class: 'card', id: 'alerts' }, h('h2', {}, 'Alerts'), alerts);
  const addAlert = (level: 'bad' | 'warn' | 'ok', text: string, href?: string) => {
    alerts.querySelector('.none')?.remove();
    alerts.append(h('li', { class: level }, href ? h('a', { href }, text) : text));
  };
  let pendingChecks = 3;
  const checked = () => {
    if (--pendingChecks === 0 && !alerts.children.length) alerts.append(h('li', { class: 'ok none' }, 'Nothing needs attention.'));
  };

  root.append(
    h('h1', {}, 'Overview'),
    h(
      'div',
      { class: 'grid' },
      card(
        'Forecast accuracy',
        async (body) => {
          // All three requests at once: on a phone's slow link each round trip counts.
          const [demandR, activeR, allR] = await Promise.all([
            settle(api.get<{ byModel: AccuracyRow[]; matched: number; note?: string }>('demand/accuracy')),
            settle(api.get<{ models: { versionTag: string }[] }>('models/status')),
            settle(api.get<{ models: AccuracyRow[]; note?: string }>('health/prediction-accuracy')),
          ]);
          if (demandR.ok) {
            const demand = demandR.value;
            // The active model's figures first; older versions stay in the table below.
            const active = activeR.ok ? activeR.value.models : [];
            const latest = demand.byModel.find((r) => active.some((m) => m.versionTag === r.modelVersion)) ?? demand.byModel[demand.byModel.length - 1];
            if (latest) {
              body.append(
                h('div', { class: 'big' }, `MAE ${num(latest.mae)}`),
                h(
                  'p',
                  { class: 'muted small' },
                  `Demand (${latest.modelVersion}): mean absolute error in units a day, and ${pct(latest.coverage)} of actuals inside the ${pct(latest.intervalLevel, 0)} interval, from ${num(latest.n, 0)} forecasts matched with what happened.`,
                ),
              );
              for (const r of demand.byModel) {
                if (r.coverage !== null && r.intervalLevel !== null && r.coverage < r.intervalLevel - COVERAGE_SLACK) {
                  addAlert('warn', `${r.modelVersion}: intervals cover ${pct(r.coverage)} of actuals, below their ${pct(r.intervalLevel, 0)}`, '#/models');
                }
              }
            } else body.append(h('p', { class: 'muted' }, demand.note ?? 'No demand forecast matched yet.'));
          } else body.append(problemBox(demandR.error));
          if (!allR.ok) throw allR.error;
          const all = allR.value;
          if (all.models.length) body.append(h('h3', {}, 'Every model'), table(all.models as unknown as Record<string, unknown>[], accuracyColumns));
          else body.append(h('p', { class: 'muted' }, all.note ?? 'No prediction matched yet.'));
        },
        { id: 'accuracy', span2: true, onSettled: checked },
      ),
      card(
        'Pending decisions',
        async (body) => {
          type Rows = Record<string, unknown>[];
          const [restockR, prices, packs, alerts] = await Promise.all([
            settle(restockDecisions()),
            api.get<{ recommendations?: Rows }>('pricing/recommendations').catch(() => null),
            api.get<{ create?: Rows; dissolve?: Rows }>('packs/recommendations').catch(() => null),
            api.get<{ counts?: Record<string, number> }>('inventory/restock-alerts').catch(() => null),
          ]);
          if (restockR.ok) {
            const { rows } = restockR.value;
            const pending = rows.filter(isPending);
            body.append(
              h('div', { class: 'big', id: 'pending-count' }, String(pending.length)),
              h('p', { class: 'muted small' }, `restock purchases awaiting approval, of ${rows.length} recommendations. `, h('a', { href: '#/restock' }, 'Review')),
            );
            if (pending.length) addAlert('warn', `${pending.length} restock purchase${pending.length === 1 ? '' : 's'} awaiting approval`, '#/restock');
          } else body.append(problemBox(restockR.error));
          // Price and pack changes are recorded decisions too; they are approved outside the dashboard for now.
          const pendingPrices = (prices?.recommendations ?? []).filter(isPending).length;
          if (prices) body.append(h('p', { class: 'small', id: 'pending-prices' }, `${pendingPrices} price change${pendingPrices === 1 ? '' : 's'} flagged for review. `, h('a', { href: '#/pricing' }, 'See pricing')));
          const pendingPacks = [...(packs?.create ?? []), ...(packs?.dissolve ?? [])].filter(isPending).length;
          if (packs) body.append(h('p', { class: 'small', id: 'pending-packs' }, `${pendingPacks} pack change${pendingPacks === 1 ? '' : 's'} flagged for review. `, h('a', { href: '#/packs' }, 'See packs')));
          // Shortfall alerts by severity, when the restock plugin reports them.
          for (const [severity, n] of Object.entries(alerts?.counts ?? {})) {
            if (n > 0 && severity !== 'medium') addAlert(severity === 'critical' ? 'bad' : 'warn', `${n} ${severity} restock alert${n === 1 ? '' : 's'}: fewer units than the peak may need`, '#/restock');
          }
        },
        { id: 'pending', onSettled: checked },
      ),
      card(
        'Data freshness',
        async (body) => {
          let st: SystemStatus;
          try {
            st = await api.get<SystemStatus>('health/system-status');
          } catch (err) {
            addAlert('bad', err instanceof ApiError ? err.message : String(err));
            throw err;
          }
          {
            const age = st.data.lastScanAgeHours;
            body.append(
              h('div', { class: `big ${age !== null && age <= STALE_SCAN_HOURS ? 'ok' : 'warn'}` }, st.data.lastScan ? ageText(age) : 'no scans yet'),
              facts([
                ['lastScan', st.data.lastScan],
                ['firstScan', st.data.firstScan],
                ['scans', st.data.scans],
                ['database', st.database.ok ? `${st.database.dialect}, ${num(st.database.latencyMs, 1)} ms` : `unreachable: ${st.database.error ?? ''}`],
                ['status', st.status],
                ['plugins', st.plugins.map((p) => p.id)],
                // Whatever else the host reports about its data (feeds, imports) is shown as it comes.
                ...Object.entries(st.data).filter(([k]) => !['scans', 'firstScan', 'lastScan', 'lastScanAgeHours'].includes(k)),
              ]),
            );
            if (st.status !== 'ok') addAlert('bad', `System status is ${st.status}`, '#/models');
            if (!st.database.ok) addAlert('bad', `Database unreachable: ${st.database.error ?? ''}`);
            if (age === null) addAlert('warn', 'No RFID scan has been received yet');
            else if (age > STALE_SCAN_HOURS) addAlert('warn', `Last RFID scan was ${ageText(age)}`);
            if (st.jobs.failed > 0) addAlert('warn', `${st.jobs.failed} background job${st.jobs.failed === 1 ? '' : 's'} failed`, '#/models');
          }
        },
        { id: 'freshness', onSettled: checked },
      ),
      alertCard,
    ),
  );
}
