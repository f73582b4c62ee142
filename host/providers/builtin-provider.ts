// A built-in provider (wasmcloud+builtin://httpserver) under the supervisor: no process, its links
// served by the runtime's workers (runtime/builtin-http.ts), yet announced to the lattice as any
// provider is: provider_started / provider_stopped with its claims, health events, inventory.
// Link puts and deletes run one at a time in arrival order. A link whose listener cannot open (its
// address in use, bad values) is refused: logged as `Refused the link of actor M…: …`, and the
// provider turns unhealthy (health_check_failed with the reason as `message`) until no link is
// refused any more; the other links keep serving.

import { randomUUID } from 'node:crypto';
import { DISPLAY_ERROR_LIMIT, truncateForDisplay } from '../../lattice/display-text.ts';
import { errorCode, errorFields, errorMessage } from '../../lattice/errors.ts';
import { describeAddress } from '../../lattice/httpserver/actor-listener.ts';
import { loadSettings } from '../../lattice/httpserver/settings.ts';
import type { LinkDefinition } from '../../lattice/link-definition.ts';
import { HostError } from '../errors.ts';
import type { BuiltinHttpLink } from '../runtime/types.ts';
import { sameLinkValues } from './link-delivery.ts';
import {
  type AnnouncedProvider,
  providerSnapshot,
  publishProviderStarted,
  publishProviderStopped,
} from './provider-announcements.ts';
import type { ProviderHostContext, RunningProvider } from './provider-types.ts';

/** What the built-in httpserver needs from the runtime: listeners opened and closed in every worker. */
export interface BuiltinHttpHost {
  httpListen(link: BuiltinHttpLink): Promise<void>;
  httpClose(listenerId: string): Promise<void>;
}

interface OpenLink {
  /** `host:port`, as the address registry keys it. */
  address: string;
  url: string;
  link: LinkDefinition;
}

function listenerIdOf(link: LinkDefinition): string {
  return `${link.actor_id}\u0000${link.provider_id}\u0000${link.link_name}`;
}

export class BuiltinHttpProvider {
  readonly spec: AnnouncedProvider;
  readonly #context: ProviderHostContext;
  readonly #http: BuiltinHttpHost;
  /** Addresses taken by the host's built-in listeners (any built-in httpserver): address → listener. */
  readonly #addresses: Map<string, string>;
  readonly #instanceId = randomUUID();
  /** Links whose listeners are open, by listener ID. */
  readonly #open = new Map<string, OpenLink>();
  /** Links refused, by listener ID, with the reason. */
  readonly #refused = new Map<string, string>();
  #queue: Promise<void> = Promise.resolve();
  #healthy = false;
  #stopping: Promise<void> | undefined;

  constructor(
    spec: AnnouncedProvider,
    context: ProviderHostContext,
    http: BuiltinHttpHost,
    addresses: Map<string, string>,
  ) {
    this.spec = spec;
    this.#context = context;
    this.#http = http;
    this.#addresses = addresses;
  }

