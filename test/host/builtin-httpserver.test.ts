// The built-in httpserver (wasmcloud+builtin://httpserver) on real hosts and a real nats-server:
// started through the control interface and by wash, it runs inside the host (no provider
// process), appears in inventory and the claims with the key derived from the cluster seed (the
// same on a second host sharing the seed), serves the 2022 echo, serves one link from two hosts,
// falls back to the lattice for an actor this host does not run, refuses a taken port while the
// other links keep serving, refuses an actor without the httpserver claim as the provider does,
// closes its listeners when stopped, and has them reopened by a replacement worker.

import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { builtinProviderKey } from '../../lattice/builtin-providers.ts';
import { claimsListSchema, hostInventorySchema } from '../../lattice/control.ts';
import { signForTest, unsignedActor } from '../helpers/actors.ts';
import { eventually, eventuallyPasses } from '../helpers/eventually.ts';
import { startTestHost, type TestHost } from '../helpers/host.ts';
import { ctlRequest } from '../helpers/lattice-client.ts';
import { freePort } from '../helpers/nats-server.ts';
import { ACK, ProviderLattice } from '../helpers/provider-lattice.ts';
import { runWash } from '../helpers/wash.ts';
import { misbehavingComponent } from '../helpers/wat-component.ts';

const BUILTIN = 'wasmcloud+builtin://httpserver';
const CONTRACT = 'wasmcloud:httpserver';
const ECHO_ROOT = '{"body":[],"method":"GET","path":"/","query_string":""}';

let lattice: ProviderLattice;
let builtinKey: string;
let echoId: string;
let second: TestHost | undefined;

/** The process IDs whose parent is this test process (nats-server, any provider process). */
function childPids(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        // The parent PID is the 4th field, after "pid (comm) state".
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(fields[1]) === process.pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function get(port: number, path = '/'): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { connection: 'close' } });
  return { status: response.status, body: await response.text() };
}

async function probe(port: number): Promise<string> {
  return get(port).then(
    () => 'serving',
    (error: Error & { cause?: { code?: string } }) => error.cause?.code ?? error.message,
  );
}

const waitServing = (port: number) =>
  eventually(async () => (await probe(port)) === 'serving', `a listener on port ${port}`, 15_000);
const waitClosed = (port: number) =>
  eventually(async () => (await probe(port)) === 'ECONNREFUSED', `port ${port} to close`, 15_000);

function link(actorId: string, values: Record<string, string>) {
  return { actor_id: actorId, provider_id: builtinKey, link_name: 'default', contract_id: CONTRACT, values };
}

async function deleteLink(actorId: string): Promise<void> {
  const request = { actor_id: actorId, contract_id: CONTRACT, link_name: 'default' };
  expect(await ctlRequest(lattice.nc, lattice.subjects.ctl.linkDel(), request)).toEqual(ACK);
}

const hostLogs = (host: TestHost, pattern: RegExp) => host.logs.filter((line) => pattern.test(line));

beforeAll(async () => {
  lattice = await ProviderLattice.start({ lattice: 'builtinhttp', name: 'builtin-httpserver' });
  builtinKey = builtinProviderKey(lattice.clusterKey.seed, 'httpserver').publicKey;
  echoId = await lattice.startActor('wasmbus-echo');
}, 60_000);

afterAll(async () => {
  await second?.host.stop();
  await lattice?.stop();
});

