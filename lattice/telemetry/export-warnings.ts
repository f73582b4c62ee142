// An OTLP exporter that cannot reach its endpoint must be seen (observability.md, wasmCloud #4016:
// OTel set-up that failed silently), yet not flood the log while a collector is down for hours. So
// the first failed export is a warning at once; while failures go on, another warning (with the count
// since the last) at most once per interval, the interval doubling from 30 s up to 5 min; the first
// export that succeeds again says so once. The SDK's exporters report a failure through the export's
// callback and never throw, so wrapping that callback is all it takes: nothing here crashes the
// process or leaves a rejection unhandled. Used for traces (tracing.ts) and metrics alike.

import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { errorMessage } from '../errors.ts';

export type ExportCallback = (result: ExportResult) => void;

/** What the SDK's span and metric exporters have in common: `export(items, callback)`. */
export interface CallbackExporter<Items> {
  export(items: Items, resultCallback: ExportCallback): void;
}

/** The two lines this writes (a Logger fits). */
export interface ExportWarningLog {
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
}

export interface ExportWarningOptions {
  /** The wait after the first warning before the next one; default 30 s. */
  firstIntervalMs?: number;
  /** The longest wait between two warnings; default 5 min. */
  maxIntervalMs?: number;
  /** The clock (tests); default Date.now. */
  now?: () => number;
}

const FIRST_INTERVAL_MS = 30_000;
const MAX_INTERVAL_MS = 5 * 60_000;

/**
 * Makes `exporter` warn on `log` when an export to `url` fails, with back-off (see above); returns
 * the same exporter, its `export` wrapped. `signal` names what was lost in the line.
 */
export function warnOnExportFailure<Items, Exporter extends CallbackExporter<Items>>(
  exporter: Exporter,
  signal: 'traces' | 'metrics',
  url: string,
  log: ExportWarningLog,
  options: ExportWarningOptions = {},
): Exporter {
  const firstIntervalMs = options.firstIntervalMs ?? FIRST_INTERVAL_MS;
  const maxIntervalMs = options.maxIntervalMs ?? MAX_INTERVAL_MS;
  const now = options.now ?? Date.now;
  let failing = false;
  let failuresSinceWarning = 0;
  let failuresInAll = 0;
  let lastWarningAt = 0;
  let intervalMs = firstIntervalMs;

  const onResult = (result: ExportResult): void => {
    if (result.code === ExportResultCode.SUCCESS) {
      if (!failing) return;
      log.info(`telemetry: exporting ${signal} to ${url} again, after ${failuresInAll} failed exports`, {
        signal,
        url,
      });
      failing = false;
      failuresInAll = 0;
      failuresSinceWarning = 0;
      intervalMs = firstIntervalMs;
      return;
    }
    failuresInAll++;
    failuresSinceWarning++;
    const reason = result.error === undefined ? 'no reason given' : errorMessage(result.error);
    const at = now();
    if (!failing) {
      failing = true;
    } else if (at - lastWarningAt < intervalMs) {
      return;
    } else {
      intervalMs = Math.min(intervalMs * 2, maxIntervalMs);
    }
    const count =
      failuresSinceWarning === 1 ? '' : ` (${failuresSinceWarning} failed exports since the last warning)`;
    log.warn(
      `telemetry: cannot export ${signal} to ${url}: ${reason}${count}; what they held is dropped, retrying; next warning in ${Math.round(intervalMs / 1000)} s at the earliest if it goes on`,
      { signal, url, failures: failuresInAll },
    );
    lastWarningAt = at;
    failuresSinceWarning = 0;
  };

  const original = exporter.export.bind(exporter);
  exporter.export = (items: Items, resultCallback: ExportCallback) => {
    original(items, (result) => {
      onResult(result);
      resultCallback(result);
    });
  };
  return exporter;
}
