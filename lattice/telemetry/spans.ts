// A span around one piece of async work, made only while traces are on (tracing.ts): with them
// off this is one check and the work itself. The span is the current one while the work runs, so
// calls it makes (lattice/rpc.ts) carry it on; a rejection marks it ERROR with the error's text.

import { type Attributes, type Span, type SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { errorMessage } from '../errors.ts';
import { activeTracer } from './tracing.ts';

/** Marks `span` failed by `error`. */
export function recordFailure(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : errorMessage(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
}

/** Runs `run` inside a new span `name` (child of the current one) when traces are on. */
export function inSpan<T>(
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  run: () => Promise<T>,
): Promise<T> {
  const tracer = activeTracer();
  if (tracer === undefined) return run();
  return tracer.startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await run();
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}
