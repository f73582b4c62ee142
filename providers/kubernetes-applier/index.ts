// The Kubernetes applier capability provider (`cosmonic:kubernetes_applier`, protocol.md §7.3):
// lets a linked actor create, update and delete Kubernetes objects. Each link carries the
// credentials of one API server (see kubeconfig-source.ts); the provider connects when the link
// arrives and refuses the link when it cannot. Runs on the provider SDK; `node providers/build.ts
// kubernetes-applier` bundles it, @kubernetes/client-node included, into its archive.

import { ProviderError } from '../sdk/errors.ts';
import { type Provider, startProvider } from '../sdk/mod.ts';
import { ApplierClient } from './applier-client.ts';
import {
  APPLY_OPERATION,
  DELETE_OPERATION,
  encodeOperationResponse,
  parseApplyPayload,
  parseDeleteRequest,
} from './contract.ts';
import { loadKubeConfig, processEnvironment } from './kubeconfig-source.ts';

/** The deadline of each request to an API server (the link check and every operation). */
const REQUEST_TIMEOUT_MS = 10_000;

/** Actor key → its client, for every accepted link. */
const clients = new Map<string, ApplierClient>();

function clientFor(actorId: string): ApplierClient {
  const client = clients.get(actorId);
  // The SDK refuses calls from unlinked actors, so this is a link whose check has not finished.
  if (client === undefined) {
    throw new ProviderError(
      'KUBERNETES_NOT_LINKED',
      `actor ${actorId} has no Kubernetes connection on this provider`,
    );
  }
  return client;
}

async function connect(actorId: string, values: Record<string, string>, provider: Provider): Promise<void> {
  const loaded = loadKubeConfig(values, processEnvironment());
  const client = ApplierClient.create(loaded, REQUEST_TIMEOUT_MS);
  await client.verify();
  clients.set(actorId, client);
  provider.log.info(
    `actor ${actorId}: Kubernetes API server ${client.server} (${loaded.source}), default namespace ${client.namespace}`,
  );
}

await startProvider({
  operations: {
    [APPLY_OPERATION]: async (payload, { actorId }) =>
      encodeOperationResponse(await clientFor(actorId).applyObject(parseApplyPayload(payload))),
    [DELETE_OPERATION]: async (payload, { actorId }) =>
      encodeOperationResponse(await clientFor(actorId).deleteObject(parseDeleteRequest(payload))),
  },
  // A thrown error refuses the link; the SDK logs it with the actor's key.
  linkPut: (link, provider) => connect(link.actor_id, link.values, provider),
  linkDel(link) {
    clients.delete(link.actor_id);
  },
});
