// The RPC request mux against a real nats-server: replies reach the right caller, no responders
// and timeouts are told apart, and a closed connection fails what was waiting.

import { afterAll, beforeAll, expect, test } from 'vitest';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { RequestFailedError, RequestMux, requestMuxFor } from '../../lattice/request-mux.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

let nats: NatsServer;
let client: NatsConnection;
let responder: NatsConnection;

beforeAll(async () => {
  nats = await startNatsServer({ jetstream: false });
  client = await connectNats({ url: nats.url });
  responder = await connectNats({ url: nats.url });
  // Answers after a delay given in the request, so replies come back out of order.
  responder.subscribe('echo', {
    callback: (_error, msg) => {
      const delay = msg.data[0] ?? 0;
      setTimeout(() => msg.respond(msg.data), delay);
    },
  });
  responder.subscribe('silent', { callback: () => undefined });
  await responder.flush();
});

afterAll(async () => {
  await client?.close();
  await responder?.close();
  await nats?.stop();
});

test('concurrent requests each get their own reply, whatever the order replies come in', async () => {
  const mux = requestMuxFor(client);
  expect(requestMuxFor(client)).toBe(mux);
  const delays = [40, 0, 25, 5, 60, 10];
  const replies = await Promise.all(
    delays.map((delay) => mux.request('echo', new Uint8Array([delay, 7]), 2_000)),
  );
  expect(replies.map((reply) => [...reply.data])).toEqual(delays.map((delay) => [delay, 7]));
});

test('nobody subscribed: a no-responders failure at once, not a timeout', async () => {
  const started = Date.now();
  const failure = await requestMuxFor(client)
    .request('nobody.home', new Uint8Array(), 5_000)
    .catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(RequestFailedError);
  expect((failure as RequestFailedError).failure).toBe('no-responders');
  expect((failure as Error).message).toBe('nobody is serving nobody.home (no responders)');
  expect(Date.now() - started).toBeLessThan(4_000);
});

test('a subscriber that never answers: a timeout naming the subject and the limit', async () => {
  const failure = await requestMuxFor(client)
    .request('silent', new Uint8Array(), 200)
    .catch((error: unknown) => error);
  expect((failure as RequestFailedError).failure).toBe('timeout');
  expect((failure as Error).message).toBe('no reply on silent within 200 ms');
});

test('closing the connection fails the requests still waiting', async () => {
  const own = await connectNats({ url: nats.url });
  const mux = new RequestMux(own);
  const waiting = mux.request('silent', new Uint8Array(), 10_000).catch((error: unknown) => error);
  await own.close();
  const failure = await waiting;
  expect((failure as RequestFailedError).failure).toBe('closed');
});
