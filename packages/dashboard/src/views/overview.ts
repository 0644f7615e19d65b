import { ApiError, type Answer, api } from '../api.js';
import { isPending } from '../decide.js';
import { h } from '../dom.js';
import { about, ageText, bySeverity, num, pct0 } from '../format.js';
import { classIdsIn, classLabel, ensureNames } from '../names.js';
import { card, details, facts, problemBox, table } from '../render.js';
import { accuracySentence, byWeekAhead, coverageVerdict, forecastsCount, predictionWhat } from '../words.js';
import { restockDecisions } from './restock.js';

/** The answer of `GET health/system-status`, typed from the OpenAPI document. */
type SystemStatus = Answer<'health/system-status'>;

type Row = Record<string, unknown>;

/** A promise's outcome as a value, so requests can start together without an unhandled rejection. */
const settle = <T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

/** RFID data is polled every minute and POS data weekly: a day without scans deserves a look. */
const STALE_SCAN_HOURS = 24;
/** Critical items named one by one in the attention list; the rest are counted. */
const NAMED_CRITICAL = 5;

/** The model figures behind the sentences, for whoever wants them. */
const ACCURACY_COLUMNS = [
  { key: 'modelVersion', label: 'Model' },
  { key: 'n', label: 'Forecasts matched' },
  { key: 'mae', label: 'MAE', format: (v: unknown) => num(v) },
  { key: 'smape', label: 'sMAPE %', format: (v: unknown) => num(v, 1) },
  { key: 'coverage', label: 'Interval coverage', format: (v: unknown, r: Row) => (typeof v === 'number' ? `${pct0(v)} of ${pct0(r.intervalLevel)}` : '—') },
];

