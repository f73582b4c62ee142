// A provider's own log: one line per entry on stderr, tagged with the provider key so lines from
// several providers (and the host, which relays them as `[V…]: line`) can be told apart. Text for
// people, or JSON lines when the host asked for structured logging in HostData. Every line is
// bounded, so a provider logging what a caller sent cannot write megabytes at once.

import { clipText } from '../../lattice/display-text.ts';
import type { LogLevel as HostDataLogLevel } from '../../lattice/host-data.ts';

/** Characters of a message kept in one line, and of each field's value. */
export const MAX_PROVIDER_LOG_MESSAGE = 8192;
export const MAX_PROVIDER_LOG_FIELD = 1024;

export type ProviderLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const LEVEL_ORDER: Record<ProviderLogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };

export interface ProviderLogger {
  trace(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface ProviderLoggerOptions {
  providerKey: string;
  /** HostData's `log_level`; `critical` (1.x) logs as `error`. Default `info`. */
  level?: HostDataLogLevel | undefined;
  structured?: boolean | undefined;
  /** Where lines go; default stderr. */
  write?: (line: string) => void;
}

function fieldsText(fields: Record<string, unknown> | undefined): string {
  if (fields === undefined) return '';
  let text = '';
  for (const [key, value] of Object.entries(fields)) {
    const shown = typeof value === 'string' ? value : String(JSON.stringify(value));
    text += ` ${key}=${clipText(shown, MAX_PROVIDER_LOG_FIELD)}`;
  }
  return text;
}

function clippedFields(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  const clipped: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields ?? {}))
    clipped[key] = typeof value === 'string' ? clipText(value, MAX_PROVIDER_LOG_FIELD) : value;
  return clipped;
}

export function createProviderLogger(options: ProviderLoggerOptions): ProviderLogger {
  const level: ProviderLogLevel = options.level === 'critical' ? 'error' : (options.level ?? 'info');
  const threshold = LEVEL_ORDER[level];
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const key = options.providerKey;
  const emit = (entryLevel: ProviderLogLevel, message: string, fields?: Record<string, unknown>) => {
    if (LEVEL_ORDER[entryLevel] < threshold) return;
    const time = new Date().toISOString();
    const text = clipText(message, MAX_PROVIDER_LOG_MESSAGE);
    write(
      options.structured
        ? `${JSON.stringify({ time, level: entryLevel, provider: key, message: text, ...clippedFields(fields) })}\n`
        : `${time} ${entryLevel.toUpperCase().padEnd(5)} [${key}] ${text}${fieldsText(fields)}\n`,
    );
  };
  return {
    trace: (message, fields) => emit('trace', message, fields),
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
  };
}
