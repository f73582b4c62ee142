// Sampling and pass-through at the httpserver's listener (lattice/httpserver/, shared by the provider
// process and the host's built-in), with a tracer started as a process starts it
// (lattice/telemetry/tracing.ts) but exporting to memory: ratio 0 and no parent records nothing, a
// sampled parent is followed whatever the ratio, a 5xx is status ERROR, traces off still hand the
// client's traceparent on unchanged, and a JSON log line written while a span is current names it.

import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, test } from 'vitest';
import { ActorListener } from '../../lattice/httpserver/actor-listener.ts';
import { loadSettings } from '../../lattice/httpserver/settings.ts';
import { createLogger } from '../../lattice/log.ts';
import { encodePayload } from '../../lattice/payload.ts';
import { readTelemetrySettings } from '../../lattice/telemetry/settings.ts';
import { traceCarrierOf } from '../../lattice/telemetry/trace-context.ts';
import { startTracing, type Tracing } from '../../lattice/telemetry/tracing.ts';
import { classifyActorCallError } from '../../providers/httpserver/listeners.ts';
import { freePort } from '../helpers/nats-server.ts';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

let tracing: Tracing | undefined;
let listener: ActorListener | undefined;

afterEach(async () => {
  await listener?.close(100);
  await tracing?.shutdown();
  listener = undefined;
  tracing = undefined;
});

/** A listener whose actor answers `status` and records the trace context it was called in. */
async function listen(status = 200) {
  const seen: (Record<string, string> | undefined)[] = [];
  const lines: string[] = [];
  const log = createLogger({ structured: true, write: (line) => void lines.push(line) });
  const port = await freePort();
  listener = await ActorListener.open({
    actorId: 'MTEST',
    settings: loadSettings({ ADDRESS: `127.0.0.1:${port}` }).settings,
    call: async () => {
      seen.push(traceCarrierOf());
      log.info('the actor was called');
      return encodePayload({ statusCode: status, header: {}, body: new TextEncoder().encode('ok') });
    },
    logFailure: () => undefined,
    classifyFailure: classifyActorCallError,
  });
  const get = (traceparent?: string) =>
    fetch(`http://127.0.0.1:${port}/items?x=1`, {
      headers: traceparent === undefined ? {} : { traceparent },
    }).then((response) => response.status);
  return { seen, lines, get, port };
}

async function start(env: Record<string, string>): Promise<InMemorySpanExporter> {
  const exporter = new InMemorySpanExporter();
  tracing = await startTracing(readTelemetrySettings({ OTEL_BSP_SCHEDULE_DELAY: '10', ...env }), {
    serviceName: 'test',
    log: { warn: () => undefined, info: () => undefined },
    exporter,
  });
  return exporter;
}

describe('sampling at the httpserver', () => {
  test('ratio 0 and no parent records nothing; a sampled parent is followed', async () => {
    const exporter = await start({ WASMCLOUD_TRACES_ENABLED: 'true', OTEL_TRACES_SAMPLER_ARG: '0' });
    const { get, seen, port } = await listen();
    expect(await get()).toBe(200);
    await tracing?.flush();
    expect(exporter.getFinishedSpans()).toEqual([]);
    // The actor is still called in a (not sampled) context, so downstream does not sample either.
    expect(seen[0]?.traceparent).toMatch(/-00$/);

    expect(await get(`00-${TRACE_ID}-${CLIENT_SPAN}-01`)).toBe(200);
    await tracing?.flush();
    const [span] = exporter.getFinishedSpans();
    expect(span?.spanContext().traceId).toBe(TRACE_ID);
    expect(span?.parentSpanContext?.spanId).toBe(CLIENT_SPAN);
    expect(span?.name).toBe('GET');
    expect(span?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/items',
      'server.address': '127.0.0.1',
      'server.port': port,
      'http.response.status_code': 200,
    });
    // The actor's call carries the server span on: same trace, the span as parent, sampled.
    expect(seen[1]?.traceparent).toBe(`00-${TRACE_ID}-${span?.spanContext().spanId}-01`);
  });

  test('a 5xx reply is status ERROR', async () => {
    const exporter = await start({ WASMCLOUD_TRACES_ENABLED: 'true' });
    const { get } = await listen(503);
    expect(await get()).toBe(503);
    await tracing?.flush();
    const [span] = exporter.getFinishedSpans();
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['http.response.status_code']).toBe(503);
  });

  test("traces off: no span, and the client's traceparent is handed on unchanged", async () => {
    const exporter = await start({ WASMCLOUD_TRACES_ENABLED: 'false' });
    expect(tracing?.enabled).toBe(false);
    const { get, seen } = await listen();
    const traceparent = `00-${TRACE_ID}-${CLIENT_SPAN}-01`;
    expect(await get(traceparent)).toBe(200);
    expect(await get()).toBe(200);
    expect(seen).toEqual([{ traceparent }, undefined]);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  test('a JSON log line written while a span is current carries trace_id and span_id', async () => {
    const exporter = await start({ WASMCLOUD_TRACES_ENABLED: 'true' });
    const { get, lines } = await listen();
    expect(await get(`00-${TRACE_ID}-${CLIENT_SPAN}-01`)).toBe(200);
    await tracing?.flush();
    const [span] = exporter.getFinishedSpans();
    expect(JSON.parse(lines[0]!)).toMatchObject({
      message: 'the actor was called',
      trace_id: TRACE_ID,
      span_id: span?.spanContext().spanId,
    });
    // Outside any span a line has neither.
    createLogger({ structured: true, write: (line) => void lines.push(line) }).info('idle');
    expect(JSON.parse(lines[1]!)).not.toHaveProperty('trace_id');
  });
});
