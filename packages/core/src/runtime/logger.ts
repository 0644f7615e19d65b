import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino';

/** The structured logger (pino). */
export type Logger = PinoLogger;
/** A log level, or `silent`. */
export type LogLevel = LevelWithSilent;

/** Structured logs on stderr, so that a command's stdout stays clean JSON. */
export function createLogger(options: { level?: LogLevel; name?: string; destination?: { write(chunk: string): unknown } } = {}): Logger {
  const destination = options.destination ?? pino.destination(2);
  return pino({ level: options.level ?? 'info', name: options.name ?? 'rfid3', base: undefined }, destination as never);
}

/** A logger that writes nothing (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
