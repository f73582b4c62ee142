// A runaway actor costs only its caller: one host with one worker on a real nats-server. A looping
// wasmbus call (actors/wasmbus-loop) gets ACTOR_TIMEOUT at the host's timeout while echo calls on
// the same worker keep being answered; endless recursion is stopped the same way; long but finite
// work still completes; a looping component (no yield points) still gets ACTOR_TIMEOUT at the
// timeout, answered from the main thread, and its worker is replaced. Each stop is a warning
// naming the actor and an actor_interrupted event.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KeyPair } from '../../lattice/keys.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { encodePayload } from '../../lattice/payload.ts';
import { RpcRemoteError } from '../../lattice/rpc.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { builtActor, signForTest } from '../helpers/actors.ts';
import { eventuallyPasses } from '../helpers/eventually.ts';
import { startTestHost, type TestHost } from '../helpers/host.ts';
import { ctlRequest, EventLog, invokeActor } from '../helpers/lattice-client.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import { misbehavingComponent } from '../helpers/wat-component.ts';

const LATTICE = 'runaway';
const subjects = latticeSubjects(LATTICE);
const clusterKey = KeyPair.create('cluster');
/** The host's invocation timeout; the test client waits 5 s, so an answer before that is the host's. */
const TIMEOUT_MS = 2_000;
/** How late after the timeout the caller may hear (a loaded 2-core machine shared with other tests). */
const LATE_MS = 800;
const GET = encodePayload({ method: 'GET', path: '/', query_string: '', header: {}, body: new Uint8Array() });

let nats: NatsServer;
let nc: NatsConnection;
let testHost: TestHost;
let events: EventLog;
let dir: string;
const ids = { loop: '', echo: '', component: '' };

async function start(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, `${name}.wasm`);
  writeFileSync(path, bytes);
  const reply = await ctlRequest(nc, subjects.ctl.launchActor(testHost.id), { actor_ref: path });
  expect(reply).toEqual({ accepted: true, error: '' });
  const event = await events.waitFor('actor_started', (data) => data.image_ref === path, 30_000);
  return (event.data as { public_key: string }).public_key;
}

const call = (actorId: string, operation: string, payload: Uint8Array = new Uint8Array()) =>
  invokeActor(nc, LATTICE, clusterKey, actorId, operation, payload);

/** Calls `actorId` and resolves with the error it fails with and how long that took. */
async function failure(actorId: string, operation: string, payload?: Uint8Array) {
  const started = Date.now();
  const error = await call(actorId, operation, payload).then(
    () => new Error('the call answered'),
    (rejected: unknown) => rejected,
  );
  return { error, ms: Date.now() - started };
}

/** Echo calls one after another until `done` settles: each one's latency in ms. */
async function echoLatenciesUntil(done: Promise<unknown>): Promise<number[]> {
  let settled = false;
  void done.finally(() => {
    settled = true;
  });
  const latencies: number[] = [];
  while (!settled) {
    const started = Date.now();
    await call(ids.echo, 'HttpServer.HandleRequest', GET);
    latencies.push(Date.now() - started);
  }
  return latencies;
}

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
  events = new EventLog(nc, LATTICE);
  dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-runaway-'));
  testHost = await startTestHost({
    natsUrl: nats.url,
    // One worker (the helper's default): the loop and the echo share it.
    settings: { latticePrefix: LATTICE, clusterSeed: clusterKey.seed, rpcTimeoutMs: String(TIMEOUT_MS) },
  });
  ids.loop = await start('wasmbus-loop', builtActor('wasmbus-loop'));
  ids.echo = await start('wasmbus-echo', builtActor('wasmbus-echo'));
  const component = signForTest(await misbehavingComponent(), {
    name: 'misbehave',
    caps: ['wasmcloud:httpserver'],
  });
  ids.component = await start('misbehave', component.bytes);
  // Warm: the first call of each pays for its instance.
  await call(ids.echo, 'HttpServer.HandleRequest', GET);
}, 90_000);

