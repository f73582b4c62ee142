// Traces inside a worker thread (an isolate of its own, so a tracer of its own): started from the
// settings the host hands every worker (WorkerRpcSettings.tracing), and the span of each actor call
// the worker runs, `component_invocation` with the 1.x attributes `func` (the operation) and `id`
// (the actor's key). Its parent is whatever is current when the call starts: the caller's span
// from NATS (worker-rpc.ts), the HTTP request's span (builtin-http.ts), the calling actor's span for
// a call between actors of this host. With traces off no span is made (`activeTracer()` undefined).

import { context, SpanKind, trace } from '@opentelemetry/api';
import { createLogger } from '../../lattice/log.ts';
import { inSpan } from '../../lattice/telemetry/spans.ts';
import { activeTracer, startTracing, type Tracing } from '../../lattice/telemetry/tracing.ts';
import type { WorkerTracingSettings } from './types.ts';

/** The name of the span of one actor call, as wasmCloud 1.x names it. */
export const INVOCATION_SPAN = 'component_invocation';

/**
 * Starts this worker's tracer (or only the carrying of incoming trace context, with traces off).
 * Its warnings (an unreachable exporter) are written to stderr as the host writes its own lines.
 */
export function startWorkerTracing(
  tracing: WorkerTracingSettings | undefined,
  workerId: number,
): Promise<Tracing> | undefined {
  if (tracing === undefined) return undefined;
  const log = createLogger(tracing.log).child({ worker: workerId });
  return startTracing(tracing.settings, {
    serviceName: 'wasmcloud-host',
    attributes: tracing.attributes,
    log,
  });
}

/** Runs one actor call inside its span; a caller from another process makes it a SERVER span. */
export function inInvocationSpan<T>(actorId: string, operation: string, run: () => Promise<T>): Promise<T> {
  if (activeTracer() === undefined) return run();
  const remote = trace.getSpanContext(context.active())?.isRemote === true;
  return inSpan(
    INVOCATION_SPAN,
    remote ? SpanKind.SERVER : SpanKind.INTERNAL,
    { func: operation, id: actorId },
    run,
  );
}
