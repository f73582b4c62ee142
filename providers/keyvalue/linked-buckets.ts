// The bucket of each linked actor and the NATS connections behind them. Links without URI share
// one connection to the lattice's NATS (opened at the first such link); a link with URI gets its
// own connection, drained and closed when the link is deleted. A link whose NATS cannot be
// reached, or has no JetStream, is refused with the reason; other links are not affected.

import { BucketStore } from '../../lattice/keyvalue/bucket-store.ts';
import { keyValueLinkSettings } from '../../lattice/keyvalue/link-settings.ts';
import { openBucket } from '../../lattice/keyvalue/open-bucket.ts';
import type { LinkDefinition } from '../../lattice/link-definition.ts';
import { connectLinkNats, connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { ProviderError } from '../sdk/errors.ts';
import { latticeConnectionSettings, type Provider } from '../sdk/mod.ts';

interface LinkedBucket {
  store: BucketStore;
  /** The link's own connection (URI given); undefined when it uses the lattice's. */
  connection: NatsConnection | undefined;
}

export class LinkedBuckets {
  readonly #byActor = new Map<string, LinkedBucket>();
  #lattice: Promise<NatsConnection> | undefined;

  /** The calling actor's store; its link was accepted, so it has one. */
  storeFor(actorId: string): BucketStore {
    const linked = this.#byActor.get(actorId);
    if (linked === undefined)
      throw new ProviderError('KEYVALUE_NOT_LINKED', `actor ${actorId} has no bucket open`);
    return linked.store;
  }

  /** Opens the bucket a new link names; throws (refusing the link) with the reason. */
  async open(link: LinkDefinition, provider: Provider): Promise<void> {
    const settings = keyValueLinkSettings(link.actor_id, link.values);
    let connection: NatsConnection | undefined;
    let nc: NatsConnection;
    let where: string;
    if (settings.servers === undefined) {
      nc = await this.#latticeConnection(provider);
      where = provider.hostData.lattice_rpc_url;
      settings.jsDomain ??= provider.hostData.js_domain || undefined;
      settings.jsReplicas ??= provider.hostData.js_replicas;
    } else {
      where = settings.servers.join(',');
      connection = await connectLinkNats(
        { servers: settings.servers, jwt: settings.jwt, seed: settings.seed },
        `keyvalue ${provider.key} for ${link.actor_id}`,
      );
      nc = connection;
    }
    try {
      const kv = await openBucket(nc, settings, where, provider.log);
      this.#byActor.set(link.actor_id, { store: new BucketStore(kv), connection });
      provider.log.info(`actor ${link.actor_id} uses KV bucket ${settings.bucket} at ${where}`);
    } catch (error) {
      await connection?.close();
      throw error;
    }
  }

  /** Forgets a deleted link's bucket and drains its own connection. */
  async close(actorId: string): Promise<void> {
    const linked = this.#byActor.get(actorId);
    this.#byActor.delete(actorId);
    if (linked?.connection && !linked.connection.isClosed()) await linked.connection.drain();
  }

  async closeAll(): Promise<void> {
    const actors = [...this.#byActor.keys()];
    await Promise.allSettled(actors.map((actorId) => this.close(actorId)));
    // A lattice connection that failed to open was reported to the link that asked for it.
    const lattice = await this.#lattice?.catch(() => undefined);
    if (lattice && !lattice.isClosed()) await lattice.drain();
  }

  #latticeConnection(provider: Provider): Promise<NatsConnection> {
    const { hostData } = provider;
    this.#lattice ??= connectNats(
      latticeConnectionSettings(hostData, `keyvalue ${provider.key} (buckets on the lattice)`),
    ).catch((error: unknown) => {
      this.#lattice = undefined; // the next link tries again
      throw error;
    });
    return this.#lattice;
  }
}
