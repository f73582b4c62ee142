// The provider SDK, through the probe provider run as a real process against a real nats-server:
// start-up data, invocation validation, links, health, shutdown, calls to actors, large payloads.

import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeInvocation,
  decodeInvocationResponse,
  encodeInvocation,
  encodeInvocationResponse,
  entityUrl,
  providerEntity,
} from '../../lattice/invocation.ts';
import { InvocationSigner } from '../../lattice/invocation-signer.ts';
import { validateInvocation } from '../../lattice/invocation-validation.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { decodePayload, encodePayload } from '../../lattice/payload.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import {
  invokeProvider,
  type ProviderProcess,
  runProbe,
  runProbeWith,
  type TestLattice,
  tempDir,
  testHostData,
  testLattice,
  testLink,
} from '../fixtures/providers/provider-test-kit.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

let nats: NatsServer;
let nc: NatsConnection;
const running: ProviderProcess[] = [];
const dir = tempDir('sdk');

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((probe) => probe.kill()));
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface StartedProbe {
  probe: ProviderProcess;
  lattice: TestLattice;
  providerKey: string;
  actorId: string;
}

/** The probe with one linked actor, ready to answer. */
async function startProbe(config?: string): Promise<StartedProbe> {
  const lattice = testLattice();
  const providerKey = KeyPair.create('service').publicKey;
  const actorId = KeyPair.create('module').publicKey;
  const probe = runProbeWith(
    testHostData(lattice, nats.port, providerKey, {
      link_definitions: [testLink(actorId, providerKey, { greeting: 'hi' })],
      config_json: config,
    }),
  );
  running.push(probe);
  await probe.waitForOutput(/probe provider started/);
  return { probe, lattice, providerKey, actorId };
}

describe('start-up data', () => {
  it('exits with code 1 and says why when the HostData line is not base64', async () => {
    const probe = runProbe('this is not base64!\n');
    running.push(probe);
    expect(await probe.exited).toBe(1);
    expect(probe.stderr()).toContain('provider cannot start: host data is not base64');
  });

  it('exits with code 1 naming the bad field when HostData lacks what it must hold', async () => {
    const line = `${Buffer.from(JSON.stringify({ host_id: 'N1', lattice_rpc_prefix: 'x' })).toString('base64')}\n`;
    const probe = runProbe(line);
    running.push(probe);
    expect(await probe.exited).toBe(1);
    expect(probe.stderr()).toMatch(/invalid host data: .*lattice_rpc_url/);
  });

  it('exits with code 1 when the provider key is not a V… key', async () => {
    const probe = runProbeWith(testHostData(testLattice(), nats.port, 'NOT-A-KEY'));
    running.push(probe);
    expect(await probe.exited).toBe(1);
    expect(probe.stderr()).toContain('provider_key "NOT-A-KEY" is not a provider public key');
  });

  it('exits with code 1 when stdin closes with no line at all', async () => {
    const probe = runProbe('');
    running.push(probe);
    probe.child.stdin.end();
    expect(await probe.exited).toBe(1);
    expect(probe.stderr()).toContain('host data is empty');
  });

  it('exits with code 1 when the lattice cannot be reached', async () => {
    const probe = runProbeWith(
      testHostData(testLattice(), 1, KeyPair.create('service').publicKey, { lattice_rpc_url: '127.0.0.1:1' }),
    );
    running.push(probe);
    expect(await probe.exited).toBe(1);
    expect(probe.stderr()).toContain('cannot connect to NATS at 127.0.0.1:1');
  });
});

