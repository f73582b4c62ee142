// The SERVER span of one HTTP request through an actor's listener (actor-listener.ts, so the
// httpserver provider process and the host's built-in one alike): it continues a `traceparent` the
// client sent, follows the HTTP semantic conventions (http.request.method, url.path,
// server.address, server.port, http.response.status_code; a 5xx reply is status ERROR), and is
// the current span while the actor is called, so the invocation carries it on. With traces off no
// span is made; a client's `traceparent` is still the current context, so it is passed along.

import type { IncomingMessage } from 'node:http';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import { recordFailure } from '../telemetry/spans.ts';
import { httpTraceContext, withTraceContext } from '../telemetry/trace-context.ts';
import { activeTracer } from '../telemetry/tracing.ts';
import type { ListenAddress } from './settings.ts';

/** The host and port the client addressed (its Host header), else where the listener is. */
function serverOf(raw: IncomingMessage, listening: ListenAddress): { address: string; port: number } {
  const host = raw.headers.host;
  const match = host === undefined ? null : /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  if (match === null) return { address: listening.host, port: listening.port };
  return { address: match[1]!, port: match[2] === undefined ? listening.port : Number(match[2]) };
}

/** Runs `serve` (which answers the request with a status) inside the request's SERVER span. */
export function inServerSpan<Answer extends { statusCode: number }>(
  raw: IncomingMessage,
  listening: ListenAddress,
  scheme: 'http' | 'https',
  serve: () => Promise<Answer>,
): Promise<Answer> {
  const parent = httpTraceContext(raw.headers);
  const tracer = activeTracer();
  if (tracer === undefined) return withTraceContext(parent, serve);
  const method = (raw.method ?? 'GET').toUpperCase();
  const url = raw.url ?? '/';
  const question = url.indexOf('?');
  const server = serverOf(raw, listening);
  const within = parent ?? context.active();
  const span = tracer.startSpan(
    method,
    {
      kind: SpanKind.SERVER,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: method,
        [ATTR_URL_PATH]: question === -1 ? url : url.slice(0, question),
        [ATTR_URL_SCHEME]: scheme,
        [ATTR_SERVER_ADDRESS]: server.address,
        [ATTR_SERVER_PORT]: server.port,
      },
    },
    within,
  );
  return context.with(trace.setSpan(within, span), async () => {
    try {
      const answer = await serve();
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, answer.statusCode);
      if (answer.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      return answer;
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}
