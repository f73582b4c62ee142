// Replay protection in the provider SDK: the probe provider, run as a real process against a real
// nats-server, sent the exact bytes of one signed invocation twice, and a token issued too long ago.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  actorEntity,
  decodeInvocationResponse,
  encodeInvocation,
  type InvocationResponse,
  providerEntity,
} from '../../lattice/invocation.ts';
import { nowSeconds, signJwt } from '../../lattice/jwt.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import {
  PROBE_CONTRACT,
  type ProviderProcess,
  runProbeWith,
  testHostData,
  testLattice,
  testLink,
} from '../fixtures/providers/provider-test-kit.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

let nats: NatsServer;
let nc: NatsConnection;
let probe: ProviderProcess;
const lattice = testLattice();
const providerKey = KeyPair.create('service').publicKey;
const actorId = KeyPair.create('module').publicKey;
const subject = latticeSubjects(lattice.prefix).rpc.provider(providerKey, 'default');

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
  probe = runProbeWith(
    testHostData(lattice, nats.port, providerKey, { link_definitions: [testLink(actorId, providerKey)] }),
  );
  await probe.waitForOutput(/probe provider started/);
});

afterAll(async () => {
  await probe?.kill();
  await nc?.close();
  await nats?.stop();
});

function echo(text: string) {
  return lattice.signer.sign({
    origin: actorEntity(actorId),
    target: providerEntity(providerKey, PROBE_CONTRACT, 'default'),
    operation: 'Probe.Echo',
    msg: new TextEncoder().encode(text),
  });
}

async function send(bytes: Uint8Array): Promise<InvocationResponse> {
  return decodeInvocationResponse((await nc.request(subject, bytes, { timeout: 5_000 })).data);
}

describe('provider replay protection', () => {
  it('answers a signed invocation once and refuses the same bytes again', async () => {
    const bytes = encodeInvocation(echo('once'));
    const first = await send(bytes);
    expect(first.error).toBeUndefined();
    expect(new TextDecoder().decode(first.msg)).toBe('once');
    const again = await send(bytes);
    expect(again.error).toMatch(
      /rejected: the same signed invocation was already accepted in the last 41 s \(a replay\)/,
    );
    expect(again.msg.length).toBe(0);
  });

  it('refuses a token issued longer ago than the window', async () => {
    const invocation = echo('dated');
    const payload = JSON.parse(Buffer.from(invocation.encoded_claims.split('.')[1]!, 'base64url').toString());
    const stale = {
      ...invocation,
      encoded_claims: signJwt({ ...payload, iat: nowSeconds() - 60 }, lattice.cluster),
    };
    expect((await send(encodeInvocation(stale))).error).toMatch(
      /its token was issued \d+ s ago, more than the 30 s an invocation is accepted for/,
    );
  });
});
