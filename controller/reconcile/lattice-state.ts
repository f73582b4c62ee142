// The reconciler's picture of the lattice: each host with its labels, its actor instances (with
// their annotations) and its providers, and every link. It is filled from inventories and the link
// list (lattice-watcher.ts re-reads them) and kept current between reads by lattice events. Every
// update is idempotent (instances and providers are keyed by their ids), so an event applied twice,
// or after an inventory that already holds it, changes nothing.

import type { HostInventory } from '../../lattice/control.ts';
import { type CloudEvent, type HostHeartbeatData, isEventOf } from '../../lattice/events.ts';
import { heartbeatAgreesWith } from '../../lattice/heartbeat-actors.ts';
import { type LinkDefinition, linkDefinitionId } from '../../lattice/link-definition.ts';
import { type ManagedMark, managedMark } from './annotations.ts';
import { compareText } from './spread.ts';

export interface ActorInstanceState {
  instanceId: string;
  actorKey: string;
  imageRef: string | undefined;
  annotations: Record<string, string>;
  /** Set when the reconciler started it. */
  managed: ManagedMark | undefined;
}

export interface ProviderState {
  key: string;
  linkName: string;
  contractId: string;
  imageRef: string | undefined;
  annotations: Record<string, string>;
  managed: ManagedMark | undefined;
}

export interface HostState {
  id: string;
  labels: Record<string, string>;
  /** False until its first inventory arrived: scalers place nothing on a host they cannot see. */
  synced: boolean;
  /** When the picture first held it (ms since the epoch). */
  addedAt: number;
  /** By instance id. */
  actors: Map<string, ActorInstanceState>;
  /** By `providerSlot(key, linkName)`: a host runs one provider per key and link name. */
  providers: Map<string, ProviderState>;
}

