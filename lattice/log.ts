// The one log of the host and of every provider process: one line per entry on stderr, as text for
// people or as JSON lines when structured logging is on (the host's
// WASMCLOUD_STRUCTURED_LOGGING_ENABLED, a provider's HostData `structured_logging`). Every part
// takes a `Logger`, so tests can capture lines. A provider's lines carry its key (the `label`
// option), so lines from several providers, which the host relays as `[V…]: line`, can be told
// apart. Every line is bounded (MAX_LOG_MESSAGE, MAX_LOG_FIELD): the last guard should a value from
// outside reach a message without truncateForDisplay (display-text.ts) at the place it entered.

import { clipText } from './display-text.ts';
import type { LogLevel } from './host-data.ts';

/** The levels a line is written at; HostData's `critical` (1.x) is a threshold only. */
type EntryLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const LEVEL_ORDER: Record<EntryLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };

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
  /** Lines under this level are dropped; `critical` keeps errors only. Default `info`. */
  level?: LogLevel | undefined;
  /** JSON lines instead of text. Default false. */
  structured?: boolean | undefined;
  /**
   * Who wrote every line, shown before the message: `[value] message` in text, and `field` right
   * after `level` in JSON. A provider labels its lines `{ field: 'provider', value: its key }`.
   */
  label?: { field: string; value: string } | undefined;
  /** Where lines go; default stderr. */
  write?: ((line: string) => void) | undefined;
}

/**
 * Fields every line written now gets, from outside this file: tracing (lattice/telemetry/tracing.ts)
 * sets it to the current span's `trace_id` and `span_id`, so a line can be found from its trace.
 * Fields given to the call win (an actor's line relayed from its worker names its own span).
 * Undefined (the default, and when tracing is off) costs one check per line.
 */
export type LogCorrelation = () => Record<string, string> | undefined;

let correlation: LogCorrelation | undefined;

/** Sets (or, with undefined, removes) the fields every line written from now on gets. */
export function setLogCorrelation(fields: LogCorrelation | undefined): void {
  correlation = fields;
}

/** Characters of a message kept in one line; the rest is counted, not written. */
export const MAX_LOG_MESSAGE = 8192;
/** Characters kept of each field's value. */
export const MAX_LOG_FIELD = 1024;

function textOf(fields: Record<string, unknown>): string {
  let text = '';
  for (const [key, value] of Object.entries(fields)) {
    const shown = typeof value === 'string' ? value : String(JSON.stringify(value));
    text += ` ${key}=${clipText(shown, MAX_LOG_FIELD)}`;
  }
  return text;
}

/** The fields of a JSON line, string values clipped (other values are the program's own). */
function clippedFields(fields: Record<string, unknown>): Record<string, unknown> {
  const clipped: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields))
    clipped[key] = typeof value === 'string' ? clipText(value, MAX_LOG_FIELD) : value;
  return clipped;
}

export function createLogger(options: LoggerOptions = {}, bound: Record<string, unknown> = {}): Logger {
  const level = options.level ?? 'info';
  const threshold = LEVEL_ORDER[level === 'critical' ? 'error' : level];
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const { label } = options;
  const textLabel = label === undefined ? '' : `[${label.value}] `;
  const emit = (entryLevel: EntryLevel, message: string, fields: Record<string, unknown> = {}) => {
    if (LEVEL_ORDER[entryLevel] < threshold) return;
    const time = new Date().toISOString();
    const all = { ...bound, ...correlation?.(), ...fields };
    const text = clipText(message, MAX_LOG_MESSAGE);
    if (!options.structured) {
      write(`${time} ${entryLevel.toUpperCase().padEnd(5)} ${textLabel}${text}${textOf(all)}\n`);
      return;
    }
    const head: Record<string, unknown> = { time, level: entryLevel };
    if (label !== undefined) head[label.field] = label.value;
    write(`${JSON.stringify({ ...head, message: text, ...clippedFields(all) })}\n`);
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
