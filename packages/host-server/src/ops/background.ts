import type { Runtime } from '@rfid3/core';
import type { HostConfig } from '../config.js';
import { VendorPoller } from '../poller/rfidpro.js';
import { HostScheduler } from './scheduler.js';
import { WebhookNotifier } from './webhooks.js';

export interface Background {
  scheduler: HostScheduler | null;
  poller: VendorPoller | null;
  notifier: WebhookNotifier | null;
}

/**
 * What `rfid3 serve` runs beside the API: the scheduler (precompute after each retrain and nightly,
 * notification checks), the vendor poller when configured, and webhooks when URLs are configured.
 * All of it stops with the runtime.
 */
export function startBackground(runtime: Runtime, config: Pick<HostConfig, 'webhooks' | 'poller' | 'scheduler'>): Background {
  const notifier = config.webhooks?.urls.length
    ? new WebhookNotifier(config.webhooks, { database: runtime.database, clock: runtime.clock, logger: runtime.logger.child({ part: 'webhooks' }) })
    : null;
  const scheduler =
    config.scheduler?.enabled === false
      ? null
      : new HostScheduler(runtime, {
          nightly: config.scheduler?.nightly,
          refreshMinutes: config.scheduler?.refreshMinutes,
          notifier: notifier ?? undefined,
          highValueUsd: config.webhooks?.highValueUsd,
        });
  const poller = config.poller
    ? new VendorPoller(config.poller, {
        database: runtime.database,
        clock: runtime.clock,
        logger: runtime.logger.child({ part: 'poller' }),
        events: runtime.events,
        onFailure: async (error, source) => {
          await notifier?.notify('data-source.failed', { source, error: error.message }, { dedupeKey: `${source}-${runtime.clock.now().toISOString().slice(0, 13)}` });
        },
      })
    : null;
  scheduler?.start();
  poller?.start();
  runtime.addStopHook(async () => {
    await poller?.stop();
    await scheduler?.stop();
  });
  return { scheduler, poller, notifier };
}
