// One trace end to end (issue 17, item 2), checked at an OTLP/HTTP receiver of the test's own
// (test/helpers/otlp-receiver.ts): an HTTP request's `traceparent` → the httpserver's SERVER span →
// the invocation (NATS headers and traceContext) → the actor's component_invocation span → its
// keyvalue call's CLIENT span → the keyvalue provider's SERVER span. Through the host's built-in
// httpserver and keyvalue, through the provider processes (providers/httpserver, providers/keyvalue),
// and across two hosts. Hosts and provider processes read the telemetry variables from this
// process's environment, as they would from an operator's.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { builtinProviderKey } from '../../lattice/builtin-providers.ts';
import { signForTest, unsignedActor } from '../helpers/actors.ts';
import { eventually, eventuallyPasses } from '../helpers/eventually.ts';
import { startTestHost, type TestHost } from '../helpers/host.ts';
import { freePort } from '../helpers/nats-server.ts';
import { OtlpReceiver, type ReceivedSpan, SPAN_KIND } from '../helpers/otlp-receiver.ts';
import { defaultLink, ProviderLattice } from '../helpers/provider-lattice.ts';

const KEYVALUE = 'wasmcloud:keyvalue';
const HTTPSERVER = 'wasmcloud:httpserver';

let receiver: OtlpReceiver;
let lattice: ProviderLattice;
let second: TestHost | undefined;

/** A kvcounter of its own (a new key), so each set-up links it to other providers. */
function startKvcounter(name: string, hostId?: string): Promise<string> {
  const signed = signForTest(unsignedActor('wasmbus-kvcounter'), { caps: [HTTPSERVER, KEYVALUE], name });
  return lattice.startSignedActor(signed.bytes, name, 30_000, hostId);
}

/** A W3C traceparent of a new sampled trace: its trace id and the client's span id. */
function clientTrace(sampled = true): { traceId: string; spanId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-${sampled ? '01' : '00'}` };
}

/** GETs the counter until it answers 200 (the link may still be opening), with the trace's header. */
async function countThrough(port: number, traceparent: string): Promise<void> {
  // Untraced until the whole path answers (links arrive at their own pace), so the trace holds
  // exactly one request, which must succeed.
  await eventuallyPasses(
    async () => {
      const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } });
      expect(response.status, await response.text()).toBe(200);
    },
    { what: `the counter on port ${port}`, timeoutMs: 20_000 },
  );
  const response = await fetch(`http://127.0.0.1:${port}/`, {
    headers: { traceparent, connection: 'close' },
  });
  expect(response.status, await response.text()).toBe(200);
}

/** The spans of the trace, once `complete` holds for them (spans arrive in batches, per process). */
async function spansOf(
  traceId: string,
  complete: (spans: ReceivedSpan[]) => boolean,
): Promise<ReceivedSpan[]> {
  return eventually(
    () => {
      const spans = receiver.trace(traceId);
      return complete(spans) ? spans : undefined;
    },
    `the spans of trace ${traceId}`,
    15_000,
  ).catch((error: unknown) => {
    throw new Error(
      `${String(error)}; received: ${JSON.stringify(receiver.trace(traceId).map((span) => [span.name, span.spanId, span.parentSpanId]))}`,
    );
  });
}

function childOf(
  spans: ReceivedSpan[],
  parent: ReceivedSpan | { spanId: string },
  name: string | RegExp,
): ReceivedSpan {
  const found = spans.find(
    (span) =>
      span.parentSpanId === parent.spanId &&
      (typeof name === 'string' ? span.name === name : name.test(span.name)),
  );
  if (found === undefined)
    throw new Error(
      `no span ${String(name)} under ${parent.spanId}: ${JSON.stringify(spans.map((span) => [span.name, span.spanId, span.parentSpanId]))}`,
    );
  return found;
}

/** The trace has the HTTP span, the invocation, its keyvalue call and, `answered`, the provider's span. */
function hasKeyValueCall(spans: ReceivedSpan[], answered: boolean): boolean {
  const keyvalue = (kind: number) =>
    spans.some((span) => span.kind === kind && span.name.startsWith(`${KEYVALUE}/`));
  return (
    spans.some((span) => span.name === 'GET') &&
    spans.some((span) => span.name === 'component_invocation') &&
    keyvalue(SPAN_KIND.client) &&
    (!answered || keyvalue(SPAN_KIND.server))
  );
}

/** Checks the chain HTTP → invocation → keyvalue call, and returns its spans. */
function expectChain(spans: ReceivedSpan[], client: { spanId: string }, port: number, actorId: string) {
  const http = childOf(spans, client, 'GET');
  expect(http.kind).toBe(SPAN_KIND.server);
  expect(http.attributes).toMatchObject({
    'http.request.method': 'GET',
    'url.path': '/',
    'server.address': '127.0.0.1',
    'server.port': port,
    'http.response.status_code': 200,
  });
  const invocation = childOf(spans, http, 'component_invocation');
  expect(invocation.attributes).toMatchObject({ func: 'HttpServer.HandleRequest', id: actorId });
  expect(invocation.resource['service.name']).toBe('wasmcloud-host');
  const call = childOf(spans, invocation, /^wasmcloud:keyvalue\/KeyValue\./);
  expect(call.kind).toBe(SPAN_KIND.client);
  expect(call.attributes).toMatchObject({ 'rpc.system': 'wasmbus', 'rpc.service': KEYVALUE });
  return { http, invocation, call };
}

