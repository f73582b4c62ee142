// A host running a real provider process through the control interface: started from its archive
// file, links delivered through the lattice data, calls both ways (provider → actor, actor →
// provider by link), health events, and a provider killed with SIGKILL coming back with its links.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { verifySignedWasm } from '../../lattice/claims.ts';
import { hostInventorySchema } from '../../lattice/control.ts';
import { actorEntity, providerEntity } from '../../lattice/invocation.ts';
import { InvocationSigner } from '../../lattice/invocation-signer.ts';
import { KeyPair } from '../../lattice/keys.ts';
import type { LinkDefinition } from '../../lattice/link-definition.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { decodePayload, encodePayload } from '../../lattice/payload.ts';
import { sendInvocation } from '../../lattice/rpc.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { type BuiltProbe, buildProbeArchive } from '../fixtures/providers/provider-test-kit.ts';
import { builtActor } from '../helpers/actors.ts';
import { startTestHost, type TestHost } from '../helpers/host.ts';
import { ctlRequest, EventLog, invokeActor } from '../helpers/lattice-client.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

const LATTICE = 'provtest';
const subjects = latticeSubjects(LATTICE);
const clusterKey = KeyPair.create('cluster');
const ACK = { accepted: true, error: '' };

let nats: NatsServer;
let nc: NatsConnection;
let events: EventLog;
let testHost: TestHost;
let dir: string;
let probe: BuiltProbe;
let actorId: string;

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
  events = new EventLog(nc, LATTICE);
  dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-hostprov-'));
  probe = await buildProbeArchive(dir);
  testHost = await startTestHost({
    natsUrl: nats.url,
    settings: { latticePrefix: LATTICE, clusterSeed: clusterKey.seed },
    providerHealthIntervalMs: 500,
  });
  const actorPath = join(dir, 'kvcounter.wasm');
  const bytes = builtActor('wasmbus-kvcounter');
  writeFileSync(actorPath, bytes);
  actorId = verifySignedWasm(bytes).claims.sub;
  expect(await ctlRequest(nc, subjects.ctl.launchActor(testHost.id), { actor_ref: actorPath })).toEqual(ACK);
  await events.waitFor('actor_started', (data) => data.public_key === actorId);
}, 60_000);

afterAll(async () => {
  await testHost?.host.stop();
  await nc?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Calls the probe provider as the linked actor would; the raw reply. */
async function callProbe(operation: string, payload: Uint8Array = new Uint8Array()): Promise<Uint8Array> {
  const signer = new InvocationSigner(clusterKey, testHost.id);
  const invocation = signer.sign({
    origin: actorEntity(actorId),
    target: providerEntity(probe.providerKey, 'wasmcloud:probe', 'default'),
    operation,
    msg: payload,
  });
  const reply = await sendInvocation(nc, subjects.rpc.provider(probe.providerKey, 'default'), invocation, {
    timeoutMs: 3_000,
  });
  return reply;
}

const probeLinks = async () => decodePayload(await callProbe('Probe.Links'));

/** The PIDs of processes whose command line mentions the provider's key (its cached binary). */
function providerPids(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return cmdline.includes(probe.providerKey) && !cmdline.includes('setpriv');
      } catch {
        return false;
      }
    })
    .map(Number);
}

