import type { Logger } from '@rfid3/core';

export interface Shutdown {
  /** Runs `stop` once, however often it is called or signalled. */
  close(): Promise<void>;
  /** Settles once `stop` has finished. */
  closed: Promise<void>;
}

/**
 * The one shutdown path of `serve` and `worker`: SIGINT or SIGTERM (when `handleSignals`) or `close()` runs
 * `stop` once; a second signal during it exits at once.
 */
export function gracefulShutdown(logger: Logger, handleSignals: boolean, stop: () => Promise<void>, what = 'shutting down'): Shutdown {
  let settle!: () => void;
  const closed = new Promise<void>((resolve) => {
    settle = resolve;
  });
  let closing: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn({ signal }, 'second signal during shutdown; exiting now');
      process.exit(1);
    }
    logger.info({ signal }, what);
    void close();
  };
  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (handleSignals) {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      try {
        await stop();
      } finally {
        settle();
      }
    })();
    return closing;
  };
  if (handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  return { close, closed };
}
