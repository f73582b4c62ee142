// Hosts starting actors and providers from OCI references in a real registry: the refmap (KV entry
// and refmap_set) and stop/scale by ref through it, the layer cache (proved by taking the layer
// away from the registry), `wash ctl start actor <ref>`, `latest`, insecure registries, credentials
// from registries.put and from OCI_REGISTRY*, and refusals that say what was wrong.

import { mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveHostConfig } from '../../host/config.ts';
import { verifySignedWasm } from '../../lattice/claims.ts';
import { hostInventorySchema } from '../../lattice/control.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { sha256Digest } from '../../lattice/oci/digest.ts';
import { OciClient } from '../../lattice/oci/oci-client.ts';
import { parseOciReference } from '../../lattice/oci/reference.ts';
import { decodePayload, encodePayload } from '../../lattice/payload.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { type BuiltProbe, buildProbeArchive } from '../fixtures/providers/provider-test-kit.ts';
import { builtActor } from '../helpers/actors.ts';
import { eventuallyPasses } from '../helpers/eventually.ts';
import { startTestHost, type TestHost } from '../helpers/host.ts';
import { ctlRequest, EventLog, invokeActor } from '../helpers/lattice-client.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import { type OciRegistry, startOciRegistry } from '../helpers/oci-registry.ts';
import { runWash } from '../helpers/wash.ts';

const LATTICE = 'ocitest';
const LATTICE_B = 'ocitest-b';
const subjects = latticeSubjects(LATTICE).ctl;
const latticeData = latticeSubjects(LATTICE).latticeData;
const clusterKey = KeyPair.create('cluster');
const ACK = { accepted: true, error: '' };
const ALICE = { username: 'alice', password: 'hunter2 hunter2' };

const echo = builtActor('echo');
const echoId = verifySignedWasm(echo).claims.sub;
const kvcounter = builtActor('wasmbus-kvcounter');

let nats: NatsServer;
let nc: NatsConnection;
let events: EventLog;
let eventsB: EventLog;
let open: OciRegistry;
let locked: OciRegistry;
/** Lists both registries as insecure; latest refused; no credentials of its own. */
let hostA: TestHost;
/** Lists only `locked` as insecure; allows latest; OCI_REGISTRY* credentials for `locked`. */
let hostB: TestHost;
let dir: string;
let probe: BuiltProbe;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-host-oci-'));
  [nats, open, locked, probe] = await Promise.all([
    startNatsServer(),
    startOciRegistry(),
    startOciRegistry({ auth: { kind: 'htpasswd', user: ALICE } }),
    buildProbeArchive(dir),
  ]);
  const pusher = new OciClient({ insecureRegistries: [open.host, locked.host], credentials: () => ALICE });
  const push = (ref: string, kind: 'actor' | 'provider', bytes: Uint8Array) =>
    pusher.push(parseOciReference(ref), { kind, bytes });
  await push(open.ref('echo:0.1.0'), 'actor', echo);
  await push(open.ref('echo:0.2.0'), 'actor', echo);
  await push(open.ref('echo:latest'), 'actor', echo);
  await push(open.ref('kvcounter:0.1.0'), 'actor', kvcounter);
  await push(open.ref('probe:0.1.0'), 'provider', readFileSync(probe.path));
  await push(locked.ref('kvcounter:0.1.0'), 'actor', kvcounter);
  await push(locked.ref('kvcounter:latest'), 'actor', kvcounter);

  nc = await connectNats({ url: nats.url });
  events = new EventLog(nc, LATTICE);
  eventsB = new EventLog(nc, LATTICE_B);
  [hostA, hostB] = await Promise.all([
    startTestHost({
      natsUrl: nats.url,
      // Files are off, as on a production host: OCI references work regardless.
      settings: {
        latticePrefix: LATTICE,
        clusterSeed: clusterKey.seed,
        allowedInsecure: `${open.host}, ${locked.host}`,
        allowFileLoad: 'false',
      },
    }),
    startTestHost({
      natsUrl: nats.url,
      settings: {
        latticePrefix: LATTICE_B,
        allowedInsecure: locked.host,
        allowLatest: 'true',
        ociRegistry: `http://${locked.host}`,
        ociRegistryUser: ALICE.username,
        ociRegistryPassword: ALICE.password,
      },
    }),
  ]);
}, 90_000);

