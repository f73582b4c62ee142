// The provider supervisor with real provider processes: the probe provider bundled and signed into
// a js-node archive by the packaging code, started from that archive against a real nats-server.

import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pack } from 'tar-stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProviderStartError, ProviderSupervisor } from '../../host/providers/mod.ts';
import { RestartBackoff } from '../../host/providers/restart-backoff.ts';
import { KeyPair } from '../../lattice/keys.ts';
import type { LinkDefinition } from '../../lattice/link-definition.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { decodePayload } from '../../lattice/payload.ts';
import { createProviderArchive, nativeTarget } from '../../lattice/provider-archive.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import {
  type BuiltProbe,
  buildProbeArchive,
  invokeProvider,
  PROBE_CONTRACT,
  tempDir,
  testLink,
} from '../fixtures/providers/provider-test-kit.ts';
import { type SupervisorHarness, supervisorHarness } from '../fixtures/providers/supervisor-context.ts';
import { eventually } from '../helpers/eventually.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import { isAlive } from '../helpers/processes.ts';

let nats: NatsServer;
let nc: NatsConnection;
let probe: BuiltProbe;
const dir = tempDir('supervisor');
const supervisors: ProviderSupervisor[] = [];

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
  probe = await buildProbeArchive(dir);
});

afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((supervisor) => supervisor.stopAll()));
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function harness(overrides: Parameters<typeof supervisorHarness>[3] = {}): {
  h: SupervisorHarness;
  supervisor: ProviderSupervisor;
} {
  const h = supervisorHarness(
    nc,
    nats.port,
    join(dir, `cache-${supervisors.length}-${Date.now()}`),
    overrides,
  );
  const supervisor = new ProviderSupervisor(h.context);
  supervisors.push(supervisor);
  return { h, supervisor };
}

async function linksHeld(h: SupervisorHarness, actorId: string): Promise<string[]> {
  const response = await invokeProvider(nc, {
    lattice: h.lattice,
    providerKey: probe.providerKey,
    actorId,
    operation: 'Probe.Links',
  });
  if (response.error !== undefined) throw new Error(response.error);
  return (decodePayload(response.msg) as LinkDefinition[]).map((link) => link.actor_id).sort();
}

