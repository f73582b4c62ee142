// A built-in provider (wasmcloud+builtin://NAME) under the supervisor: no process, its links served
// inside the host by a link server — the runtime's workers' listeners (builtin-http-links.ts) or
// their keyvalue/messaging links (builtin-capability-links.ts) — yet announced to the lattice as
// any provider is: provider_started / provider_stopped with its claims, health events, inventory.
// Link puts and deletes run one at a time in arrival order. A link the server refuses (an address
// in use, bad values, a bucket it cannot open) is logged as `Refused the link of actor M…: …`, and
// the provider turns unhealthy (health_check_failed with the reason as `message`) until no link is
// refused any more; the other links keep serving.

import { randomUUID } from 'node:crypto';
import { DISPLAY_ERROR_LIMIT, truncateForDisplay } from '../../lattice/display-text.ts';
import { errorFields, errorMessage } from '../../lattice/errors.ts';
import type { LinkDefinition } from '../../lattice/link-definition.ts';
import { sameLinkValues } from './link-delivery.ts';
import {
  type AnnouncedProvider,
  providerSnapshot,
  publishProviderStarted,
  publishProviderStopped,
} from './provider-announcements.ts';
import type { ProviderHostContext, RunningProvider } from './provider-types.ts';

/** What serves a built-in provider's links inside the host. */
export interface BuiltinLinkServer {
  /**
   * Serves `link`, replacing `before` (the same link with other values) when given; resolves with
   * what to log ("actor M… listening on …"); rejects with why the link is refused.
   */
  open(link: LinkDefinition, before: LinkDefinition | undefined): Promise<string>;
  /** Stops serving it; resolves with what to log. */
  close(link: LinkDefinition): Promise<string>;
  /** Releases what the server holds beyond its links, after they are closed (the built-in stops). */
  stop?(): Promise<void>;
}

/** Names one link of a built-in across the host's parts: actor, provider key and link name. */
export function builtinLinkId(link: LinkDefinition): string {
  return `${link.actor_id}\u0000${link.provider_id}\u0000${link.link_name}`;
}

export class BuiltinProvider {
  readonly spec: AnnouncedProvider;
  readonly #context: ProviderHostContext;
  readonly #server: BuiltinLinkServer;
  readonly #instanceId = randomUUID();
  /** Links served, by link ID. */
  readonly #open = new Map<string, LinkDefinition>();
  /** Links refused, by link ID, with the reason. */
  readonly #refused = new Map<string, string>();
  #queue: Promise<void> = Promise.resolve();
  #healthy = false;
  #stopping: Promise<void> | undefined;

  constructor(spec: AnnouncedProvider, context: ProviderHostContext, server: BuiltinLinkServer) {
    this.spec = spec;
    this.#context = context;
    this.#server = server;
  }

  get #label(): string {
    return `built-in provider ${this.spec.imageRef} ${this.spec.id} (link ${truncateForDisplay(this.spec.linkName)})`;
  }

  snapshot(): RunningProvider {
    return providerSnapshot(this.spec, this.#instanceId, this.#healthy, undefined);
  }

  /** Announces the provider and serves the links it has now. */
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
      await this.#close(builtinLinkId(link));
      this.#refused.delete(builtinLinkId(link));
      this.#reportHealth();
    });
  }

  /** Stops serving every link; publishes provider_stopped "normal". Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const closing = this.#queue.then(async () => {
      for (const linkId of [...this.#open.keys()]) await this.#close(linkId);
    });
    this.#queue = closing;
    await closing;
    await this.#server.stop?.();
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
    const linkId = builtinLinkId(link);
    const before = this.#open.get(linkId);
    if (before !== undefined && sameLinkValues(before, link)) {
      // Every host hears each link put; a repeat must not disturb a link being served.
      this.#context.log.debug(`${this.#label}: Ignoring duplicate link put for actor ${link.actor_id}`);
      return;
    }
    // A put with new values replaces the link; until the server has it, it is not served.
    this.#open.delete(linkId);
    try {
      const served = await this.#server.open(link, before);
      this.#open.set(linkId, link);
      this.#refused.delete(linkId);
      this.#context.log.info(`${this.#label}: ${served}`);
    } catch (error) {
      const reason = truncateForDisplay(errorMessage(error), DISPLAY_ERROR_LIMIT);
      this.#refused.set(linkId, reason);
      this.#context.log.warn(
        `${this.#label}: Refused the link of actor ${link.actor_id}: ${reason}`,
        errorFields(error),
      );
    }
  }

  async #close(linkId: string): Promise<void> {
    const link = this.#open.get(linkId);
    if (link === undefined) return;
    this.#open.delete(linkId);
    this.#context.log.info(`${this.#label}: ${await this.#server.close(link)}`);
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
