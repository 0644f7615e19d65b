import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino';

export type Logger = PinoLogger;
export type LogLevel = LevelWithSilent;

/** Structured logs on stderr, so that a command's stdout stays clean JSON. */
export function createLogger(options: { level?: LogLevel; name?: string } = {}): Logger {
  return pino({ level: options.level ?? 'info', name: options.name ?? 'rfid3', base: undefined }, pino.destination(2));
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
