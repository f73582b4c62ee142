// The host's log: one line per entry on stderr, as text for people or as JSON lines when structured
// logging is on (WASMCLOUD_STRUCTURED_LOGGING_ENABLED). Every part of the host takes a `Logger`, so
// tests can capture lines and providers' output can be tagged with their key. Every line is
// bounded (MAX_LOG_MESSAGE, MAX_LOG_FIELD): the last guard should a value from outside reach a
// message without truncateForDisplay (lattice/display-text.ts) at the place it entered.

import { clipText } from '../lattice/display-text.ts';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const LEVEL_ORDER: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };

export interface Logger {
  trace(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines carry `fields` as well (e.g. `{ provider: "V…" }`). */
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level: LogLevel;
  structured: boolean;
  /** Where lines go; default stderr. */
  write?: (line: string) => void;
}

/** Characters of a message kept in one line; the rest is counted, not written. */
export const MAX_LOG_MESSAGE = 8192;
/** Characters kept of each field's value. */
export const MAX_LOG_FIELD = 1024;

function textOf(fields: Record<string, unknown>): string {
  const parts = Object.entries(fields).map(([key, value]) => {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return `${key}=${clipText(String(text), MAX_LOG_FIELD)}`;
  });
  return parts.length > 0 ? ` ${parts.join(' ')}` : '';
}

/** The fields of a JSON line, string values clipped (other values are the host's own). */
function clippedFields(fields: Record<string, unknown>): Record<string, unknown> {
  const clipped: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields))
    clipped[key] = typeof value === 'string' ? clipText(value, MAX_LOG_FIELD) : value;
  return clipped;
}

export function createLogger(options: LoggerOptions, bound: Record<string, unknown> = {}): Logger {
  const threshold = LEVEL_ORDER[options.level];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const emit = (level: LogLevel, message: string, fields: Record<string, unknown> = {}) => {
    if (LEVEL_ORDER[level] < threshold) return;
    const time = new Date().toISOString();
    const all = { ...bound, ...fields };
    const text = clipText(message, MAX_LOG_MESSAGE);
    write(
      options.structured
        ? `${JSON.stringify({ time, level, message: text, ...clippedFields(all) })}\n`
        : `${time} ${level.toUpperCase().padEnd(5)} ${text}${textOf(all)}\n`,
    );
  };
  return {
    trace: (message, fields) => emit('trace', message, fields),
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}
