// A host running a real provider process through the control interface: started from its archive
// file, links delivered through the lattice data, calls both ways (provider → actor, actor →
// provider by link), health events, and a provider killed with SIGKILL coming back with its links.

import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { hostInventorySchema } from '../../lattice/control.ts';
import type { LinkDefinition } from '../../lattice/link-definition.ts';
import { decodePayload, encodePayload } from '../../lattice/payload.ts';
import {
  type BuiltProbe,
  buildProbeArchive,
  PROBE_CONTRACT,
} from '../fixtures/providers/provider-test-kit.ts';
import { eventuallyPasses } from '../helpers/eventually.ts';
import { ctlRequest } from '../helpers/lattice-client.ts';
import { ACK, ProviderLattice } from '../helpers/provider-lattice.ts';

let lattice: ProviderLattice;
let probe: BuiltProbe;
let actorId: string;

beforeAll(async () => {
  lattice = await ProviderLattice.start({
    lattice: 'provtest',
    name: 'hostprov',
    providerHealthIntervalMs: 500,
  });
  probe = await buildProbeArchive(lattice.dir);
  actorId = await lattice.startActor('wasmbus-kvcounter');
}, 60_000);

afterAll(async () => {
  await lattice?.stop();
});

/** Calls the probe provider as the linked actor would; the raw reply. */
function callProbe(operation: string, payload: Uint8Array = new Uint8Array()): Promise<Uint8Array> {
  return lattice.callProvider({
    actorId,
    providerKey: probe.providerKey,
    contractId: PROBE_CONTRACT,
    operation,
    msg: payload,
    timeoutMs: 3_000,
  });
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
  await lattice.startProvider(probe);
  const inventory = hostInventorySchema.parse(
    await ctlRequest(lattice.nc, lattice.subjects.ctl.hostInventory(lattice.host.id)),
  );
  expect(inventory.providers).toEqual([
    expect.objectContaining({
      id: probe.providerKey,
      link_name: 'default',
      contract_id: 'wasmcloud:probe',
      name: 'Probe',
    }),
  ]);
  await lattice.events.waitFor('health_check_passed', (data) => data.public_key === probe.providerKey);

  // A second start of the same provider and link name is a no-op, as in OTP.
  expect(
    await ctlRequest(lattice.nc, lattice.subjects.ctl.launchProvider(lattice.host.id), {
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
  await expect(lattice.invokeActor(actorId, 'HttpServer.HandleRequest', request)).rejects.toThrow(
    /missing link definition for .* on wasmcloud:keyvalue/,
  );
  const keyvalueLink: LinkDefinition = {
    actor_id: actorId,
    provider_id: probe.providerKey,
    contract_id: 'wasmcloud:keyvalue',
    link_name: 'default',
    values: {},
  };
  await lattice.putLink(keyvalueLink);
  await eventuallyPasses(
    async () =>
      expect(
        await lattice
          .invokeActor(actorId, 'HttpServer.HandleRequest', request)
          .catch((error: Error) => error.message),
      ).toMatch(/operation KeyValue.Increment is not handled by provider/),
    {
      what: "lattice .invokeActor(actorId, 'HttpServer.HandleRequest', request) .catch((error: Error) => error...",
    },
  );
  const { actor_id, contract_id, link_name } = keyvalueLink;
  expect(
    await ctlRequest(lattice.nc, lattice.subjects.ctl.linkDel(), { actor_id, contract_id, link_name }),
  ).toEqual(ACK);
  // Unlinked now: the provider refuses the actor's calls (§3.3 step 6).
  await eventuallyPasses(
    async () =>
      expect(await probeLinks().catch((error: Error) => error.message)).toMatch(
        /has no link to this provider/,
      ),
    { what: 'probeLinks().catch((error: Error) => error.message) to match (/has no link to this provider/)' },
  );

  // A link under a contract the actor claims: the provider hears of it and may call the actor.
  // (A 2022 provider holds one link per actor, as wasmbus-rpc keyed its table by actor.)
  const link: LinkDefinition = {
    ...keyvalueLink,
    contract_id: 'wasmcloud:httpserver',
    values: { PORT: '8080' },
  };
  await lattice.putLink(link);
  await eventuallyPasses(async () => expect(await probeLinks()).toEqual([expect.objectContaining(link)]), {
    what: 'probeLinks to equal ([expect.objectContaining(link)])',
  });
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
  const startsBefore = lattice.events.named('provider_started').length;
  process.kill(pid!, 'SIGKILL');
  const stopped = await lattice.events.waitFor(
    'provider_stopped',
    (data) => data.public_key === probe.providerKey,
  );
  expect((stopped.data as { reason: string }).reason).toMatch(/SIGKILL/);
  await eventuallyPasses(
    async () => expect(await lattice.events.named('provider_started').length).toBe(startsBefore + 1),
    { what: "lattice.events.named('provider_started').length to be (startsBefore + 1)", timeoutMs: 15_000 },
  );
  await eventuallyPasses(async () => expect(await probeLinks()).toEqual([expect.objectContaining(link)]), {
    what: 'probeLinks to equal ([expect.objectContaining(link)])',
    timeoutMs: 10_000,
  });
  expect(providerPids()).not.toContain(pid);

  // Stop: the shutdown sequence runs and the process is gone.
  expect(
    await ctlRequest(lattice.nc, lattice.subjects.ctl.stopProvider(lattice.host.id), {
      provider_ref: probe.providerKey,
      link_name: 'default',
      contract_id: 'wasmcloud:probe',
    }),
  ).toEqual(ACK);
  await lattice.events.waitFor('provider_stopped', (data) => data.reason === 'normal');
  await eventuallyPasses(async () => expect(await providerPids()).toEqual([]), {
    what: 'providerPids() to equal ([])',
  });
}, 90_000);
