// Inside a worker: the links of the built-in keyvalue and messaging providers
// (wasmcloud+builtin://keyvalue|messaging). Every worker opens each link itself — the link's KV
// bucket, or the NATS connection its Publish and Request go out on — on its own NATS connection
// (the one it serves actor RPC from) unless the link names another NATS (URI). An actor's call on
// such a link is then answered in this thread, with the providers' own operation code
// (lattice/keyvalue/, lattice/messaging/): no postMessage, no signing, no provider process. The
// capability claim was checked before the call got here (actor-context.ts), with the words the
// host uses for any provider call. Messaging subscriptions are not here: the host subscribes once
// (host/providers/builtin-subscriptions.ts), not once per worker.

import { BucketStore } from '../../lattice/keyvalue/bucket-store.ts';
import { keyValueLinkSettings } from '../../lattice/keyvalue/link-settings.ts';
import { openBucket } from '../../lattice/keyvalue/open-bucket.ts';
import { keyValueOperation } from '../../lattice/keyvalue/operations.ts';
import type { Logger } from '../../lattice/log.ts';
import { messagingLinkSettings } from '../../lattice/messaging/link-settings.ts';
import { messagingOperation } from '../../lattice/messaging/operations.ts';
import { connectLinkNats, type NatsConnection } from '../../lattice/nats.ts';
import { HostError } from '../errors.ts';
import type { HostCallRequest } from './types.ts';

export const KEYVALUE_CONTRACT = 'wasmcloud:keyvalue';
export const MESSAGING_CONTRACT = 'wasmcloud:messaging';

/** One link of a built-in keyvalue or messaging provider, as every worker opens it. */
export interface BuiltinCapabilityLink {
  /** Names the link across workers: one per actor, provider key and link name. */
  linkId: string;
  actorId: string;
  providerId: string;
  linkName: string;
  contractId: typeof KEYVALUE_CONTRACT | typeof MESSAGING_CONTRACT;
  values: Record<string, string>;
  /** The lattice's JetStream domain, for a bucket on the lattice's NATS. */
  jsDomain?: string | undefined;
  /** The lattice's WASMCLOUD_JS_REPLICAS, for a bucket created on the lattice's NATS. */
  jsReplicas?: number | undefined;
}

/** The lattice's NATS as this worker reaches it (worker-rpc.ts); undefined without RPC settings. */
export type LatticeConnection = (() => Promise<{ nc: NatsConnection }>) | undefined;

interface OpenLink {
  link: BuiltinCapabilityLink;
  /** The call's answer, on this link's bucket or connection. */
  call(operation: string, payload: Uint8Array): Promise<Uint8Array>;
  /** The link's own connection (URI given); undefined when it uses the lattice's. */
  own: NatsConnection | undefined;
}

function routeOf(actorId: string, contractId: string, linkName: string): string {
  return `${actorId}\u0000${contractId}\u0000${linkName}`;
}

function unknownOperation(link: BuiltinCapabilityLink, operation: string): HostError {
  return new HostError(
    'BUILTIN_PROVIDER_NO_OPERATION',
    `operation ${operation} is not handled by provider ${link.providerId}`,
  );
}

export class WorkerBuiltinLinks {
  readonly #lattice: LatticeConnection;
  readonly #defaultTimeoutMs: number;
  /** Where a bucket raised to more replicas is told (the host's main thread; workers open after it). */
  readonly #log: Pick<Logger, 'info' | 'warn'> | undefined;
  /** Open links by route (actor, contract, link name): what an actor's call names. */
  readonly #byRoute = new Map<string, OpenLink>();
  readonly #routeOfLink = new Map<string, string>();

  constructor(lattice: LatticeConnection, defaultTimeoutMs: number, log?: Pick<Logger, 'info' | 'warn'>) {
    this.#lattice = lattice;
    this.#defaultTimeoutMs = defaultTimeoutMs;
    this.#log = log;
  }

  /**
   * The answer to an actor's provider call when a built-in link of this worker serves it;
   * undefined when none does (the call then goes to the host as any provider call).
   */
  call(request: HostCallRequest): Promise<Uint8Array> | undefined {
    if (request.target !== 'provider') return undefined;
    const open = this.#byRoute.get(routeOf(request.actorId, request.namespace, request.linkName));
    return open?.call(request.operation, request.payload);
  }

  /** True when an actor's call on (contract, link name) is answered here. */
  serves(actorId: string, contractId: string, linkName: string): boolean {
    return this.#byRoute.has(routeOf(actorId, contractId, linkName));
  }

  /** Opens (or, with new values, reopens) the link in this worker; rejects with why it is refused. */
  async open(link: BuiltinCapabilityLink): Promise<void> {
    await this.close(link.linkId);
    const opened =
      link.contractId === KEYVALUE_CONTRACT
        ? await this.#openKeyValue(link)
        : await this.#openMessaging(link);
    const route = routeOf(link.actorId, link.contractId, link.linkName);
    this.#byRoute.set(route, opened);
    this.#routeOfLink.set(link.linkId, route);
  }

  async close(linkId: string): Promise<void> {
    const route = this.#routeOfLink.get(linkId);
    if (route === undefined) return;
    this.#routeOfLink.delete(linkId);
    const open = this.#byRoute.get(route);
    this.#byRoute.delete(route);
    if (open?.own && !open.own.isClosed()) await open.own.drain();
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.#routeOfLink.keys()].map((linkId) => this.close(linkId)));
  }

  /** The link's NATS: its own connection when it names one (URI), else this worker's lattice one. */
  async #connect(
    link: BuiltinCapabilityLink,
    settings: { servers?: string[] | undefined; jwt?: string | undefined; seed?: string | undefined },
  ): Promise<{ nc: NatsConnection; own: NatsConnection | undefined; where: string }> {
    if (settings.servers === undefined) {
      if (this.#lattice === undefined)
        throw new HostError(
          'BUILTIN_CAPABILITY_LINK_REFUSED',
          'this worker has no lattice connection; give the link a URI to use another NATS',
        );
      return { nc: (await this.#lattice()).nc, own: undefined, where: "the lattice's NATS" };
    }
    const own = await connectLinkNats(
      { servers: settings.servers, jwt: settings.jwt, seed: settings.seed },
      `built-in ${link.contractId} ${link.providerId} for ${link.actorId}`,
    );
    return { nc: own, own, where: settings.servers.join(',') };
  }

  async #openKeyValue(link: BuiltinCapabilityLink): Promise<OpenLink> {
    const settings = keyValueLinkSettings(link.actorId, link.values);
    const { nc, own, where } = await this.#connect(link, settings);
    if (own === undefined) {
      settings.jsDomain ??= link.jsDomain;
      settings.jsReplicas ??= link.jsReplicas;
    }
    try {
      const store = new BucketStore(await openBucket(nc, settings, where, this.#log));
      return {
        link,
        own,
        call: (operation, payload) => {
          const run = keyValueOperation(operation);
          return run === undefined ? Promise.reject(unknownOperation(link, operation)) : run(payload, store);
        },
      };
    } catch (error) {
      await own?.close();
      throw error;
    }
  }

  async #openMessaging(link: BuiltinCapabilityLink): Promise<OpenLink> {
    const settings = messagingLinkSettings(link.values);
    const { nc, own } = await this.#connect(link, settings);
    const empty = new Uint8Array(0);
    return {
      link,
      own,
      call: async (operation, payload) => {
        const run = messagingOperation(operation);
        if (run === undefined) throw unknownOperation(link, operation);
        return (await run(payload, nc, this.#defaultTimeoutMs)) ?? empty;
      },
    };
  }
}
