import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino';

export type Logger = PinoLogger;
export type LogLevel = LevelWithSilent;

/** Structured logs on stderr, so that a command's stdout stays clean JSON. */
export function createLogger(options: { level?: LogLevel; name?: string; destination?: { write(chunk: string): unknown } } = {}): Logger {
  const destination = options.destination ?? pino.destination(2);
  return pino({ level: options.level ?? 'info', name: options.name ?? 'rfid3', base: undefined }, destination);
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