async function tarOf(files: Array<[string, Uint8Array]>): Promise<Uint8Array> {
  const packer = pack();
  for (const [name, bytes] of files) packer.entry({ name, size: bytes.length }, Buffer.from(bytes));
  packer.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of packer) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('starting a provider from its archive', () => {
  it('spawns it, publishes provider_started with its claims, and it answers signed invocations', async () => {
    const { h, supervisor } = harness();
    const actorId = KeyPair.create('module').publicKey;
    h.links.push(testLink(actorId, probe.providerKey));
    const started = await supervisor.start({
      archive: probe.archive,
      imageRef: 'file:///probe.par.gz',
      linkName: 'default',
      annotations: { team: 'probe' },
    });
    expect(started).toMatchObject({
      id: probe.providerKey,
      linkName: 'default',
      contractId: PROBE_CONTRACT,
      imageRef: 'file:///probe.par.gz',
      name: 'Probe',
      revision: 3,
      annotations: { team: 'probe' },
      healthy: false,
    });
    expect(started.pid).toBeGreaterThan(0);
    expect(started.instanceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(h.eventsNamed('provider_started')).toEqual([
      {
        public_key: probe.providerKey,
        image_ref: 'file:///probe.par.gz',
        link_name: 'default',
        contract_id: PROBE_CONTRACT,
        instance_id: started.instanceId,
        annotations: { team: 'probe' },
        claims: {
          issuer: probe.issuer.publicKey,
          name: 'Probe',
          version: '0.1.0',
          not_before_human: 'never',
          expires_human: 'never',
        },
      },
    ]);
    expect(supervisor.find(probe.providerKey, 'default')?.instanceId).toBe(started.instanceId);

    const response = await eventually(async () => {
      const reply = await invokeProvider(nc, {
        lattice: h.lattice,
        providerKey: probe.providerKey,
        actorId,
        operation: 'Probe.Echo',
        payload: new TextEncoder().encode('through the supervisor'),
      }).catch(() => undefined);
      return reply;
    }, 'the provider to answer');
    expect(response.error).toBeUndefined();
    expect(new TextDecoder().decode(response.msg)).toBe('through the supervisor');

    // Its stdout reached the host log, tagged with its key; the binary sits in the cache.
    await eventually(
      () => h.logLines.some((line) => line.includes(`[${probe.providerKey}]: probe provider started`)),
      'the start-up line in the host log',
    );
    const cached = readdirSync(join(h.context.cacheDir, probe.providerKey), { recursive: true }).map(String);
    expect(cached.some((name) => name.endsWith('wasmcloud_probe_default.mjs'))).toBe(true);
  });

  it('refuses a second start of the same provider and link name', async () => {
    const { supervisor } = harness();
    await supervisor.start({
      archive: probe.archive,
      imageRef: 'probe',
      linkName: 'default',
      annotations: {},
    });
    const second = supervisor.start({
      archive: probe.archive,
      imageRef: 'probe',
      linkName: 'default',
      annotations: {},
    });
    await expect(second).rejects.toThrow(`provider ${probe.providerKey} link default is already running`);
    await expect(second).rejects.toMatchObject({ code: 'PROVIDER_ALREADY_RUNNING' });
    expect(supervisor.running()).toHaveLength(1);
  });

  it('refuses an archive whose binary was changed after signing', async () => {
    const { supervisor, h } = harness();
    const { token } = await createProviderArchive({
      metadata: { capid: PROBE_CONTRACT, vendor: 'test' },
      binaries: new Map([['js-node', new TextEncoder().encode('console.log("signed")')]]),
      issuer: KeyPair.create('account'),
      subject: KeyPair.create('service'),
    });
    const tampered = await tarOf([
      ['claims.jwt', new TextEncoder().encode(token)],
      ['js-node.bin', new TextEncoder().encode('console.log("swapped")')],
    ]);
    const start = supervisor.start({
      archive: tampered,
      imageRef: 'bad',
      linkName: 'default',
      annotations: {},
    });
    await expect(start).rejects.toBeInstanceOf(ProviderStartError);
    await expect(start).rejects.toMatchObject({ code: 'PAR_TARGET_HASH_MISMATCH' });
    await expect(start).rejects.toThrow(
      /invalid provider archive: the js-node binary has been changed since/,
    );
    expect(supervisor.running()).toEqual([]);
    expect(h.eventsNamed('provider_started')).toEqual([]);
  });

  it('refuses an archive with no binary for this machine or js-node', async () => {
    const { supervisor } = harness();
    const foreign = nativeTarget() === 'riscv64-freebsd' ? 'aarch64-macos' : 'riscv64-freebsd';
    const { bytes } = await createProviderArchive({
      metadata: { capid: PROBE_CONTRACT, vendor: 'test' },
      binaries: new Map([[foreign, new Uint8Array([1, 2, 3])]]),
      issuer: KeyPair.create('account'),
      subject: KeyPair.create('service'),
    });
    const start = supervisor.start({
      archive: bytes,
      imageRef: 'foreign',
      linkName: 'default',
      annotations: {},
    });
    await expect(start).rejects.toMatchObject({
      code: 'PROVIDER_NO_TARGET',
      message: `archive has no binary for ${nativeTarget()} or js-node; it has ${foreign}`,
    });
  });

  it('refuses a link name that cannot be a subject token', async () => {
    const { supervisor } = harness();
    await expect(
      supervisor.start({ archive: probe.archive, imageRef: 'probe', linkName: 'a.b', annotations: {} }),
    ).rejects.toMatchObject({ code: 'PROVIDER_BAD_LINK_NAME' });
  });
});

describe('a running provider', () => {
  it('gets link puts and deletes, including ones sent while it was starting', async () => {
    const { h, supervisor } = harness();
    const first = KeyPair.create('module').publicKey;
    const second = KeyPair.create('module').publicKey;
    h.links.push(testLink(first, probe.providerKey));
    await supervisor.start({
      archive: probe.archive,
      imageRef: 'probe',
      linkName: 'default',
      annotations: {},
    });
    // Sent at once, before the process has subscribed, and before the host's table has it (so
    // only the queue of messages sent while starting can deliver it).
    const secondLink = testLink(second, probe.providerKey);
    supervisor.linkPut(secondLink);
    h.links.push(secondLink);
    await eventually(
      async () => (await linksHeld(h, first).catch(() => [])).length === 2,
      'both links to be held',
    );
    expect(await linksHeld(h, first)).toEqual([first, second].sort());

    h.links.splice(h.links.indexOf(secondLink), 1);
    supervisor.linkDel(secondLink);
    await eventually(async () => (await linksHeld(h, first)).length === 1, 'the deleted link to go');
    expect(await linksHeld(h, first)).toEqual([first]);

    // Links for another provider or link name are not its business. A link of its own put after
    // it travels the same way, so once that one is held, the other would be too.
    supervisor.linkPut({ ...secondLink, link_name: 'other' });
    const third = KeyPair.create('module').publicKey;
    supervisor.linkPut(testLink(third, probe.providerKey));
    await eventually(async () => (await linksHeld(h, first)).includes(third), 'the link put after it');
    expect(await linksHeld(h, first)).toEqual([first, third].sort());
  });

  it('publishes health_check_passed and health_check_failed on changes only', async () => {
    const { h, supervisor } = harness();
    const healthRequests: number[] = [];
    nc.subscribe(latticeSubjects(h.lattice.prefix).rpc.providerHealth(probe.providerKey, 'default'), {
      callback: () => healthRequests.push(Date.now()),
    });
    await nc.flush();
    const flag = join(dir, `flag-${Date.now()}`);
    await supervisor.start({
      archive: probe.archive,
      imageRef: 'probe',
      linkName: 'default',
      annotations: {},
      configuration: JSON.stringify({ health_flag_file: flag }),
    });
    await eventually(() => h.eventsNamed('health_check_passed').length === 1, 'the first health pass');
    expect(supervisor.find(probe.providerKey, 'default')?.healthy).toBe(true);
    writeFileSync(flag, '');
    try {
      await eventually(() => h.eventsNamed('health_check_failed').length === 1, 'a failed check');
      expect(supervisor.find(probe.providerKey, 'default')?.healthy).toBe(false);
    } finally {
      rmSync(flag, { force: true });
    }
    await eventually(() => h.eventsNamed('health_check_passed').length === 2, 'a pass again');
    // Several checks ran meanwhile (every 150 ms), yet each change was announced once: count three
    // more health requests (the test's connection sees them too) so the ones before were answered.
    const checksAfter = healthRequests.length;
    await eventually(() => healthRequests.length >= checksAfter + 3, 'three more health checks');
    expect(
      h.events.filter((event) => event.name.startsWith('health_check')).map((event) => event.name),
    ).toEqual(['health_check_passed', 'health_check_failed', 'health_check_passed']);
    expect(h.eventsNamed('health_check_failed')[0]).toEqual({
      public_key: probe.providerKey,
      link_name: 'default',
    });
  });

  it('is restarted after SIGKILL with a new instance ID, and holds its links again', async () => {
    const { h, supervisor } = harness();
    const first = KeyPair.create('module').publicKey;
    const later = KeyPair.create('module').publicKey;
    h.links.push(testLink(first, probe.providerKey));
    const started = await supervisor.start({
      archive: probe.archive,
      imageRef: 'probe',
      linkName: 'default',
      annotations: {},
    });
    await eventually(
      async () => (await linksHeld(h, first).catch(() => [])).length === 1,
      'the provider to serve',
    );
    const laterLink = testLink(later, probe.providerKey);
    h.links.push(laterLink);
    supervisor.linkPut(laterLink);
    await eventually(async () => (await linksHeld(h, first)).length === 2, 'the second link');

    process.kill(started.pid!, 'SIGKILL');
    await eventually(() => h.eventsNamed('provider_stopped').length === 1, 'provider_stopped');
    expect(h.eventsNamed('provider_stopped')[0]).toEqual({
      public_key: probe.providerKey,
      link_name: 'default',
      contract_id: PROBE_CONTRACT,
      instance_id: started.instanceId,
      reason: 'killed by signal SIGKILL',
    });
    await eventually(() => h.eventsNamed('provider_started').length === 2, 'provider_started again');
    const restarted = h.eventsNamed('provider_started')[1]!;
    expect(restarted.instance_id).not.toBe(started.instanceId);
    const now = supervisor.find(probe.providerKey, 'default');
    expect(now?.instanceId).toBe(restarted.instance_id);
    expect(now?.pid).not.toBe(started.pid);
    expect(isAlive(started.pid!)).toBe(false);
    await eventually(
      async () => (await linksHeld(h, first).catch(() => [])).length === 2,
      'links after restart',
    );
    expect(await linksHeld(h, first)).toEqual([first, later].sort());
  });

  it('stops with the shutdown sequence: the process exits by itself and provider_stopped says "normal"', async () => {
    const { h, supervisor } = harness();
    const started = await supervisor.start({
      archive: probe.archive,
      imageRef: 'probe',
      linkName: 'default',
      annotations: {},
    });
    await eventually(
      () => h.logLines.some((line) => line.includes('probe provider started')),
      'the provider to run',
    );
    expect(await supervisor.stop(probe.providerKey, 'default')).toBe(true);
    expect(isAlive(started.pid!)).toBe(false);
    expect(h.eventsNamed('provider_stopped')).toEqual([
      {
        public_key: probe.providerKey,
        link_name: 'default',
        contract_id: PROBE_CONTRACT,
        instance_id: started.instanceId,
        reason: 'normal',
      },
    ]);
    // It ran its shutdown hook (the host did not have to kill it), and is no longer listed.
    expect(h.logLines.some((line) => line.includes('probe shutting down'))).toBe(true);
    expect(h.logLines.some((line) => line.includes('killing it'))).toBe(false);
    expect(supervisor.running()).toEqual([]);
    expect(await supervisor.stop(probe.providerKey, 'default')).toBe(false);
    // Not restarted: a stop is not a crash. A restart would come from a back-off timer (100 ms in
    // this harness), not from anything a marker could follow, so this waits that timer out, thrice.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.eventsNamed('provider_started')).toHaveLength(1);
  });

  it('cancels a pending restart when stopped during the back-off', async () => {
    const { h, supervisor } = harness({ restartPolicy: { initialMs: 1_500 } });
    const started = await supervisor.start({
      archive: probe.archive,
      imageRef: 'probe',
      linkName: 'default',
      annotations: {},
    });
    process.kill(started.pid!, 'SIGKILL');
    await eventually(() => h.eventsNamed('provider_stopped').length === 1, 'provider_stopped');
    expect(supervisor.find(probe.providerKey, 'default')?.pid).toBeUndefined();
    expect(await supervisor.stop(probe.providerKey, 'default')).toBe(true);
    expect(h.eventsNamed('provider_stopped').map((event) => event.reason)).toEqual([
      'killed by signal SIGKILL',
      'normal',
    ]);
    // The subject of the test: the cancelled restart's timer (1,500 ms) is waited out, and it must
    // not have fired; no marker can stand for a timer that does not fire.
    await new Promise((resolve) => setTimeout(resolve, 1_800));
    expect(h.eventsNamed('provider_started')).toHaveLength(1);
    expect(supervisor.running()).toEqual([]);
  });

  it('stopAll stops every provider and refuses new starts', async () => {
    const { supervisor } = harness();
    const a = await supervisor.start({
      archive: probe.archive,
      imageRef: 'probe',
      linkName: 'a',
      annotations: {},
    });
    const b = await supervisor.start({
      archive: probe.archive,
      imageRef: 'probe',
      linkName: 'b',
      annotations: {},
    });
    expect(
      supervisor
        .running()
        .map((p) => p.linkName)
        .sort(),
    ).toEqual(['a', 'b']);
    await supervisor.stopAll();
    expect(isAlive(a.pid!)).toBe(false);
    expect(isAlive(b.pid!)).toBe(false);
    expect(supervisor.running()).toEqual([]);
    await expect(
      supervisor.start({ archive: probe.archive, imageRef: 'probe', linkName: 'c', annotations: {} }),
    ).rejects.toMatchObject({ code: 'PROVIDER_HOST_STOPPING' });
  });
});

describe('restart back-off', () => {
  it('doubles from 0.5 s to a 30 s cap, and starts over after a run of a minute', () => {
    const backoff = new RestartBackoff();
    const waits = Array.from({ length: 9 }, () => backoff.next(10));
    expect(waits).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    expect(backoff.next(60_000)).toBe(500);
    expect(backoff.next(100)).toBe(1_000);
  });
});
