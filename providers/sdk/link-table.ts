// The links a provider holds, one per actor (wasmbus-rpc keys them by actor ID). Puts and deletes
// arrive from HostData and from `.linkdefs.*`, often more than once (every host watching the
// lattice data re-sends a link), so they run one at a time in arrival order and a repeated put is
// a no-op. The provider's hooks see each change once; a hook that throws refuses the link.

import { errorFields, errorMessage } from '../../lattice/errors.ts';
import type { LinkDefinition } from '../../lattice/link-definition.ts';
import type { Logger } from '../../lattice/log.ts';
import { sameLink } from './link-message.ts';

export interface LinkHooks {
  put(link: LinkDefinition): void | Promise<void>;
  del(link: LinkDefinition): void | Promise<void>;
}

export class LinkTable {
  readonly #byActor = new Map<string, LinkDefinition>();
  readonly #providerKey: string;
  readonly #linkName: string;
  readonly #hooks: LinkHooks;
  readonly #log: Logger;
  /** The tail of the queue of link changes: each waits for the one before. */
  #pending: Promise<void> = Promise.resolve();

  constructor(providerKey: string, linkName: string, hooks: LinkHooks, log: Logger) {
    this.#providerKey = providerKey;
    this.#linkName = linkName;
    this.#hooks = hooks;
    this.#log = log;
  }

  /** True when `actorId` has a link to this provider: the check every invocation makes. */
  has(actorId: string): boolean {
    return this.#byActor.has(actorId);
  }

  get(actorId: string): LinkDefinition | undefined {
    return this.#byActor.get(actorId);
  }

  all(): LinkDefinition[] {
    return [...this.#byActor.values()];
  }

  /** Queues a put; resolves once it (and everything queued before it) has been applied. */
  put(link: LinkDefinition): Promise<void> {
    return this.#enqueue(() => this.#applyPut(link));
  }

  /** Queues a delete; resolves once applied. */
  del(link: LinkDefinition): Promise<void> {
    return this.#enqueue(() => this.#applyDel(link));
  }

  /** Resolves when every queued change has been applied. */
  settled(): Promise<void> {
    return this.#pending;
  }

  #enqueue(change: () => Promise<void>): Promise<void> {
    const next = this.#pending.then(change, change);
    // The queue goes on after a failed change: its caller gets the failure from `next`.
    this.#pending = next.catch(() => undefined);
    return next;
  }

  #isForMe(link: LinkDefinition, what: string): boolean {
    if (link.provider_id === this.#providerKey && link.link_name === this.#linkName) return true;
    this.#log.warn(
      `Ignoring link ${what} for provider ${link.provider_id} link ${link.link_name}: this is ${this.#providerKey} link ${this.#linkName}`,
    );
    return false;
  }

  async #applyPut(link: LinkDefinition): Promise<void> {
    if (!this.#isForMe(link, 'put')) return;
    const existing = this.#byActor.get(link.actor_id);
    if (existing !== undefined && sameLink(existing, link)) {
      this.#log.info(`Ignoring duplicate link put for actor ${link.actor_id}`);
      return;
    }
    if (existing !== undefined) {
      // Same slot, new values: the provider sees the old link go and the new one come.
      this.#log.info(`Replacing the link of actor ${link.actor_id}: its values changed`);
      this.#byActor.delete(link.actor_id);
      await this.#runHook('del', existing);
    }
    if (await this.#runHook('put', link)) {
      this.#byActor.set(link.actor_id, link);
      this.#log.info(`Linked actor ${link.actor_id} (${link.contract_id})`);
    }
  }

  async #applyDel(link: LinkDefinition): Promise<void> {
    if (!this.#isForMe(link, 'delete')) return;
    const existing = this.#byActor.get(link.actor_id);
    if (existing === undefined) {
      this.#log.debug(`Ignoring link delete for actor ${link.actor_id}: it has no link here`);
      return;
    }
    // Removed first, so no invocation from the actor is accepted while the hook runs.
    this.#byActor.delete(link.actor_id);
    await this.#runHook('del', existing);
    this.#log.info(`Unlinked actor ${link.actor_id}`);
  }

  /** Runs a hook; false (and a warning) when it throws. */
  async #runHook(which: 'put' | 'del', link: LinkDefinition): Promise<boolean> {
    try {
      await this.#hooks[which](link);
      return true;
    } catch (error) {
      const reason = errorMessage(error);
      this.#log.warn(
        which === 'put'
          ? `Refused the link of actor ${link.actor_id}: ${reason}`
          : `Removing the link of actor ${link.actor_id} failed: ${reason}`,
        errorFields(error),
      );
      return false;
    }
  }
}