describe('wasmcloud+builtin://httpserver', () => {
  test('wash ctl start provider runs it inside the host: the echo answers with no provider process', async () => {
    const before = childPids();
    const natsPort = new URL(lattice.nats.url).port;
    const started = await runWash(
      ['ctl', 'start', 'provider', BUILTIN, '--ctl-port', natsPort, '-x', lattice.prefix, '-o', 'json'],
      { env: { WASH_KEYS: lattice.dir } },
    );
    expect(started.code, started.stderr).toBe(0);
    expect(JSON.parse(started.stdout)).toMatchObject({ provider_ref: BUILTIN, provider_id: builtinKey });
    await lattice.events.waitFor(
      'provider_started',
      (data) => data.public_key === builtinKey && data.image_ref === BUILTIN,
    );

    const port = await freePort();
    await lattice.putLink(link(echoId, { ADDRESS: `127.0.0.1:${port}` }));
    await waitServing(port);
    expect(await get(port)).toEqual({ status: 200, body: ECHO_ROOT });
    // No process was started for it.
    expect(childPids().sort()).toEqual(before.sort());
    await lattice.events.waitFor('health_check_passed', (data) => data.public_key === builtinKey);

    // Inventory and claims show it like any provider, under the derived key.
    const inventory = hostInventorySchema.parse(
      await ctlRequest(lattice.nc, lattice.subjects.ctl.hostInventory(lattice.host.id)),
    );
    expect(inventory.providers).toEqual([
      expect.objectContaining({
        id: builtinKey,
        link_name: 'default',
        contract_id: CONTRACT,
        image_ref: BUILTIN,
        name: 'HTTP Server (built-in)',
      }),
    ]);
    const claims = claimsListSchema.parse(await ctlRequest(lattice.nc, lattice.subjects.ctl.getClaims()));
    expect(claims.claims).toContainEqual(expect.objectContaining({ sub: builtinKey, contract_id: CONTRACT }));
    await deleteLink(echoId);
    await waitClosed(port);
  }, 60_000);

  test('an actor without the wasmcloud:httpserver claim gets the refusal the provider gives: 403', async () => {
    const notForHttp = signForTest(unsignedActor('wasmbus-echo'), { name: 'echo-no-http', caps: [] });
    const actorId = await lattice.startSignedActor(notForHttp.bytes, 'echo-no-http');
    const port = await freePort();
    await lattice.putLink(link(actorId, { port: String(port) }));
    await waitServing(port);
    const response = await get(port);
    expect(response.status).toBe(403);
    expect(response.body).toBe(
      `Forbidden: missing capability claim: wasmcloud:httpserver (actor ${actorId} is not signed with it; sign it with wash claims sign --cap wasmcloud:httpserver)\n`,
    );
    await deleteLink(actorId);
    await waitClosed(port);
  }, 30_000);

  test('a taken port refuses that link with a clear error and an unhealthy note; the other link keeps serving', async () => {
    const echoPort = await freePort();
    await lattice.putLink(link(echoId, { ADDRESS: `127.0.0.1:${echoPort}` }));
    await waitServing(echoPort);
    const kvcounterId = await lattice.startActor('wasmbus-kvcounter');
    await lattice.putLink(link(kvcounterId, { ADDRESS: `127.0.0.1:${echoPort}` }));
    await eventuallyPasses(
      async () =>
        expect(hostLogs(lattice.host, /Refused the link of actor/)).toContainEqual(
          expect.stringContaining(
            `Refused the link of actor ${kvcounterId}: address 127.0.0.1:${echoPort} is already in use by the listener of actor ${echoId}`,
          ),
        ),
      { what: 'the refusal of the second link on a taken port in the host log' },
    );
    const failed = await lattice.events.waitFor(
      'health_check_failed',
      (data) => data.public_key === builtinKey,
    );
    expect(String((failed.data as Record<string, unknown>).message)).toContain(
      `address 127.0.0.1:${echoPort} is already in use`,
    );
    expect(await get(echoPort, '/still')).toMatchObject({ status: 200 });
    expect((await get(echoPort, '/still')).body).toContain('"path":"/still"');

    // A port another process holds: refused too, naming the address.
    const { createServer } = await import('node:net');
    const blocker = createServer();
    const blockedPort = await freePort();
    await new Promise<void>((resolve) => blocker.listen(blockedPort, '127.0.0.1', resolve));
    try {
      await deleteLink(kvcounterId);
      await lattice.putLink(link(kvcounterId, { ADDRESS: `127.0.0.1:${blockedPort}` }));
      await eventuallyPasses(
        async () =>
          expect(hostLogs(lattice.host, /Refused the link of actor/)).toContainEqual(
            expect.stringContaining(
              `Refused the link of actor ${kvcounterId}: address 127.0.0.1:${blockedPort} is already in use`,
            ),
          ),
        { what: 'the refusal of a port held by another process' },
      );
      expect((await get(echoPort, '/again')).body).toContain('"path":"/again"');
    } finally {
      blocker.close();
      await deleteLink(kvcounterId);
      await deleteLink(echoId);
    }
    await waitClosed(echoPort);
    await lattice.events.waitFor('health_check_passed', (data) => data.public_key === builtinKey, 10_000);
  }, 60_000);

  test('a second host sharing the cluster seed derives the same key; both serve one link; stop closes only its listeners', async () => {
    second = await startTestHost({
      natsUrl: lattice.nats.url,
      settings: { latticePrefix: lattice.prefix, clusterSeed: lattice.clusterKey.seed, actorWorkers: '2' },
    });
    const secondId = second.id;
    expect(
      await ctlRequest(lattice.nc, lattice.subjects.ctl.launchProvider(secondId), {
        provider_ref: BUILTIN,
        link_name: 'default',
      }),
    ).toEqual(ACK);
    const started = await lattice.events.waitFor(
      'provider_started',
      (data) => data.image_ref === BUILTIN && data.public_key === builtinKey,
    );
    expect((started.data as Record<string, unknown>).public_key).toBe(builtinKey);
    await eventuallyPasses(
      async () => {
        const inventory = hostInventorySchema.parse(
          await ctlRequest(lattice.nc, lattice.subjects.ctl.hostInventory(secondId)),
        );
        expect(inventory.providers.map((provider) => provider.id)).toEqual([builtinKey]);
      },
      { what: 'the built-in in the second host inventory' },
    );

    // Only the first host runs the echo: the second host's workers call it over the lattice.
    const port = await freePort();
    await lattice.putLink(link(echoId, { ADDRESS: `127.0.0.1:${port}` }));
    await waitServing(port);
    await eventuallyPasses(
      async () =>
        expect(
          hostLogs(second!, new RegExp(`actor ${echoId} listening on http://127.0.0.1:${port}`)),
        ).not.toEqual([]),
      { what: 'the second host listening' },
    );
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => get(port, `/n/${i}`)));
    answers.forEach((answer, i) => {
      expect(answer).toEqual({
        status: 200,
        body: `{"body":[],"method":"GET","path":"/n/${i}","query_string":""}`,
      });
    });

    // Stopping it on the first host closes that host's listeners; the second keeps the port.
    expect(
      await ctlRequest(lattice.nc, lattice.subjects.ctl.stopProvider(lattice.host.id), {
        provider_ref: builtinKey,
        link_name: 'default',
      }),
    ).toEqual(ACK);
    await lattice.events.waitFor(
      'provider_stopped',
      (data) => data.public_key === builtinKey && data.reason === 'normal',
    );
    await eventuallyPasses(
      async () =>
        expect(
          hostLogs(lattice.host, new RegExp(`no longer listening on http://127.0.0.1:${port}`)),
        ).not.toEqual([]),
      { what: 'the first host closing its listener' },
    );
    for (let i = 0; i < 10; i++) expect(await get(port, `/after/${i}`)).toMatchObject({ status: 200 });

    // Stopped on the second host as well: nobody listens any more.
    expect(
      await ctlRequest(lattice.nc, lattice.subjects.ctl.stopProvider(secondId), {
        provider_ref: BUILTIN,
        link_name: 'default',
      }),
    ).toEqual(ACK);
    await waitClosed(port);
    await deleteLink(echoId);
  }, 60_000);

  test('a replaced worker reopens the listeners', async () => {
    await lattice.startProvider({ path: BUILTIN, providerKey: builtinKey });
    const port = await freePort();
    await lattice.putLink(link(echoId, { ADDRESS: `127.0.0.1:${port}` }));
    await waitServing(port);
    // A component that loops without yield points stalls the host's only worker, which is replaced.
    const looping = signForTest(await misbehavingComponent(), { name: 'misbehave', caps: [CONTRACT] });
    const loopId = await lattice.startSignedActor(looping.bytes, 'misbehave');
    await lattice.invokeActor(loopId, 'loop', new Uint8Array()).catch(() => 'timed out, as it must');
    await lattice.events.waitFor(
      'actor_interrupted',
      (data) => data.public_key === loopId && data.action === 'worker_replaced',
      15_000,
    );
    // The one worker there is now is the replacement: it must listen again and run the echo.
    await eventuallyPasses(async () => expect(await get(port)).toEqual({ status: 200, body: ECHO_ROOT }), {
      what: 'the replacement worker serving the link',
      timeoutMs: 20_000,
    });
    await deleteLink(echoId);
    await waitClosed(port);
  }, 60_000);

  test('an actor stuck in a built-in request gets its worker replaced, and the listeners come back', async () => {
    const echoPort = await freePort();
    await lattice.putLink(link(echoId, { ADDRESS: `127.0.0.1:${echoPort}` }));
    await waitServing(echoPort);
    const looping = signForTest(await misbehavingComponent({ loopOnHttp: true }), {
      name: 'misbehave-http',
      caps: [CONTRACT],
    });
    const loopId = await lattice.startSignedActor(looping.bytes, 'misbehave-http');
    const loopPort = await freePort();
    await lattice.putLink(link(loopId, { ADDRESS: `127.0.0.1:${loopPort}` }));
    await eventually(
      () =>
        hostLogs(lattice.host, new RegExp(`actor ${loopId} listening on http://127.0.0.1:${loopPort}`))
          .length > 0,
      'the looping actor listening',
    );
    // The loop holds the host's only worker: its connection ends only when the worker is replaced.
    const started = Date.now();
    const outcome = await get(loopPort).then(
      (response) => `answered ${response.status}`,
      (error: Error) => `connection ended: ${error.message}`,
    );
    expect(outcome).toMatch(/^connection ended/);
    expect(Date.now() - started).toBeLessThan(15_000);
    await eventuallyPasses(
      async () => expect(await get(echoPort)).toEqual({ status: 200, body: ECHO_ROOT }),
      {
        what: 'the replacement worker serving the echo link',
        timeoutMs: 20_000,
      },
    );
    await deleteLink(loopId);
    await deleteLink(echoId);
    await waitClosed(echoPort);
  }, 60_000);

  test('unknown names are refused with a clear error', async () => {
    expect(
      await ctlRequest(lattice.nc, lattice.subjects.ctl.launchProvider(lattice.host.id), {
        provider_ref: 'wasmcloud+builtin://blobstore',
        link_name: 'default',
      }),
    ).toEqual(ACK);
    const failed = await lattice.events.waitFor(
      'provider_start_failed',
      (data) => data.provider_ref === 'wasmcloud+builtin://blobstore',
    );
    expect(String((failed.data as Record<string, unknown>).error)).toMatch(
      /"wasmcloud\+builtin:\/\/blobstore" names no built-in provider/,
    );
  });
});