afterAll(async () => {
  await testHost?.host.stop();
  await nc?.close();
  await nats?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a wasmbus actor stopped at its yield points', () => {
  test('a loop gets ACTOR_TIMEOUT at the timeout while echo calls on the same worker keep being answered', async () => {
    const looping = failure(ids.loop, 'Loop.Forever');
    const latencies = await echoLatenciesUntil(looping);
    const { error, ms } = await looping;
    expect(error).toBeInstanceOf(RpcRemoteError);
    expect((error as Error).message).toBe(
      `ACTOR_TIMEOUT: Loop.Forever on ${ids.loop} was still running at its ${TIMEOUT_MS} ms timeout and was stopped`,
    );
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(TIMEOUT_MS + LATE_MS);
    // The echo was served all along: many calls, none of them slow.
    expect(latencies.length).toBeGreaterThan(20);
    expect(Math.max(...latencies)).toBeLessThan(500);

    const event = await events.waitFor('actor_interrupted', (data) => data.public_key === ids.loop);
    expect(event.data).toEqual({
      public_key: ids.loop,
      operation: 'Loop.Forever',
      timeout_ms: TIMEOUT_MS,
      action: 'interrupted',
    });
    const warning = testHost.logs.find((line) => line.includes(' WARN ') && line.includes(ids.loop));
    expect(warning).toContain(
      `actor ${ids.loop} ran Loop.Forever into its ${TIMEOUT_MS} ms timeout: stopped at a yield point`,
    );
    // The actor itself is fine afterwards: a new instance answers.
    expect(new TextDecoder().decode(await call(ids.loop, 'Loop.Fib', Buffer.from('10')))).toBe('55');
  });

  test('endless recursion (no loop at all) is stopped the same way', async () => {
    const { error, ms } = await failure(ids.loop, 'Loop.Fib', Buffer.from('80'));
    expect((error as Error).message).toMatch(/^ACTOR_TIMEOUT: Loop\.Fib on M\w+ was still running at its/);
    expect(ms).toBeLessThan(TIMEOUT_MS + LATE_MS);
  });

  test('long but finite work completes, and the worker serves others meanwhile', async () => {
    const rounds = 150_000_000;
    let expected = 1;
    for (let i = 0; i < rounds; i++) expected = (Math.imul(expected, 1664525) + 1013904223) >>> 0;
    const spinning = call(ids.loop, 'Loop.Spin', Buffer.from(String(rounds)));
    const latencies = await echoLatenciesUntil(spinning);
    expect(new TextDecoder().decode(await spinning)).toBe(String(expected));
    expect(Math.max(...latencies)).toBeLessThan(500);
  });
});

describe('code without yield points (a component)', () => {
  test('still gets ACTOR_TIMEOUT at the timeout, from the main thread, and its worker is replaced', async () => {
    const { error, ms } = await failure(ids.component, 'loop');
    expect(error).toBeInstanceOf(RpcRemoteError);
    expect((error as Error).message).toBe(
      `ACTOR_TIMEOUT: loop on ${ids.component} did not finish within its ${TIMEOUT_MS} ms timeout`,
    );
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(TIMEOUT_MS + LATE_MS);

    const event = await events.waitFor('actor_interrupted', (data) => data.public_key === ids.component);
    expect(event.data).toEqual({
      public_key: ids.component,
      operation: 'loop',
      timeout_ms: TIMEOUT_MS,
      action: 'worker_replaced',
    });
    expect(
      testHost.logs.find(
        (line) => line.includes(' WARN ') && line.includes(`actor ${ids.component} ran loop`),
      ),
    ).toContain('its worker did not yield and was replaced');
    // The replacement worker serves every actor again (once it has started and rejoined).
    await eventuallyPasses(
      async () =>
        expect(
          await call(ids.echo, 'HttpServer.HandleRequest', GET).then(
            () => 'answered',
            () => 'not yet',
          ),
        ).toBe('answered'),
      {
        what: "call(ids.echo, 'HttpServer.HandleRequest', GET).then(() => 'answered', () => 'not yet') to be ('a...",
        timeoutMs: 20_000,
        intervalMs: 200,
      },
    );
    expect(new TextDecoder().decode(await call(ids.component, 'echo', Buffer.from('back')))).toBe('back');
  });
});