afterAll(async () => {
  await Promise.all([hostA?.host.stop(), hostB?.host.stop()]);
  await nc?.close();
  await Promise.all([nats?.stop(), open?.stop(), locked?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const launch = (host: TestHost, actorRef: string, count = 1) =>
  ctlRequest(nc, latticeSubjects(host === hostA ? LATTICE : LATTICE_B).ctl.launchActor(host.id), {
    actor_ref: actorRef,
    count,
  });

async function instancesOf(actorId: string): Promise<number> {
  const inventory = hostInventorySchema.parse(await ctlRequest(nc, subjects.hostInventory(hostA.id)));
  const actor = inventory.actors.find((entry) => entry.id === actorId);
  return actor?.instances.length ?? 0;
}

/** An `actor_start_failed` for the ref, its error. */
async function startFailure(log: EventLog, actorRef: string): Promise<string> {
  const event = await log.waitFor('actor_start_failed', (data) => data.actor_ref === actorRef);
  return (event.data as { error: string }).error;
}

describe('an actor from a registry', () => {
  const ref = () => open.ref('echo:0.1.0');

  test('starts, answers, and is recorded in the refmap (KV entry and refmap_set)', async () => {
    expect(await launch(hostA, ref())).toEqual(ACK);
    const started = await events.waitFor('actor_started', (data) => data.image_ref === ref());
    expect(started.source).toBe(hostA.id);
    expect(started.data).toMatchObject({ public_key: echoId });
    const refmap = await events.waitFor('refmap_set', (data) => data.oci_url === ref());
    expect(refmap.data).toEqual({ oci_url: ref(), public_key: echoId });
    const kv = await nc.jetstream().views.kv(latticeData.bucket);
    const entry = await kv.get(latticeData.refmapKey(ref()));
    expect(JSON.parse(new TextDecoder().decode(entry?.value))).toEqual({
      oci_url: ref(),
      public_key: echoId,
    });
    expect(hostA.host.latticeData.publicKeyForRef(ref())).toBe(echoId);

    const request = encodePayload({
      method: 'GET',
      path: '/oci',
      queryString: '',
      header: {},
      body: new Uint8Array(),
    });
    const reply = decodePayload(
      await invokeActor(nc, LATTICE, clusterKey, echoId, 'HttpServer.HandleRequest', request),
    ) as { statusCode: number; body: Uint8Array };
    expect(reply.statusCode).toBe(200);
    expect(new TextDecoder().decode(reply.body)).toContain('"path":"/oci"');
  });

  test('a second start takes the layer from the cache: the registry no longer has it', async () => {
    const layer = sha256Digest(echo);
    const blobGets = () =>
      open.requests().filter((r) => r.method === 'GET' && r.path === `/v2/echo/blobs/${layer}`).length;
    await eventuallyPasses(async () => expect(await blobGets()).toBe(1), { what: 'blobGets to be (1)' });
    unlinkSync(open.blobDataPath(layer));
    const gone = await fetch(`http://${open.host}/v2/echo/blobs/${layer}`);
    expect(gone.status).not.toBe(200);
    await gone.body?.cancel();

    const before = events.named('actor_started').length;
    expect(await launch(hostA, ref())).toEqual(ACK);
    await eventuallyPasses(async () => expect(await events.named('actor_started').length).toBe(before + 1), {
      what: "events.named('actor_started').length to be (before + 1)",
    });
    expect(
      events.named('actor_start_failed').filter((e) => (e.data as { actor_ref: string }).actor_ref === ref()),
    ).toEqual([]);
    expect(await instancesOf(echoId)).toBe(2);
  });

  test('after a live update to another ref, the first ref still stops it (refmap); scale starts it by ref', async () => {
    const newRef = open.ref('echo:0.2.0');
    expect(
      await ctlRequest(nc, subjects.updateActor(hostA.id), { actor_id: echoId, new_actor_ref: newRef }),
    ).toEqual(ACK);
    await events.waitFor('refmap_set', (data) => data.oci_url === newRef);
    const inventory = hostInventorySchema.parse(await ctlRequest(nc, subjects.hostInventory(hostA.id)));
    expect(inventory.actors.find((actor) => actor.id === echoId)?.image_ref).toBe(newRef);

    // The host runs it as 0.2.0 now; 0.1.0 names it only through the refmap.
    expect(await ctlRequest(nc, subjects.stopActor(hostA.id), { actor_ref: ref(), count: 0 })).toEqual(ACK);
    await eventuallyPasses(async () => expect(await instancesOf(echoId)).toBe(0), {
      what: 'instancesOf(echoId) to be (0)',
    });

    expect(
      await ctlRequest(nc, subjects.scaleActor(hostA.id), { actor_id: echoId, actor_ref: ref(), count: 2 }),
    ).toEqual(ACK);
    await eventuallyPasses(async () => expect(await instancesOf(echoId)).toBe(2), {
      what: 'instancesOf(echoId) to be (2)',
    });
    expect(await ctlRequest(nc, subjects.stopActor(hostA.id), { actor_ref: ref(), count: 1 })).toEqual(ACK);
    await eventuallyPasses(async () => expect(await instancesOf(echoId)).toBe(1), {
      what: 'instancesOf(echoId) to be (1)',
    });
  });

  test('wash ctl start actor <ref> starts it end to end', async () => {
    const ref = open.ref('kvcounter:0.1.0');
    const run = await runWash([
      'ctl',
      'start',
      'actor',
      ref,
      '--host-id',
      hostA.id,
      '-r',
      '127.0.0.1',
      '-p',
      String(nats.port),
      '-x',
      LATTICE,
      '-o',
      'json',
    ]);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      actor_ref: ref,
      actor_id: verifySignedWasm(kvcounter).claims.sub,
      host_id: hostA.id,
      result: 'started',
      success: true,
    });
  });
});

describe('a provider from a registry', () => {
  test('starts, is recorded in the refmap, and stops by its ref', async () => {
    const ref = open.ref('probe:0.1.0');
    expect(
      await ctlRequest(nc, subjects.launchProvider(hostA.id), { provider_ref: ref, link_name: 'default' }),
    ).toEqual(ACK);
    const started = await events.waitFor('provider_started', (data) => data.image_ref === ref, 30_000);
    expect(started.data).toMatchObject({ public_key: probe.providerKey, link_name: 'default' });
    const refmap = await events.waitFor('refmap_set', (data) => data.oci_url === ref);
    expect(refmap.data).toEqual({ oci_url: ref, public_key: probe.providerKey });
    expect(
      await ctlRequest(nc, subjects.stopProvider(hostA.id), { provider_ref: ref, link_name: 'default' }),
    ).toEqual(ACK);
    await events.waitFor('provider_stopped', (data) => data.public_key === probe.providerKey, 15_000);
  });

  test('an actor under a provider ref is refused, naming both kinds', async () => {
    const ref = open.ref('kvcounter:0.1.0');
    expect(
      await ctlRequest(nc, subjects.launchProvider(hostA.id), { provider_ref: ref, link_name: 'wrong' }),
    ).toEqual(ACK);
    const failed = await events.waitFor('provider_start_failed', (data) => data.provider_ref === ref);
    expect((failed.data as { error: string }).error).toBe(
      `cannot pull ${ref}: ${ref} is an actor module (layer application/vnd.module.wasm.content.layer.v1+wasm), not a provider archive`,
    );
  });
});

describe('what a host refuses, and why', () => {
  test('latest, named or implied, unless WASMCLOUD_OCI_ALLOW_LATEST', async () => {
    for (const ref of [open.ref('echo:latest'), open.ref('echo')]) {
      expect(await launch(hostA, ref)).toEqual(ACK);
      expect(await startFailure(events, ref)).toMatch(
        /(uses the tag latest|has no tag, so it means the tag latest), which can change under you; give a version tag or a digest, or allow latest with WASMCLOUD_OCI_ALLOW_LATEST=true \(--allow-latest\)$/,
      );
    }
    // Host B allows it (and has OCI_REGISTRY* credentials for this registry).
    const ref = locked.ref('kvcounter:latest');
    expect(await launch(hostB, ref)).toEqual(ACK);
    await eventsB.waitFor('actor_started', (data) => data.image_ref === ref);
  });

  test('a registry not listed in WASMCLOUD_OCI_ALLOWED_INSECURE is spoken to over HTTPS only', async () => {
    const ref = open.ref('kvcounter:0.1.0');
    expect(await launch(hostB, ref)).toEqual(ACK);
    expect(await startFailure(eventsB, ref)).toMatch(
      new RegExp(
        `^cannot pull ${ref}: cannot reach registry ${open.host} at https://${open.host} \\(TLS handshake failed: ERR_SSL_\\w+\\); if it serves plain HTTP, add it to WASMCLOUD_OCI_ALLOWED_INSECURE \\(--allowed-insecure\\)$`,
      ),
    );
  });

  test('credentials: none, then wrong and right ones from registries.put', async () => {
    const ref = locked.ref('kvcounter:0.1.0');
    expect(await launch(hostA, ref)).toEqual(ACK);
    expect(await startFailure(events, ref)).toBe(
      `cannot pull ${ref}: registry ${locked.host} requires credentials (Basic auth) and none were given; send them with registries.put, or start the host with OCI_REGISTRY, OCI_REGISTRY_USER and OCI_REGISTRY_PASSWORD`,
    );
    events.events.length = 0; // so the next failure for this ref is the next one
    const put = (password: string) =>
      ctlRequest(nc, subjects.registriesPut(), {
        [locked.host]: { username: ALICE.username, password, registryType: 'oci' },
      });
    expect(await put('wrong')).toEqual(ACK);
    expect(await launch(hostA, ref)).toEqual(ACK);
    expect(await startFailure(events, ref)).toBe(
      `cannot pull ${ref}: registry ${locked.host} refused the credentials of user "alice" (401 Unauthorized)`,
    );
    expect(await put(ALICE.password)).toEqual(ACK);
    expect(await launch(hostA, ref)).toEqual(ACK);
    // kvcounter already runs here (from the other registry): this start adds an instance to it.
    const kvcounterId = verifySignedWasm(kvcounter).claims.sub;
    await events.waitFor('actor_started', (data) => data.public_key === kvcounterId);
    await events.waitFor('refmap_set', (data) => data.oci_url === ref && data.public_key === kvcounterId);
  });

  test('a missing tag and a malformed reference are named', async () => {
    const missing = open.ref('echo:9.9.9');
    expect(await launch(hostA, missing)).toEqual(ACK);
    expect(await startFailure(events, missing)).toBe(
      `cannot pull ${missing}: ${missing} was not found in registry ${open.host} (404 Not Found: MANIFEST_UNKNOWN: manifest unknown)`,
    );
    const malformed = `${open.host}/Echo:0.1.0`;
    expect(await launch(hostA, malformed)).toEqual(ACK);
    // Files are off on this host, so it was no file either; why it is no OCI reference is said too.
    expect(await startFailure(events, malformed)).toMatch(
      /^cannot load 127\.0\.0\.1:\d+\/Echo:0\.1\.0: this host does not start actors or providers from files; .*--allow-file-load.*; .* the repository "Echo" must be lowercase$/,
    );
    // And the host answers as ever.
    expect(await instancesOf(echoId)).toBe(1);
  });
});

test('OCI_REGISTRY_USER or OCI_REGISTRY_PASSWORD without OCI_REGISTRY is refused by name', () => {
  expect(() => resolveHostConfig({ ociRegistryUser: 'alice' }, {})).toThrow(
    'invalid host configuration: OCI_REGISTRY_USER (--oci-registry-user): set OCI_REGISTRY (--oci-registry) too',
  );
  expect(() => resolveHostConfig({ ociRegistryPassword: 'x' }, {})).toThrow(
    /OCI_REGISTRY_PASSWORD \(--oci-registry-password\): set OCI_REGISTRY/,
  );
  expect(resolveHostConfig({ ociRegistry: 'r.io', ociRegistryUser: 'a' }, {}).ociRegistry).toEqual({
    registry: 'r.io',
    username: 'a',
    password: undefined,
  });
});