export function overview(root: HTMLElement): void {
  const alerts = h('ul', { class: 'alerts', id: 'alert-list' });
  const alertCard = h('section', { class: 'card', id: 'alerts' }, h('h2', {}, 'Needs attention'), alerts);
  const RANK = { bad: 0, warn: 1, ok: 2 } as const;
  // Worst first, whichever card reports it first.
  const addAlert = (level: keyof typeof RANK, content: string | Node, href?: string) => {
    alerts.querySelector('.none')?.remove();
    const li = h('li', { class: level, 'data-rank': RANK[level] }, href ? h('a', { href }, content) : content);
    const after = [...alerts.children].find((c) => Number((c as HTMLElement).dataset.rank) > RANK[level]);
    alerts.insertBefore(li, after ?? null);
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
        'How good the forecasts are',
        async (body) => {
          // All three requests at once: on a phone's slow link each round trip counts.
          const [demandR, activeR, allR] = await Promise.all([
            settle(api.read('demand/accuracy')),
            settle(api.read('models/status')),
            settle(api.read('health/prediction-accuracy')),
          ]);
          if (demandR.ok) {
            const demand = demandR.value;
            // The active model's figures first; older versions stay in the table below.
            const active = activeR.ok ? activeR.value.models : [];
            const latest = demand.byModel.find((r) => active.some((m) => m.versionTag === r.modelVersion)) ?? demand.byModel[demand.byModel.length - 1];
            if (latest) {
              body.append(
                h('p', { class: 'sentence', id: 'accuracy-sentence' }, accuracySentence(latest)),
                h('p', { class: 'muted small' }, `From ${forecastsCount(latest.n)} of daily units going out, checked against what actually went out.`),
              );
              const weeks = byWeekAhead((demand.byHorizon ?? []).filter((r) => r.modelVersion === latest.modelVersion));
              if (weeks.length > 1) {
                body.append(
                  h(
                    'ul',
                    { class: 'small', id: 'accuracy-weeks' },
                    ...weeks.map((w) =>
                      h(
                        'li',
                        {},
                        `${w.week} week${w.week === 1 ? '' : 's'} ahead: off by about ${about(w.mae)} units a day${w.coverage !== null ? `, ranges held ${pct0(w.coverage)}` : ''}`,
                      ),
                    ),
                  ),
                );
              }
              const onRent = demand.onRent?.byModel?.[0];
              if (onRent) body.append(h('p', { class: 'small' }, accuracySentence(onRent, 'Forecasts of units on rent at once', 'units')));
              for (const r of demand.byModel) {
                if (r.coverage !== null && r.intervalLevel !== null && coverageVerdict(r.coverage, r.intervalLevel) === 'narrow') {
                  addAlert('warn', `Forecast ranges hold only ${pct0(r.coverage)} of the time, though they promise ${pct0(r.intervalLevel)}`, '#/models');
                }
              }
            } else body.append(h('p', { class: 'muted' }, demand.note ?? 'No demand forecast matched yet.'));
          } else body.append(problemBox(demandR.error));
          if (!allR.ok) throw allR.error;
          const all = allR.value;
          const others = all.models.filter((m) => m.predictionType !== 'demand.units_out');
          for (const m of others) body.append(h('p', { class: 'small' }, accuracySentence(m, `Predictions of ${predictionWhat(m.predictionType)}`, 'units')));
          body.append(all.models.length ? details('Model figures', table(all.models, ACCURACY_COLUMNS)) : h('p', { class: 'muted' }, all.note ?? 'No prediction matched yet.'));
        },
        { id: 'accuracy', span2: true, onSettled: checked },
      ),
      card(
        'Waiting for a decision',
        async (body) => {
          const [restockR, prices, packs, alertsAnswer] = await Promise.all([
            settle(restockDecisions()),
            api.read('pricing/recommendations').catch(() => null),
            api.read('pack/recommendations').catch(() => null),
            api.read('restock/restock-alerts').catch(() => null),
          ]);
          if (restockR.ok) {
            const { rows } = restockR.value;
            const pending = rows.filter(isPending);
            body.append(
              h('div', { class: 'big', id: 'pending-count' }, String(pending.length)),
              h('p', { class: 'muted small' }, `restock purchases await approval, of ${rows.length} recommendations. `, h('a', { href: '#/restock' }, 'Review')),
            );
            if (pending.length) addAlert('warn', `${pending.length} restock purchase${pending.length === 1 ? '' : 's'} awaiting approval`, '#/restock');
          } else body.append(problemBox(restockR.error));
          const pendingPrices = (prices?.recommendations ?? []).filter(isPending).length;
          if (prices)
            body.append(
              h(
                'p',
                { class: 'small', id: 'pending-prices' },
                `${pendingPrices} price change${pendingPrices === 1 ? '' : 's'} flagged for review. `,
                h('a', { href: '#/pricing' }, 'See pricing'),
              ),
            );
          const pendingPacks = [...(packs?.create ?? []), ...(packs?.dissolve ?? [])].filter(isPending).length;
          if (packs)
            body.append(
              h(
                'p',
                { class: 'small', id: 'pending-packs' },
                `${pendingPacks} pack change${pendingPacks === 1 ? '' : 's'} flagged for review. `,
                h('a', { href: '#/packs' }, 'See packs'),
              ),
            );
          // Critical shortfalls by name, worst first; the other levels counted.
          const list = bySeverity(Array.isArray(alertsAnswer?.alerts) ? alertsAnswer.alerts : []);
          await ensureNames(classIdsIn(list));
          const critical = list.filter((a) => a.severity === 'critical');
          for (const a of critical.slice(0, NAMED_CRITICAL)) {
            const chance = typeof a.shortfallProbability === 'number' ? ` (${pct0(a.shortfallProbability)} chance)` : '';
            addAlert('bad', h('span', {}, 'Critical: ', classLabel(a.rentalClass, a.commonName), ` may run short${chance}`), '#/restock');
          }
          const counts = alertsAnswer?.counts ?? list.reduce<Record<string, number>>((c, a) => ((c[String(a.severity)] = (c[String(a.severity)] ?? 0) + 1), c), {});
          for (const [severity, n] of Object.entries(counts)) {
            const more = severity === 'critical' ? n - Math.min(n, NAMED_CRITICAL, critical.length) : n;
            if (more > 0 && severity !== 'medium' && severity !== 'low') {
              addAlert(
                severity === 'critical' ? 'bad' : 'warn',
                `${more} ${severity === 'critical' ? 'more critical' : severity} restock alert${more === 1 ? '' : 's'}: fewer units than the peak may need`,
                '#/restock',
              );
            }
          }
        },
        { id: 'pending', onSettled: checked },
      ),
      card(
        'Is the data fresh?',
        async (body) => {
          let st: SystemStatus;
          try {
            st = await api.read('health/system-status');
          } catch (err) {
            addAlert('bad', err instanceof ApiError ? err.message : String(err));
            throw err;
          }
          const age = st.data.lastScanAgeHours;
          body.append(
            h('div', { class: `big ${age !== null && age <= STALE_SCAN_HOURS ? 'ok' : 'warn'}` }, st.data.lastScan ? ageText(age) : 'no scans yet'),
            h('p', { class: 'muted small' }, 'since the last RFID scan arrived'),
            facts([
              ['Last scan', st.data.lastScan],
              ['First scan', st.data.firstScan],
              ['Scans recorded', st.data.scans],
              ['Database', st.database.ok ? `${st.database.dialect}, answering in ${num(st.database.latencyMs, 1)} ms` : `unreachable: ${st.database.error ?? ''}`],
              ['System', st.status === 'ok' ? 'working normally' : st.status],
              ['Plugins', st.plugins.map((p) => p.id).join(', ')],
              // Whatever else the host reports about its data (feeds, imports) is shown as it comes.
              ...Object.entries(st.data).filter(([k]) => !['scans', 'firstScan', 'lastScan', 'lastScanAgeHours'].includes(k)),
            ]),
          );
          if (st.status !== 'ok') addAlert('bad', `System status is ${st.status}`, '#/models');
          if (!st.database.ok) addAlert('bad', `Database unreachable: ${st.database.error ?? ''}`);
          if (age === null) addAlert('warn', 'No RFID scan has been received yet');
          else if (age > STALE_SCAN_HOURS) addAlert('warn', `Last RFID scan was ${ageText(age)}`);
          if (st.jobs.failed > 0) addAlert('warn', `${st.jobs.failed} background job${st.jobs.failed === 1 ? '' : 's'} failed`, '#/models');
        },
        { id: 'freshness', onSettled: checked },
      ),
      alertCard,
    ),
  );
}
