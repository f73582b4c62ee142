// kvcounter served over HTTP by a ProviderLattice's host alone: the built-in httpserver and
// keyvalue started on it, kvcounter linked to both (a bucket of the test's naming, a free port),
// and resolved once `GET /counter` answers 200. For tests that need real calls through an actor and
// a provider (metrics, the dashboard's call rates).

import { expect } from 'vitest';
import { builtinProviderKey } from '../../lattice/builtin-providers.ts';
import { eventually } from './eventually.ts';
import { ctlRequest } from './lattice-client.ts';
import { freePort } from './nats-server.ts';
import { ACK, type ProviderLattice } from './provider-lattice.ts';

export interface KvcounterOverHttp {
  kvcounterId: string;
  httpserverKey: string;
  keyvalueKey: string;
  httpPort: number;
  /** `http://127.0.0.1:{port}/counter`. */
  url: string;
}

/** Starts `wasmcloud+builtin://{name}` on the lattice's host and waits for its provider_started. */
export async function startBuiltinProvider(lattice: ProviderLattice, name: string): Promise<string> {
  const key = builtinProviderKey(lattice.clusterKey.seed, name).publicKey;
  expect(
    await ctlRequest(lattice.nc, lattice.subjects.ctl.launchProvider(lattice.host.id), {
      provider_ref: `wasmcloud+builtin://${name}`,
      link_name: 'default',
    }),
  ).toEqual(ACK);
  await lattice.events.waitFor('provider_started', (data) => data.public_key === key);
  return key;
}

export async function serveKvcounterOverHttp(
  lattice: ProviderLattice,
  bucket: string,
): Promise<KvcounterOverHttp> {
  const httpserverKey = await startBuiltinProvider(lattice, 'httpserver');
  const keyvalueKey = await startBuiltinProvider(lattice, 'keyvalue');
  const kvcounterId = await lattice.startActor('wasmbus-kvcounter');
  const httpPort = await freePort();
  const link = (providerId: string, contractId: string, values: Record<string, string>) => ({
    actor_id: kvcounterId,
    provider_id: providerId,
    link_name: 'default',
    contract_id: contractId,
    values,
  });
  await lattice.putLink(link(keyvalueKey, 'wasmcloud:keyvalue', { BUCKET: bucket }));
  await lattice.putLink(link(httpserverKey, 'wasmcloud:httpserver', { ADDRESS: `127.0.0.1:${httpPort}` }));
  const url = `http://127.0.0.1:${httpPort}/counter`;
  await eventually(
    () =>
      fetch(url).then(
        (response) => response.ok,
        () => false,
      ),
    'kvcounter serving HTTP',
    20_000,
  );
  return { kvcounterId, httpserverKey, keyvalueKey, httpPort, url };
}