beforeAll(async () => {
  receiver = await OtlpReceiver.start();
  process.env.WASMCLOUD_TRACES_ENABLED = 'true';
  process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `${receiver.url}/v1/traces`;
  process.env.OTEL_BSP_SCHEDULE_DELAY = '100';
  lattice = await ProviderLattice.start({ lattice: 'tracing', name: 'tracing' });
}, 60_000);

afterAll(async () => {
  // Nothing of this test's settings reaches the next test file run by this worker.
  delete process.env.WASMCLOUD_TRACES_ENABLED;
  delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  delete process.env.OTEL_BSP_SCHEDULE_DELAY;
  await second?.host.stop();
  await lattice?.stop();
  await receiver?.stop();
});

describe('one trace end to end', () => {
  test('through the built-in httpserver and built-in keyvalue', async () => {
    const httpKey = await lattice.startBuiltin(lattice.host.id, 'httpserver');
    const kvKey = await lattice.startBuiltin(lattice.host.id, 'keyvalue');
    const actorId = await startKvcounter('kvcounter-builtin');
    const port = await freePort();
    await lattice.putLink(defaultLink(actorId, kvKey, KEYVALUE, { BUCKET: 'traced_builtin' }));
    await lattice.putLink(defaultLink(actorId, httpKey, HTTPSERVER, { ADDRESS: `127.0.0.1:${port}` }));
    const client = clientTrace();
    await countThrough(port, client.traceparent);
    const spans = await spansOf(client.traceId, (found) => hasKeyValueCall(found, false));
    const { http } = expectChain(spans, client, port, actorId);
    expect(http.resource['host.id']).toBe(lattice.host.id);
    expect(receiver.rejected).toEqual([]);
  }, 60_000);

  test('through the httpserver and keyvalue provider processes', async () => {
    const [httpArchive, kvArchive] = await Promise.all([
      lattice.buildProvider('httpserver'),
      lattice.buildProvider('keyvalue'),
    ]);
    await lattice.startProvider(httpArchive);
    await lattice.startProvider(kvArchive);
    const actorId = await startKvcounter('kvcounter-external');
    const port = await freePort();
    await lattice.putLink(
      defaultLink(actorId, kvArchive.providerKey, KEYVALUE, { BUCKET: 'traced_external' }),
    );
    await lattice.putLink(
      defaultLink(actorId, httpArchive.providerKey, HTTPSERVER, { ADDRESS: `127.0.0.1:${port}` }),
    );
    const client = clientTrace();
    await countThrough(port, client.traceparent);
    const spans = await spansOf(client.traceId, (found) => hasKeyValueCall(found, true));
    const { http, invocation, call } = expectChain(spans, client, port, actorId);
    // The httpserver's span is the provider process's; the invocation crossed NATS to a worker.
    expect(http.resource).toMatchObject({
      'service.name': 'wasmcloud-provider',
      'wasmcloud.provider.id': httpArchive.providerKey,
    });
    expect(invocation.kind).toBe(SPAN_KIND.server);
    const answered = childOf(spans, call, /^wasmcloud:keyvalue\/KeyValue\./);
    expect(answered.kind).toBe(SPAN_KIND.server);
    expect(answered.resource['wasmcloud.provider.id']).toBe(kvArchive.providerKey);
    expect(answered.attributes['wasmcloud.origin.id']).toBe(actorId);
  }, 90_000);

  test('across two hosts: the request on one, the actor on the other, its keyvalue call back on the first', async () => {
    second = await startTestHost({
      natsUrl: lattice.nats.url,
      settings: { latticePrefix: lattice.prefix, clusterSeed: lattice.clusterKey.seed },
    });
    // The built-in httpserver and keyvalue run on the first host only, the actor on the second only.
    const httpKey = builtinProviderKey(lattice.clusterKey.seed, 'httpserver').publicKey;
    const kvKey = builtinProviderKey(lattice.clusterKey.seed, 'keyvalue').publicKey;
    const actorId = await startKvcounter('kvcounter-remote', second.id);
    const port = await freePort();
    await lattice.putLink(defaultLink(actorId, kvKey, KEYVALUE, { BUCKET: 'traced_remote' }));
    await lattice.putLink(defaultLink(actorId, httpKey, HTTPSERVER, { ADDRESS: `127.0.0.1:${port}` }));
    const client = clientTrace();
    await countThrough(port, client.traceparent);
    const spans = await spansOf(client.traceId, (found) => hasKeyValueCall(found, true));
    const { http, invocation, call } = expectChain(spans, client, port, actorId);
    expect(http.resource['host.id']).toBe(lattice.host.id);
    expect(invocation.resource['host.id']).toBe(second.id);
    expect(invocation.kind).toBe(SPAN_KIND.server);
    // The built-in keyvalue of the first host answered over its provider RPC subject.
    const answered = childOf(spans, call, /^wasmcloud:keyvalue\/KeyValue\./);
    expect(answered.kind).toBe(SPAN_KIND.server);
    // Only the first host runs it. (Its resource names the host started last: hosts in one process
    // share the main thread's tracer; a host process has one host.)
    expect(answered.attributes['wasmcloud.provider.id']).toBe(kvKey);
  }, 90_000);
});
