// The link server of the built-in keyvalue and messaging providers (wasmcloud+builtin://keyvalue,
// …://messaging): each link opened in every runtime worker (runtime/builtin-links.ts), where the
// linked actor's calls are answered; a messaging link's subscriptions held once by the host
// (builtin-subscriptions.ts). The host's main thread opens each link too, to answer the provider
// RPC subject for actors on hosts without the built-in (builtin-rpc.ts). A link the workers cannot
// open (bad values, no bucket, its NATS out of reach) is refused with the reason.

import type { LinkDefinition } from '../../lattice/link-definition.ts';
import { messagingLinkSettings } from '../../lattice/messaging/link-settings.ts';
import { HostError } from '../errors.ts';
import {
  type BuiltinCapabilityLink,
  KEYVALUE_CONTRACT,
  MESSAGING_CONTRACT,
  type WorkerBuiltinLinks,
} from '../runtime/builtin-links.ts';
import { type BuiltinLinkServer, builtinLinkId } from './builtin-provider.ts';
import type { BuiltinRpcServer } from './builtin-rpc.ts';
import { LinkSubscriptions, type MessageRoute } from './builtin-subscriptions.ts';

/** What the built-in keyvalue and messaging need from the runtime. */
export interface BuiltinCapabilityHost {
  capabilityLink(link: BuiltinCapabilityLink): Promise<void>;
  capabilityUnlink(linkId: string): Promise<void>;
}

export interface JetStreamSettings {
  jsDomain: string | undefined;
  jsReplicas: number | undefined;
}

export class CapabilityLinkServer implements BuiltinLinkServer {
  readonly #host: BuiltinCapabilityHost;
  /** The lattice's JetStream domain and WASMCLOUD_JS_REPLICAS, for buckets on the lattice's NATS. */
  readonly #jetstream: JetStreamSettings;
  /** Subscriptions route (messaging only). */
  readonly #route: MessageRoute | undefined;
  readonly #subscriptions = new Map<string, LinkSubscriptions>();
  /** The links as the main thread holds them, and the RPC server answering from them. */
  readonly #main: { links: WorkerBuiltinLinks; rpc: BuiltinRpcServer };

  constructor(
    host: BuiltinCapabilityHost,
    jetstream: JetStreamSettings,
    route: MessageRoute | undefined,
    main: { links: WorkerBuiltinLinks; rpc: BuiltinRpcServer },
  ) {
    this.#host = host;
    this.#jetstream = jetstream;
    this.#route = route;
    this.#main = main;
  }

  async stop(): Promise<void> {
    this.#main.rpc.close();
    await this.#main.links.closeAll();
  }

  async open(link: LinkDefinition, _before: LinkDefinition | undefined): Promise<string> {
    const contractId = link.contract_id;
    if (contractId !== KEYVALUE_CONTRACT && contractId !== MESSAGING_CONTRACT)
      throw new HostError(
        'BUILTIN_CAPABILITY_LINK_REFUSED',
        `the link is for ${contractId}; this built-in provider serves ${this.#route ? MESSAGING_CONTRACT : KEYVALUE_CONTRACT}`,
      );
    const linkId = builtinLinkId(link);
    await this.#closeSubscriptions(linkId);
    const served: BuiltinCapabilityLink = {
      linkId,
      actorId: link.actor_id,
      providerId: link.provider_id,
      linkName: link.link_name,
      contractId,
      values: link.values,
      jsDomain: this.#jetstream.jsDomain,
      jsReplicas: this.#jetstream.jsReplicas,
    };
    // The main thread first: it creates the bucket (or raises its replicas) and says so in the log.
    await this.#main.links.open(served);
    try {
      await this.#host.capabilityLink(served);
    } catch (error) {
      await this.#main.links.close(linkId);
      throw error;
    }
    if (this.#route === undefined) return `actor ${link.actor_id} served in this host's workers`;
    try {
      const settings = messagingLinkSettings(link.values);
      this.#subscriptions.set(linkId, await LinkSubscriptions.open(link, settings, this.#route));
      const subscribed = settings.subscriptions.map(({ subject, queue }) =>
        queue ? `${subject}|${queue}` : subject,
      );
      return `actor ${link.actor_id} served in this host's workers, subscribed to ${subscribed.join(', ') || 'nothing'}`;
    } catch (error) {
      await this.#main.links.close(linkId);
      await this.#host.capabilityUnlink(linkId);
      throw error;
    }
  }

  async close(link: LinkDefinition): Promise<string> {
    const linkId = builtinLinkId(link);
    await this.#closeSubscriptions(linkId);
    await this.#main.links.close(linkId);
    await this.#host.capabilityUnlink(linkId);
    return `actor ${link.actor_id} no longer served`;
  }

  async #closeSubscriptions(linkId: string): Promise<void> {
    const subscriptions = this.#subscriptions.get(linkId);
    this.#subscriptions.delete(linkId);
    await subscriptions?.close();
  }
}
