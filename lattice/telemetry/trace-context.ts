// W3C Trace Context (`traceparent`, `tracestate`) on the lattice, by the SDK's own
// W3CTraceContextPropagator: written into an outgoing invocation's NATS headers and its
// `traceContext` map (protocol.md §3, observability.md "Traces": fill both), read back from an
// incoming one — headers first (the OTP and 1.x hosts read them), then `traceContext` (wasmbus-rpc
// 0.10 fills only that). Both ends are cheap when there is nothing to carry: no current span means
// no carrier object and no headers, and a message without `traceparent` is not parsed.

import {
  type Context,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { type MsgHdrs, headers as natsHeaders } from '../nats.ts';

const propagator = new W3CTraceContextPropagator();

const TRACEPARENT = 'traceparent';

/** `traceparent` and, when there is one, `tracestate`: an invocation's `traceContext` map. */
export type TraceCarrier = Record<string, string>;

const natsHeaderGetter: TextMapGetter<MsgHdrs> = {
  get: (carrier, key) => (carrier.has(key) ? carrier.get(key) : undefined),
  keys: (carrier) => carrier.keys(),
};

/** The W3C fields of `from` (default: the current context); undefined when it holds no span. */
export function traceCarrierOf(from: Context = context.active()): TraceCarrier | undefined {
  if (trace.getSpanContext(from) === undefined) return undefined;
  const carrier: TraceCarrier = {};
  propagator.inject(from, carrier, defaultTextMapSetter);
  return carrier[TRACEPARENT] === undefined ? undefined : carrier;
}

/** NATS message headers holding the carrier's fields. */
export function traceHeaders(carrier: TraceCarrier): MsgHdrs {
  const headers = natsHeaders();
  for (const [key, value] of Object.entries(carrier)) headers.set(key, value);
  return headers;
}

/** A context whose parent is the carrier's span, when it holds a valid `traceparent`. */
function extracted<Carrier>(carrier: Carrier, getter: TextMapGetter<Carrier>): Context | undefined {
  const found = propagator.extract(ROOT_CONTEXT, carrier, getter);
  return trace.getSpanContext(found) === undefined ? undefined : found;
}

/**
 * The context an incoming invocation continues: from its NATS headers, else from its
 * `traceContext`; undefined when neither carries a valid `traceparent`.
 */
export function incomingTraceContext(
  headers: MsgHdrs | undefined,
  traceContext: Readonly<Record<string, string>> | undefined,
): Context | undefined {
  if (headers?.has(TRACEPARENT)) {
    const fromHeaders = extracted(headers, natsHeaderGetter);
    if (fromHeaders !== undefined) return fromHeaders;
  }
  if (traceContext?.[TRACEPARENT] !== undefined) return extracted(traceContext, defaultTextMapGetter);
  return undefined;
}

/** The context of an incoming HTTP request's `traceparent` header (Node's lower-cased headers). */
export function httpTraceContext(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): Context | undefined {
  return headers[TRACEPARENT] === undefined ? undefined : extracted(headers, defaultTextMapGetter);
}

/** Runs `run` with `parent` as the current context; just runs it when there is none. */
export function withTraceContext<T>(parent: Context | undefined, run: () => T): T {
  return parent === undefined ? run() : context.with(parent, run);
}

/** `trace_id` and `span_id` of the current span, for a log line; undefined when there is none. */
export function currentTraceIds(): { trace_id: string; span_id: string } | undefined {
  const span = trace.getSpanContext(context.active());
  return span === undefined ? undefined : { trace_id: span.traceId, span_id: span.spanId };
}