test('a provider started through the control interface serves links both ways and survives SIGKILL', async () => {
  const started = await ctlRequest(nc, subjects.ctl.launchProvider(testHost.id), {
    provider_ref: probe.path,
    link_name: 'default',
  });
  expect(started).toEqual(ACK);
  await events.waitFor('provider_started', (data) => data.public_key === probe.providerKey);
  const inventory = hostInventorySchema.parse(await ctlRequest(nc, subjects.ctl.hostInventory(testHost.id)));
  expect(inventory.providers).toEqual([
    expect.objectContaining({
      id: probe.providerKey,
      link_name: 'default',
      contract_id: 'wasmcloud:probe',
      name: 'Probe',
    }),
  ]);
  await events.waitFor('health_check_passed', (data) => data.public_key === probe.providerKey);

  // A second start of the same provider and link name is a no-op, as in OTP.
  expect(
    await ctlRequest(nc, subjects.ctl.launchProvider(testHost.id), {
      provider_ref: probe.path,
      link_name: 'default',
    }),
  ).toEqual(ACK);

  // Actor → provider by link: kvcounter's HandleRequest calls KeyValue.Increment. With no
  // keyvalue link the host refuses; with one to the probe, the call reaches the probe.
  const request = encodePayload({
    method: 'GET',
    path: '/',
    queryString: '',
    header: {},
    body: new Uint8Array(),
  });
  await expect(
    invokeActor(nc, LATTICE, clusterKey, actorId, 'HttpServer.HandleRequest', request),
  ).rejects.toThrow(/missing link definition for .* on wasmcloud:keyvalue/);
  const keyvalueLink: LinkDefinition = {
    actor_id: actorId,
    provider_id: probe.providerKey,
    contract_id: 'wasmcloud:keyvalue',
    link_name: 'default',
    values: {},
  };
  expect(await ctlRequest(nc, subjects.ctl.linkPut(), keyvalueLink)).toEqual(ACK);
  await expect
    .poll(() =>
      invokeActor(nc, LATTICE, clusterKey, actorId, 'HttpServer.HandleRequest', request).catch(
        (error: Error) => error.message,
      ),
    )
    .toMatch(/operation KeyValue.Increment is not handled by provider/);
  const { actor_id, contract_id, link_name } = keyvalueLink;
  expect(await ctlRequest(nc, subjects.ctl.linkDel(), { actor_id, contract_id, link_name })).toEqual(ACK);
  // Unlinked now: the provider refuses the actor's calls (§3.3 step 6).
  await expect
    .poll(() => probeLinks().catch((error: Error) => error.message))
    .toMatch(/has no link to this provider/);

  // A link under a contract the actor claims: the provider hears of it and may call the actor.
  // (A 2022 provider holds one link per actor, as wasmbus-rpc keyed its table by actor.)
  const link: LinkDefinition = {
    ...keyvalueLink,
    contract_id: 'wasmcloud:httpserver',
    values: { PORT: '8080' },
  };
  expect(await ctlRequest(nc, subjects.ctl.linkPut(), link)).toEqual(ACK);
  await expect.poll(probeLinks).toEqual([expect.objectContaining(link)]);
  const echoed = await callProbe(
    'Probe.CallActor',
    encodePayload({
      actor_id: actorId,
      operation: 'Test.Echo',
      payload: new TextEncoder().encode('via provider'),
    }),
  );
  expect(new TextDecoder().decode(echoed)).toBe('via provider');

  // SIGKILL: the host publishes provider_stopped, restarts it, and it holds its links again.
  const [pid] = providerPids();
  expect(pid).toBeGreaterThan(0);
  const startsBefore = events.named('provider_started').length;
  process.kill(pid!, 'SIGKILL');
  const stopped = await events.waitFor('provider_stopped', (data) => data.public_key === probe.providerKey);
  expect((stopped.data as { reason: string }).reason).toMatch(/SIGKILL/);
  await expect
    .poll(() => events.named('provider_started').length, { timeout: 15_000 })
    .toBe(startsBefore + 1);
  await expect.poll(probeLinks, { timeout: 10_000 }).toEqual([expect.objectContaining(link)]);
  expect(providerPids()).not.toContain(pid);

  // Stop: the shutdown sequence runs and the process is gone.
  expect(
    await ctlRequest(nc, subjects.ctl.stopProvider(testHost.id), {
      provider_ref: probe.providerKey,
      link_name: 'default',
      contract_id: 'wasmcloud:probe',
    }),
  ).toEqual(ACK);
  await events.waitFor('provider_stopped', (data) => data.reason === 'normal');
  await expect.poll(() => providerPids()).toEqual([]);
}, 90_000);
