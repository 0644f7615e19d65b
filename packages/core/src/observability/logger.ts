import type { LevelWithSilent, Logger as PinoLogger } from 'pino';
import type * as Pino from 'pino';
import { optionalPeer } from '../optional-peers.js';

/** The structured logger (pino). */
export type Logger = PinoLogger;
/** A log level, or `silent`. */
export type LogLevel = LevelWithSilent;

/** pino when installed (the host depends on it); without it, the plain JSON-lines logger below. */
const pinoModule = optionalPeer<typeof Pino>('pino');

const LEVELS: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/**
 * pino's JSON lines (`level`, `time`, `name`, the bindings, the object, `msg`) for an embedder without pino: the
 * methods core and plugins call (`trace`…`fatal`, `child`, `isLevelEnabled`, `level`). Errors keep their message and stack.
 */
function plainLogger(level: LogLevel, bindings: Record<string, unknown>, write: (line: string) => unknown): Logger {
  const threshold = LEVELS[level] ?? LEVELS.info;
  const log = (n: number) => (objOrMsg?: unknown, msg?: string) => {
    if (n < threshold) return;
    const fields = typeof objOrMsg === 'object' && objOrMsg !== null ? (objOrMsg instanceof Error ? { err: objOrMsg } : (objOrMsg as Record<string, unknown>)) : {};
    const text = typeof objOrMsg === 'string' ? objOrMsg : msg;
    const line = { level: n, time: Date.now(), ...bindings, ...fields, ...(text !== undefined ? { msg: text } : {}) };
    write(`${JSON.stringify(line, (_k, v: unknown) => (v instanceof Error ? { type: v.name, message: v.message, stack: v.stack } : v))}\n`);
  };
  const logger = {
    level,
    trace: log(10),
    debug: log(20),
    info: log(30),
    warn: log(40),
    error: log(50),
    fatal: log(60),
    silent: () => {},
    isLevelEnabled: (l: LogLevel) => LEVELS[l] >= threshold,
    child: (more: Record<string, unknown>) => plainLogger(level, { ...bindings, ...more }, write),
    bindings: () => bindings,
    flush: () => {},
  };
  return logger as unknown as Logger;
}

/** Structured logs on stderr, so that a command's stdout stays clean JSON. */
export function createLogger(options: { level?: LogLevel; name?: string; destination?: { write(chunk: string): unknown } } = {}): Logger {
  const level = options.level ?? 'info';
  const name = options.name ?? 'rfid3';
  if (!pinoModule) {
    const out = options.destination ?? process.stderr;
    return plainLogger(level, { name }, (line) => out.write(line));
  }
  const destination = options.destination ?? pinoModule.pino.destination(2);
  return pinoModule.pino({ level, name, base: undefined }, destination);
}

/** A logger that writes nothing (tests). */
export function silentLogger(): Logger {
  return pinoModule ? pinoModule.pino({ level: 'silent' }) : plainLogger('silent', {}, () => {});
}