export function providerSlot(key: string, linkName: string): string {
  return `${key}\n${linkName}`;
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

export function sameLink(a: LinkDefinition, b: LinkDefinition): boolean {
  return (
    a.actor_id === b.actor_id &&
    a.provider_id === b.provider_id &&
    a.contract_id === b.contract_id &&
    a.link_name === b.link_name &&
    sameLabels(a.values, b.values)
  );
}

export class LatticeState {
  readonly #hosts = new Map<string, HostState>();
  readonly #links = new Map<string, LinkDefinition>();
  readonly #onChange: () => void;

  /** `onChange` is called after every update that changed something. */
  constructor(onChange: () => void) {
    this.#onChange = onChange;
  }

  // ---- reading ----

  /** Hosts whose inventory has been read, in host-id order (placement must not depend on timing). */
  syncedHosts(): HostState[] {
    return [...this.#hosts.values()].filter((host) => host.synced).sort((a, b) => compareText(a.id, b.id));
  }

  allHosts(): HostState[] {
    return [...this.#hosts.values()];
  }

  /**
   * When the hosts first heard of less than `graceMs` ago and not read yet will have had that long
   * (ms since the epoch), or undefined when there is none.
   */
  unsyncedUntil(graceMs: number, now: number): number | undefined {
    let until: number | undefined;
    for (const host of this.#hosts.values()) {
      if (host.synced || now - host.addedAt >= graceMs) continue;
      until = Math.max(until ?? 0, host.addedAt + graceMs);
    }
    return until;
  }

  host(hostId: string): HostState | undefined {
    return this.#hosts.get(hostId);
  }

  links(): LinkDefinition[] {
    return [...this.#links.values()];
  }

  link(actorId: string, contractId: string, linkName: string): LinkDefinition | undefined {
    return this.#links.get(linkDefinitionId(actorId, contractId, linkName));
  }

  /**
   * Actor instances on `hostId` started by `scaler`; with `spread`, only those started for that
   * spread (an instance without the spread annotation counts as spread `""`).
   */
  countActors(hostId: string, scaler: string, spread?: string | undefined): number {
    const host = this.#hosts.get(hostId);
    if (host === undefined) return 0;
    let count = 0;
    for (const instance of host.actors.values()) {
      if (instance.managed?.scaler !== scaler) continue;
      if (spread !== undefined && (instance.managed.spread ?? '') !== spread) continue;
      count += 1;
    }
    return count;
  }

  /** Whether `hostId` runs a provider started by `scaler`. */
  hasProvider(hostId: string, scaler: string): boolean {
    const host = this.#hosts.get(hostId);
    if (host === undefined) return false;
    for (const provider of host.providers.values()) if (provider.managed?.scaler === scaler) return true;
    return false;
  }

  /**
   * Whether the host's own heartbeat agrees with this picture (instances per actor key, providers
   * by key and link name). A disagreement means an event was missed: the host is read again.
   */
  agreesWithHeartbeat(
    hostId: string,
    heartbeat: Pick<HostHeartbeatData, 'actors' | 'actor_counts' | 'actor_summary' | 'providers'>,
  ): boolean {
    const host = this.#hosts.get(hostId);
    if (host === undefined || !host.synced) return true;
    const counts = new Map<string, number>();
    for (const instance of host.actors.values())
      counts.set(instance.actorKey, (counts.get(instance.actorKey) ?? 0) + 1);
    // The heartbeat's own actor_counts or actor_summary when it has them (its 2022 list is cut to fit).
    if (!heartbeatAgreesWith(heartbeat, counts)) return false;
    const slots = new Set(
      heartbeat.providers.map((provider) => providerSlot(provider.public_key, provider.link_name)),
    );
    return slots.size === host.providers.size && [...slots].every((slot) => host.providers.has(slot));
  }

  // ---- hosts ----

  /** The host, added (not yet synced) if it was unknown; `added` tells which. */
  ensureHost(hostId: string, labels?: Record<string, string>): { host: HostState; added: boolean } {
    const known = this.#hosts.get(hostId);
    if (known !== undefined) {
      if (labels !== undefined) this.setLabels(hostId, labels);
      return { host: known, added: false };
    }
    const host: HostState = {
      id: hostId,
      labels: labels ?? {},
      synced: false,
      addedAt: Date.now(),
      actors: new Map(),
      providers: new Map(),
    };
    this.#hosts.set(hostId, host);
    // An unsynced host changes no placement, so nobody needs to hear of it yet.
    return { host, added: true };
  }

  setLabels(hostId: string, labels: Record<string, string>): void {
    const host = this.#hosts.get(hostId);
    if (host === undefined || sameLabels(host.labels, labels)) return;
    host.labels = { ...labels };
    if (host.synced) this.#onChange();
  }

  removeHost(hostId: string): boolean {
    const host = this.#hosts.get(hostId);
    if (host === undefined) return false;
    this.#hosts.delete(hostId);
    if (host.synced) this.#onChange();
    return true;
  }

  /** Replaces what the picture holds of one host by its inventory. */
  applyInventory(inventory: HostInventory): void {
    const { host } = this.ensureHost(inventory.host_id);
    const actors = new Map<string, ActorInstanceState>();
    for (const actor of inventory.actors) {
      for (const instance of actor.instances) {
        actors.set(instance.instance_id, {
          instanceId: instance.instance_id,
          actorKey: actor.id,
          imageRef: actor.image_ref,
          annotations: instance.annotations,
          managed: managedMark(instance.annotations),
        });
      }
    }
    const providers = new Map<string, ProviderState>();
    for (const provider of inventory.providers) {
      providers.set(providerSlot(provider.id, provider.link_name), {
        key: provider.id,
        linkName: provider.link_name,
        contractId: provider.contract_id ?? '',
        imageRef: provider.image_ref,
        annotations: provider.annotations,
        managed: managedMark(provider.annotations),
      });
    }
    const changed =
      !host.synced ||
      !sameLabels(host.labels, inventory.labels) ||
      !sameInstances(host.actors, actors) ||
      !sameProviders(host.providers, providers);
    host.labels = { ...inventory.labels };
    host.actors = actors;
    host.providers = providers;
    host.synced = true;
    if (changed) this.#onChange();
  }

  // ---- links ----

  /** Replaces every link by the lattice's list. */
  setLinks(links: readonly LinkDefinition[]): void {
    const next = new Map(
      links.map((link) => [linkDefinitionId(link.actor_id, link.contract_id, link.link_name), link]),
    );
    const changed =
      next.size !== this.#links.size ||
      [...next].some(([id, link]) => {
        const held = this.#links.get(id);
        return held === undefined || !sameLink(held, link);
      });
    this.#links.clear();
    for (const [id, link] of next) this.#links.set(id, link);
    if (changed) this.#onChange();
  }

  // ---- events ----

  /**
   * Applies one lattice event; returns whether the picture changed. Events about a host the picture
   * does not hold are ignored here (the watcher adds the host and reads its inventory).
   */
  applyEvent(event: CloudEvent): boolean {
    const changed = this.#apply(event);
    if (changed) this.#onChange();
    return changed;
  }

  #apply(event: CloudEvent): boolean {
    if (isEventOf(event, 'linkdef_set')) {
      const { id: _id, ...link } = event.data;
      const key = linkDefinitionId(link.actor_id, link.contract_id, link.link_name);
      const held = this.#links.get(key);
      if (held !== undefined && sameLink(held, link)) return false;
      this.#links.set(key, link);
      return true;
    }
    if (isEventOf(event, 'linkdef_deleted')) {
      return this.#links.delete(
        linkDefinitionId(event.data.actor_id, event.data.contract_id, event.data.link_name),
      );
    }
    if (isEventOf(event, 'host_stopped'))
      return this.#hosts.has(event.source) && this.#removeQuietly(event.source);
    const host = this.#hosts.get(event.source);
    if (host === undefined) return false;
    if (isEventOf(event, 'host_started') || isEventOf(event, 'host_heartbeat')) {
      if (sameLabels(host.labels, event.data.labels)) return false;
      host.labels = { ...event.data.labels };
      return host.synced;
    }
    if (isEventOf(event, 'actor_started')) {
      const { instance_id, public_key, image_ref, annotations } = event.data;
      if (host.actors.has(instance_id)) return false;
      host.actors.set(instance_id, {
        instanceId: instance_id,
        actorKey: public_key,
        imageRef: image_ref,
        annotations,
        managed: managedMark(annotations),
      });
      return host.synced;
    }
    if (isEventOf(event, 'actor_stopped')) return host.actors.delete(event.data.instance_id) && host.synced;
    if (isEventOf(event, 'provider_started')) {
      const { public_key, link_name, contract_id, image_ref, annotations } = event.data;
      const slot = providerSlot(public_key, link_name);
      const held = host.providers.get(slot);
      if (held !== undefined && held.contractId === contract_id && sameLabels(held.annotations, annotations))
        return false;
      host.providers.set(slot, {
        key: public_key,
        linkName: link_name,
        contractId: contract_id,
        imageRef: image_ref,
        annotations,
        managed: managedMark(annotations),
      });
      return host.synced;
    }
    if (isEventOf(event, 'provider_stopped')) {
      return host.providers.delete(providerSlot(event.data.public_key, event.data.link_name)) && host.synced;
    }
    return false;
  }

  #removeQuietly(hostId: string): boolean {
    const host = this.#hosts.get(hostId);
    this.#hosts.delete(hostId);
    return host?.synced ?? false;
  }
}

function sameInstances(a: Map<string, ActorInstanceState>, b: Map<string, ActorInstanceState>): boolean {
  if (a.size !== b.size) return false;
  for (const [id, instance] of a) {
    const other = b.get(id);
    if (other === undefined || other.actorKey !== instance.actorKey) return false;
  }
  return true;
}

function sameProviders(a: Map<string, ProviderState>, b: Map<string, ProviderState>): boolean {
  if (a.size !== b.size) return false;
  for (const [slot, provider] of a) {
    const other = b.get(slot);
    if (other === undefined || !sameLabels(other.annotations, provider.annotations)) return false;
  }
  return true;
}