  get #label(): string {
    return `built-in provider ${this.spec.imageRef} ${this.spec.id} (link ${truncateForDisplay(this.spec.linkName)})`;
  }

  snapshot(): RunningProvider {
    return providerSnapshot(this.spec, this.#instanceId, this.#healthy, undefined);
  }

  /** Announces the provider and opens the listeners of the links it has now. */
  async launch(): Promise<void> {
    const links = this.#context.linksFor(this.spec.id, this.spec.linkName);
    this.#context.log.info(`${this.#label} started in this host, ${links.length} link(s)`);
    publishProviderStarted(this.#context.events, this.spec, this.#instanceId);
    for (const link of links) this.linkPut(link);
    // Health follows the links: passed once the first ones are open, failed while any is refused.
    this.#enqueue(async () => this.#reportHealth());
    await this.#queue;
  }

  linkPut(link: LinkDefinition): void {
    this.#enqueue(async () => {
      await this.#put(link);
      this.#reportHealth();
    });
  }

  linkDel(link: LinkDefinition): void {
    this.#enqueue(async () => {
      await this.#close(listenerIdOf(link));
      this.#refused.delete(listenerIdOf(link));
      this.#reportHealth();
    });
  }

  /** Closes every listener; publishes provider_stopped "normal". Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const closing = this.#queue.then(async () => {
      for (const listenerId of [...this.#open.keys()]) await this.#close(listenerId);
    });
    this.#queue = closing;
    await closing;
    this.#context.log.info(`${this.#label} stopped`);
    publishProviderStopped(this.#context.events, this.spec, this.#instanceId, 'normal');
  }

  #enqueue(step: () => Promise<void>): void {
    this.#queue = this.#queue
      .then(() => (this.#stopping === undefined ? step() : undefined))
      // A step that fails must not stop the ones after it; its own failure is logged here.
      .catch((error: unknown) =>
        this.#context.log.warn(
          `${this.#label}: a link change failed: ${errorMessage(error)}`,
          errorFields(error),
        ),
      );
  }

  async #put(link: LinkDefinition): Promise<void> {
    const listenerId = listenerIdOf(link);
    const before = this.#open.get(listenerId);
    if (before !== undefined && sameLinkValues(before.link, link)) {
      // Every host hears each link put; a repeat must not drop the connections of a serving listener.
      this.#context.log.debug(`${this.#label}: Ignoring duplicate link put for actor ${link.actor_id}`);
      return;
    }
    try {
      const { settings } = loadSettings(link.values);
      const address = describeAddress(settings.address);
      const url = `${settings.tls === undefined ? 'http' : 'https'}://${address}`;
      const holder = this.#addresses.get(address);
      if (holder !== undefined && holder !== listenerId)
        throw new HostError(
          'BUILTIN_LISTEN_REFUSED',
          `address ${address} is already in use by the listener of actor ${holder.split('\u0000')[0]}`,
        );
      // A put with new values replaces the listener (the workers close the old one first).
      if (before !== undefined && before.address !== address) this.#addresses.delete(before.address);
      this.#open.delete(listenerId);
      this.#addresses.set(address, listenerId);
      try {
        await this.#http.httpListen({
          listenerId,
          actorId: link.actor_id,
          providerId: link.provider_id,
          linkName: link.link_name,
          contractId: link.contract_id,
          values: link.values,
        });
      } catch (error) {
        this.#addresses.delete(address);
        if (errorCode(error) === 'BUILTIN_LISTEN_REFUSED')
          throw new HostError('BUILTIN_LISTEN_REFUSED', `${errorMessage(error)} (by another process)`, {
            cause: error,
          });
        throw error;
      }
      this.#open.set(listenerId, { address, url, link });
      this.#refused.delete(listenerId);
      this.#context.log.info(`${this.#label}: actor ${link.actor_id} listening on ${url}`);
    } catch (error) {
      const reason = truncateForDisplay(errorMessage(error), DISPLAY_ERROR_LIMIT);
      this.#refused.set(listenerId, reason);
      this.#context.log.warn(
        `${this.#label}: Refused the link of actor ${link.actor_id}: ${reason}`,
        errorFields(error),
      );
    }
  }

  async #close(listenerId: string): Promise<void> {
    const open = this.#open.get(listenerId);
    if (open === undefined) return;
    this.#open.delete(listenerId);
    try {
      await this.#http.httpClose(listenerId);
    } finally {
      if (this.#addresses.get(open.address) === listenerId) this.#addresses.delete(open.address);
    }
    this.#context.log.info(
      `${this.#label}: actor ${listenerId.split('\u0000')[0]} no longer listening on ${open.url}`,
    );
  }

  /** Publishes a change of health: passed when no link is refused, failed (with the reasons) otherwise. */
  #reportHealth(): void {
    const healthy = this.#refused.size === 0;
    if (healthy === this.#healthy && healthy) return;
    this.#healthy = healthy;
    const data = { public_key: this.spec.id, link_name: this.spec.linkName };
    if (healthy) this.#context.events.publish('health_check_passed', data);
    else
      this.#context.events.publish('health_check_failed', {
        ...data,
        message: [...this.#refused.values()].join('; '),
      });
  }
}
