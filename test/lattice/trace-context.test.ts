// W3C trace context on the lattice (lattice/telemetry/trace-context.ts, lattice/rpc.ts), on a real
// nats-server: an invocation sent while a span is current carries it in both its NATS headers and
// its `traceContext`; one sent outside any span carries neither (the 2022 bytes, no headers); a
// receiver reads the headers first, then `traceContext`, and ignores a malformed `traceparent`.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { actorEntity, decodeInvocation } from '../../lattice/invocation.ts';
import { InvocationSigner } from '../../lattice/invocation-signer.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { connectNats, type Msg, type NatsConnection, headers as natsHeaders } from '../../lattice/nats.ts';
import { invocationReply, sendInvocation } from '../../lattice/rpc.ts';
import {
  incomingTraceContext,
  traceCarrierOf,
  withTraceContext,
} from '../../lattice/telemetry/trace-context.ts';
import { carryTraceContext } from '../../lattice/telemetry/tracing.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const OTHER = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

let nats: NatsServer;
let nc: NatsConnection;

beforeAll(async () => {
  carryTraceContext();
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

/** Sends one invocation to `subject` and resolves with the message the callee received. */
async function sendOne(subject: string): Promise<Msg> {
  let received: Msg | undefined;
  const subscription = nc.subscribe(subject, {
    callback: (_error, msg) => {
      received = msg;
      void invocationReply(decodeInvocation(msg.data).id, new Uint8Array(0), undefined).then((reply) =>
        msg.respond(reply),
      );
    },
  });
  const signer = new InvocationSigner(KeyPair.create('cluster'), 'NHOST');
  const invocation = signer.sign({
    origin: actorEntity(KeyPair.create('module').publicKey),
    target: actorEntity(KeyPair.create('module').publicKey),
    operation: 'Test.Op',
    msg: new Uint8Array([1, 2, 3]),
  });
  await sendInvocation(nc, subject, invocation, { timeoutMs: 2_000 });
  subscription.unsubscribe();
  return received!;
}

describe('trace context on an invocation', () => {
  test('sent within a trace: in the NATS headers and in traceContext, alike', async () => {
    const parent = incomingTraceContext(undefined, { traceparent: TRACEPARENT, tracestate: 'vendor=1' });
    const msg = await withTraceContext(parent, () => sendOne('trace.within'));
    expect(msg.headers?.get('traceparent')).toBe(TRACEPARENT);
    expect(msg.headers?.get('tracestate')).toBe('vendor=1');
    expect(decodeInvocation(msg.data).traceContext).toEqual({
      traceparent: TRACEPARENT,
      tracestate: 'vendor=1',
    });
    // The receiving side continues exactly that span.
    expect(
      traceCarrierOf(incomingTraceContext(msg.headers, decodeInvocation(msg.data).traceContext)),
    ).toEqual({
      traceparent: TRACEPARENT,
      tracestate: 'vendor=1',
    });
  });

  test('sent outside any trace: no headers and no traceContext', async () => {
    const msg = await sendOne('trace.outside');
    expect(msg.headers).toBeUndefined();
    expect(decodeInvocation(msg.data).traceContext).toBeUndefined();
  });

  test('received: the headers first, then traceContext; a malformed traceparent is no parent', () => {
    const headers = natsHeaders();
    headers.set('traceparent', TRACEPARENT);
    expect(traceCarrierOf(incomingTraceContext(headers, { traceparent: OTHER }))?.traceparent).toBe(
      TRACEPARENT,
    );
    expect(traceCarrierOf(incomingTraceContext(undefined, { traceparent: OTHER }))?.traceparent).toBe(OTHER);
    const broken = natsHeaders();
    broken.set('traceparent', 'not-a-traceparent');
    expect(traceCarrierOf(incomingTraceContext(broken, { traceparent: OTHER }))?.traceparent).toBe(OTHER);
    expect(incomingTraceContext(broken, undefined)).toBeUndefined();
    expect(
      incomingTraceContext(undefined, {
        traceparent: '00-00000000000000000000000000000000-0000000000000000-01',
      }),
    ).toBeUndefined();
  });
});
