// Replay protection end to end: a host with two workers (both in the actor's queue group, so a
// copy may reach the worker that did not run the original) on a real nats-server, sent the exact
// bytes of one signed invocation again and again; and invocations whose token is too old or
// issued too far ahead.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  actorEntity,
  decodeInvocationResponse,
  encodeInvocation,
  type Invocation,
  type InvocationResponse,
  providerEntity,
} from '../../lattice/invocation.ts';
import { InvocationSigner } from '../../lattice/invocation-signer.ts';
import { nowSeconds, signJwt } from '../../lattice/jwt.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { builtActor } from '../helpers/actors.ts';
import { eventually } from '../helpers/eventually.ts';
import { startTestHost, type TestHost } from '../helpers/host.ts';
import { PROVIDER } from '../helpers/keys.ts';
import { EventLog, launchActorFile } from '../helpers/lattice-client.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

const LATTICE = 'replaytest';
const subjects = latticeSubjects(LATTICE);
const clusterKey = KeyPair.create('cluster');
const REPLAYED = /rejected: the same signed invocation was already accepted in the last 41 s \(a replay\)/;

let nats: NatsServer;
let nc: NatsConnection;
let testHost: TestHost;
let dir: string;
let actorId: string;
let signer: InvocationSigner;
/** The outcome of every invocation event the host published, in order (markers left out). */
const outcomes: string[] = [];
/** The length of a marker call's payload, which tells its events apart from the tests' calls. */
const MARKER_BYTES = 777;
/** How many marker calls have been reported. */
let markersSeen = 0;

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
  const events = new EventLog(nc, LATTICE);
  nc.subscribe(subjects.events.invocations(), {
    callback: (_error, msg) => {
      const event = JSON.parse(new TextDecoder().decode(msg.data)) as {
        type: string;
        data: { bytes: number };
      };
      if (event.data.bytes === MARKER_BYTES) markersSeen++;
      else outcomes.push(event.type.replace(/^com\.wasmcloud\.lattice\./, ''));
    },
  });
  dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-replay-'));
  const actorPath = join(dir, 'wasmbus-kvcounter.wasm');
  writeFileSync(actorPath, builtActor('wasmbus-kvcounter'));
  testHost = await startTestHost({
    natsUrl: nats.url,
    settings: { latticePrefix: LATTICE, clusterSeed: clusterKey.seed, actorWorkers: '2' },
  });
  signer = new InvocationSigner(clusterKey, testHost.id);
  actorId = await launchActorFile(nc, events, LATTICE, testHost.id, actorPath);
});

afterAll(async () => {
  await testHost?.host.stop();
  await nc?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function echo(text: string): Invocation {
  return signer.sign({
    origin: providerEntity(PROVIDER, 'wasmcloud:httpserver', 'default'),
    target: actorEntity(actorId),
    operation: 'Test.Echo',
    msg: new TextEncoder().encode(text),
  });
}

async function send(bytes: Uint8Array): Promise<InvocationResponse> {
  const reply = await nc.request(subjects.rpc.actor(actorId), bytes, { timeout: 5_000 });
  return decodeInvocationResponse(reply.data);
}

/**
 * The invocation events since `before`, once `count` of them have come and nothing more can: each
 * worker publishes a call's event right after answering it, before it reads its next call, so a
 * marker call's event follows every earlier event of the worker that ran it. 12 markers reach both
 * workers (NATS picks one of the queue group for each: 2^-11 odds that one gets them all).
 */
async function nextOutcomes(before: number, count: number): Promise<string[]> {
  const markersBefore = markersSeen;
  for (let marker = 0; marker < 12; marker++) {
    const reply = await send(encodeInvocation(echo('m'.repeat(MARKER_BYTES))));
    expect(reply.error).toBeUndefined();
  }
  await eventually(
    () => markersSeen === markersBefore + 12 && outcomes.length >= before + count,
    `${count} invocation events and the 12 markers' after them`,
  );
  return outcomes.slice(before);
}

describe('replay protection', () => {
  test('the exact bytes of an answered invocation sent again are refused by either worker', async () => {
    const before = outcomes.length;
    const bytes = encodeInvocation(echo('once'));
    const first = await send(bytes);
    expect(first.error).toBeUndefined();
    expect(new TextDecoder().decode(first.msg)).toBe('once');
    // NATS picks a worker of the queue group for each copy: with 12 copies, both workers see some.
    for (let copy = 0; copy < 12; copy++) {
      const again = await send(bytes);
      expect(again.error).toMatch(REPLAYED);
      expect(again.msg.length).toBe(0);
    }
    const seen = await nextOutcomes(before, 13);
    expect(seen.filter((outcome) => outcome === 'invocation_succeeded')).toHaveLength(1); // ran once
    expect(seen.filter((outcome) => outcome === 'invocation_failed')).toHaveLength(12);
  });

  test('of copies sent at once, exactly one runs', async () => {
    const before = outcomes.length;
    const bytes = encodeInvocation(echo('race'));
    const replies = await Promise.all(Array.from({ length: 16 }, () => send(bytes)));
    const answered = replies.filter((reply) => reply.error === undefined);
    expect(answered).toHaveLength(1);
    expect(new TextDecoder().decode(answered[0]!.msg)).toBe('race');
    for (const reply of replies.filter((r) => r.error !== undefined)) expect(reply.error).toMatch(REPLAYED);
    const seen = await nextOutcomes(before, 16);
    expect(seen.filter((outcome) => outcome === 'invocation_succeeded')).toHaveLength(1);
  });

  test('a copy under another id is a copy all the same; a new signing of the same call runs', async () => {
    const original = echo('same call');
    expect((await send(encodeInvocation(original))).error).toBeUndefined();
    const renamed = await send(encodeInvocation({ ...original, id: crypto.randomUUID() }));
    expect(renamed.error).toMatch(REPLAYED);
    expect((await send(encodeInvocation(echo('same call')))).error).toBeUndefined();
  });

  test('a token issued longer ago than the window, or too far ahead, is refused', async () => {
    const resigned = (iat: number): Uint8Array => {
      const invocation = echo('dated');
      const payload = JSON.parse(
        Buffer.from(invocation.encoded_claims.split('.')[1]!, 'base64url').toString(),
      );
      return encodeInvocation({ ...invocation, encoded_claims: signJwt({ ...payload, iat }, clusterKey) });
    };
    const stale = await send(resigned(nowSeconds() - 120));
    expect(stale.error).toMatch(
      /its token was issued 1[12]\d s ago, more than the 30 s an invocation is accepted for/,
    );
    const ahead = await send(resigned(nowSeconds() + 120));
    expect(ahead.error).toMatch(/issued 1[12]\d s in the future, more than the 10 s of clock skew allowed/);
    expect((await send(resigned(nowSeconds() - 5))).error).toBeUndefined();
  });
});