describe('invocations', () => {
  it('answers a signed invocation from a linked actor', async () => {
    const { lattice, providerKey, actorId } = await startProbe();
    const payload = new TextEncoder().encode('hello probe');
    const response = await invokeProvider(nc, {
      lattice,
      providerKey,
      actorId,
      operation: 'Probe.Echo',
      payload,
    });
    expect(response.error).toBeUndefined();
    expect(new TextDecoder().decode(response.msg)).toBe('hello probe');
    expect(Number(response.content_length)).toBe(payload.length);
    expect(response.invocation_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects an invocation signed by a cluster key it does not trust', async () => {
    const { lattice, providerKey, actorId } = await startProbe();
    const stranger = new InvocationSigner(KeyPair.create('cluster'), lattice.hostId);
    const response = await invokeProvider(nc, {
      lattice,
      providerKey,
      actorId,
      operation: 'Probe.Echo',
      signer: stranger,
    });
    expect(response.error).toContain("is not one of this lattice's cluster issuers");
  });

  it('rejects an invocation from an actor that has no link to it', async () => {
    const { lattice, providerKey } = await startProbe();
    const unlinked = KeyPair.create('module').publicKey;
    const response = await invokeProvider(nc, {
      lattice,
      providerKey,
      actorId: unlinked,
      operation: 'Probe.Echo',
    });
    expect(response.error).toContain(`actor ${unlinked} has no link to this provider`);
  });

  it('replies "deser error" to bytes that are not an invocation', async () => {
    const { lattice, providerKey } = await startProbe();
    const subject = latticeSubjects(lattice.prefix).rpc.provider(providerKey, 'default');
    const reply = await nc.request(subject, new Uint8Array([0xc1, 0x00]), { timeout: 5_000 });
    expect(decodeInvocationResponse(reply.data).error).toMatch(/^deser error: /);
  });

  it('reports an operation it does not handle and an error thrown by a handler', async () => {
    const { lattice, providerKey, actorId } = await startProbe();
    const unknown = await invokeProvider(nc, { lattice, providerKey, actorId, operation: 'Probe.Nope' });
    expect(unknown.error).toBe(`operation Probe.Nope is not handled by provider ${providerKey}`);
    const failed = await invokeProvider(nc, { lattice, providerKey, actorId, operation: 'Probe.Fail' });
    expect(failed.error).toBe('probe failure requested');
  });

  it('takes a large request from the object store and puts a large reply there', async () => {
    const { lattice, providerKey, actorId } = await startProbe();
    const subjects = latticeSubjects(lattice.prefix);
    const big = new Uint8Array(900 * 1024).map((_, i) => i % 251);
    const invocation = lattice.signer.sign({
      origin: { public_key: actorId, link_name: '', contract_id: '' },
      target: providerEntity(providerKey, 'wasmcloud:probe', 'default'),
      operation: 'Probe.Echo',
      msg: big,
    });
    const store = await nc.jetstream().views.os(subjects.chunking.bucket);
    await store.putBlob({ name: invocation.id }, big);
    invocation.msg = new Uint8Array();
    invocation.content_length = big.length;
    const reply = await nc.request(
      subjects.rpc.provider(providerKey, 'default'),
      encodeInvocation(invocation),
      {
        timeout: 15_000,
      },
    );
    const response = decodeInvocationResponse(reply.data);
    expect(response.error).toBeUndefined();
    expect(response.msg.length).toBe(0);
    expect(Number(response.content_length)).toBe(big.length);
    const echoed = await store.getBlob(`${invocation.id}-r`);
    expect(echoed).not.toBeNull();
    expect(Buffer.from(echoed!).equals(Buffer.from(big))).toBe(true);
    // The provider deleted the request object after reading it.
    expect(await store.getBlob(invocation.id)).toBeNull();
  });
});

describe('links', () => {
  it('treats a repeated put as a no-op and applies a delete', async () => {
    const { probe, lattice, providerKey, actorId } = await startProbe();
    const subjects = latticeSubjects(lattice.prefix).rpc;
    const other = KeyPair.create('module').publicKey;
    const links = async () =>
      decodePayload(
        (await invokeProvider(nc, { lattice, providerKey, actorId, operation: 'Probe.Links' })).msg,
      ) as Array<{ actor_id: string; values: Record<string, string> }>;

    // The initial link again, with the extra keys OTP adds: a duplicate.
    const initial = { ...testLink(actorId, providerKey, { greeting: 'hi' }), id: 'X', deleted: false };
    nc.publish(subjects.providerLinkPut(providerKey, 'default'), encodePayload(initial));
    nc.publish(subjects.providerLinkPut(providerKey, 'default'), encodePayload(testLink(other, providerKey)));
    await probe.waitForOutput(new RegExp(`Linked actor ${other}`));
    expect(probe.stderr()).toContain(`Ignoring duplicate link put for actor ${actorId}`);
    expect((await links()).map((link) => link.actor_id).sort()).toEqual([actorId, other].sort());
    expect(probe.stderr().match(new RegExp(`Linked actor ${actorId}`, 'g'))).toHaveLength(1);

    nc.publish(subjects.providerLinkDel(providerKey, 'default'), encodePayload(testLink(other, providerKey)));
    await probe.waitForOutput(new RegExp(`Unlinked actor ${other}`));
    expect((await links()).map((link) => link.actor_id)).toEqual([actorId]);
    const unlinked = await invokeProvider(nc, {
      lattice,
      providerKey,
      actorId: other,
      operation: 'Probe.Echo',
    });
    expect(unlinked.error).toContain('has no link to this provider');
  });

  it('ignores a link message that is not a link definition', async () => {
    const { probe, lattice, providerKey } = await startProbe();
    const subject = latticeSubjects(lattice.prefix).rpc.providerLinkPut(providerKey, 'default');
    nc.publish(subject, encodePayload({ actor_id: 5 }));
    await probe.waitForOutput(/Ignoring link put: invalid link definition: actor_id/);
  });
});

describe('health', () => {
  it('replies healthy, and unhealthy with the reason from the provider check', async () => {
    const flag = join(dir, 'unhealthy-flag');
    const { lattice, providerKey } = await startProbe(JSON.stringify({ health_flag_file: flag }));
    const subject = latticeSubjects(lattice.prefix).rpc.providerHealth(providerKey, 'default');
    const ask = async () =>
      decodePayload(
        (await nc.request(subject, encodePayload({ placeholder: true }), { timeout: 5_000 })).data,
      );
    expect(await ask()).toEqual({ healthy: true });
    writeFileSync(flag, '');
    try {
      expect(await ask()).toEqual({ healthy: false, message: `flag file ${flag} exists` });
    } finally {
      rmSync(flag, { force: true });
    }
    expect(existsSync(flag)).toBe(false);
    expect(await ask()).toEqual({ healthy: true });
  });
});

describe('shutdown', () => {
  it('ignores a shutdown request for another host, and obeys one for its own', async () => {
    const { probe, lattice, providerKey, actorId } = await startProbe();
    const subject = latticeSubjects(lattice.prefix).rpc.providerShutdown(providerKey, 'default');
    const otherHost = KeyPair.create('server').publicKey;
    await expect(
      nc.request(subject, new TextEncoder().encode(JSON.stringify({ host_id: otherHost })), { timeout: 500 }),
    ).rejects.toThrow();
    await probe.waitForOutput(/Ignoring shutdown request: it is for the provider of host/);
    const stillThere = await invokeProvider(nc, { lattice, providerKey, actorId, operation: 'Probe.Echo' });
    expect(stillThere.error).toBeUndefined();

    const reply = await nc.request(
      subject,
      new TextEncoder().encode(JSON.stringify({ host_id: lattice.hostId })),
      { timeout: 5_000 },
    );
    expect(new TextDecoder().decode(reply.data)).toBe('shutting down');
    expect(await probe.exited).toBe(0);
    expect(probe.stderr()).toContain('probe shutting down');
  });

  it('stops on an empty shutdown body (OTP 0.57)', async () => {
    const { probe, lattice, providerKey } = await startProbe();
    const subject = latticeSubjects(lattice.prefix).rpc.providerShutdown(providerKey, 'default');
    const reply = await nc.request(subject, new Uint8Array(), { timeout: 5_000 });
    expect(new TextDecoder().decode(reply.data)).toBe('shutting down');
    expect(await probe.exited).toBe(0);
  });

  it('exits when its stdin closes (the host is gone)', async () => {
    const { probe } = await startProbe();
    probe.child.stdin.end();
    expect(await probe.exited).toBe(0);
    expect(probe.stderr()).toContain('stdin closed');
  });
});

describe('calls to actors', () => {
  it('signs a call to a linked actor with the invocation seed, from its link entity', async () => {
    const { lattice, providerKey, actorId } = await startProbe();
    const subjects = latticeSubjects(lattice.prefix);
    const seen: string[] = [];
    const actor = nc.subscribe(subjects.rpc.actor(actorId), {
      callback: (_error, msg) => {
        const invocation = decodeInvocation(msg.data);
        const { issuer } = validateInvocation(invocation, {
          clusterIssuers: new Set([lattice.cluster.publicKey]),
        });
        seen.push(issuer, entityUrl(invocation.origin), invocation.operation, invocation.host_id);
        const reply = new TextEncoder().encode(`pong:${new TextDecoder().decode(invocation.msg)}`);
        msg.respond(encodeInvocationResponse({ msg: reply, invocation_id: invocation.id }));
      },
    });
    try {
      const request = encodePayload({
        actor_id: actorId,
        operation: 'Test.Ping',
        payload: new TextEncoder().encode('ping'),
      });
      const response = await invokeProvider(nc, {
        lattice,
        providerKey,
        actorId,
        operation: 'Probe.CallActor',
        payload: request,
      });
      expect(response.error).toBeUndefined();
      expect(new TextDecoder().decode(response.msg)).toBe('pong:ping');
      expect(seen).toEqual([
        lattice.cluster.publicKey,
        `wasmbus://wasmcloud/probe/default/${providerKey}`,
        'Test.Ping',
        lattice.hostId,
      ]);
    } finally {
      actor.unsubscribe();
    }
  });

  it('refuses to call an actor that has no link to it', async () => {
    const { lattice, providerKey, actorId } = await startProbe();
    const stranger = KeyPair.create('module').publicKey;
    const response = await invokeProvider(nc, {
      lattice,
      providerKey,
      actorId,
      operation: 'Probe.CallActor',
      payload: encodePayload({ actor_id: stranger, operation: 'Test.Ping' }),
    });
    expect(response.error).toBe(
      `cannot call Test.Ping on actor ${stranger}: it has no link to provider ${providerKey}`,
    );
  });

  it('says when no host runs the actor', async () => {
    const { lattice, providerKey, actorId } = await startProbe();
    const response = await invokeProvider(nc, {
      lattice,
      providerKey,
      actorId,
      operation: 'Probe.CallActor',
      payload: encodePayload({ actor_id: actorId, operation: 'Test.Ping' }),
    });
    expect(response.error).toBe(`no host is running actor ${actorId} (Test.Ping)`);
  });
});
