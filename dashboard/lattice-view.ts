// What the dashboard knows of the whole lattice, not just its own host: every host (from ping
// replies, heartbeats, host_started/host_stopped), each host's inventory (asked for again whenever
// an event or a heartbeat says it changed), provider health from health_check_* events, the claims
// actor_started carries, and a short list of recent events. A host whose heartbeat is overdue is
// dropped, since a host that dies (SIGKILL, lost network) never says host_stopped. A periodic ping
// re-syncs everything, in case events were missed while NATS reconnected.

import type { HostInventory } from '../lattice/control.ts';
import type { ControlClient, LatticeEventStream } from '../lattice/control-client.ts';
import { truncateForDisplay } from '../lattice/display-text.ts';
import { errorFields, errorMessage } from '../lattice/errors.ts';
import { type CloudEvent, eventNameOf, type HostHeartbeatData, isEventOf } from '../lattice/events.ts';
import { heartbeatAgreesWith } from '../lattice/heartbeat-actors.ts';
import { HOST_KEY_PATTERN } from '../lattice/json-message.ts';
import type { Logger } from '../lattice/log.ts';
import type { ProviderHealth, RecentEvent } from './page-data.ts';
import { RecentEvents } from './recent-events.ts';

export type { ProviderHealth, RecentEvent } from './page-data.ts';

export interface HostState {
  id: string;
  friendlyName: string | undefined;
  labels: Record<string, string>;
  version: string | undefined;
  /** Uptime as last reported, and when (ms since the epoch), so it can be projected to now. */
  uptimeSeconds: number;
  uptimeAt: number;
  lastSeen: number;
  inventory: HostInventory | undefined;
  /** Why the last inventory request failed, if it did. */
  inventoryError: string | undefined;
}

/** What actor_started and provider_started tell of an artifact's claims. */
export interface EventClaims {
  name: string | undefined;
  caps: string[];
  callAlias: string | undefined;
}

export interface LatticeViewTimings {
  /** How often the view pings every host and re-reads their inventories; default 30 s. */
  refreshIntervalMs: number;
  /** A host not heard from for this long is dropped; default 75 s (2.5 heartbeats). */
  hostOverdueMs: number;
  /** How long a ping gathers replies; default 1 s. */
  pingTimeoutMs: number;
  /** Inventory requests for one host wait this long to batch a burst of events; default 100 ms. */
  inventoryDelayMs: number;
}

export const DEFAULT_VIEW_TIMINGS: LatticeViewTimings = {
  refreshIntervalMs: 30_000,
  hostOverdueMs: 75_000,
  pingTimeoutMs: 1_000,
  inventoryDelayMs: 100,
};

/** Artifacts whose claims events told of, at most (keys come from outside; the oldest go first). */
const EVENT_CLAIMS_KEPT = 1000;
const MAX_EVENT_CAPS = 64;
/** Frequent events that say nothing new to a person watching. */
const UNLISTED_EVENTS = new Set(['host_heartbeat', 'invocation_succeeded', 'invocation_failed']);

function listOf(value: string[] | string | undefined): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  return value.split(',').filter((item) => item !== '');
}

/** Whether an inventory shows what a heartbeat reports (same actor counts and providers). */
function inventoryMatches(inventory: HostInventory, heartbeat: HostHeartbeatData): boolean {
  // A dormant actor (scaled to zero) is in the inventory with no instances and in no heartbeat: while
  // one is, every heartbeat asks for the inventory again, so its removal (which has no event) is seen.
  if (inventory.actors.some((actor) => actor.instances.length === 0)) return false;
  const counts = new Map(inventory.actors.map((actor) => [actor.id, actor.instances.length]));
  if (!heartbeatAgreesWith(heartbeat, counts)) return false;
  const inventoryProviders = new Set(inventory.providers.map((p) => `${p.id}|${p.link_name}`));
  if (heartbeat.providers.length !== inventoryProviders.size) return false;
  return heartbeat.providers.every((p) => inventoryProviders.has(`${p.public_key}|${p.link_name}`));
}

export class LatticeView {
  readonly #client: ControlClient;
  readonly #log: Logger;
  readonly #timings: LatticeViewTimings;
  readonly #hosts = new Map<string, HostState>();
  /** By `${hostId}|${providerId}|${linkName}`. */
  readonly #health = new Map<string, 'healthy' | 'unhealthy'>();
  readonly #eventClaims = new Map<string, EventClaims>();
  /** For the page's activity list: bounded in count and bytes (recent-events.ts). */
  readonly #recent = new RecentEvents();
  readonly #listeners = new Set<() => void>();
  readonly #inventoryTimers = new Map<string, NodeJS.Timeout>();
  readonly #inventoryInFlight = new Map<string, Promise<void>>();
  readonly #inventoryAgain = new Set<string>();
  #stream: LatticeEventStream | undefined;
  #refreshTimer: NodeJS.Timeout | undefined;
  #pruneTimer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  #synced = false;
  #closed = false;

  private constructor(client: ControlClient, log: Logger, timings: LatticeViewTimings) {
    this.#client = client;
    this.#log = log;
    this.#timings = timings;
  }

  /**
   * Subscribes to the lattice's events (so nothing between the first ping and now is missed), then
   * pings in the background; `synced` turns true once that first ping has been gathered.
   */
  static async start(
    client: ControlClient,
    log: Logger,
    timings: Partial<LatticeViewTimings> = {},
  ): Promise<LatticeView> {
    const view = new LatticeView(client, log, { ...DEFAULT_VIEW_TIMINGS, ...timings });
    view.#stream = await client.subscribeEvents();
    view.#stream.onEvent((event) => view.#onEvent(event));
    void view.refresh();
    view.#refreshTimer = setInterval(() => void view.refresh(), view.#timings.refreshIntervalMs);
    const pruneEvery = Math.max(50, Math.min(5_000, Math.floor(view.#timings.hostOverdueMs / 4)));
    view.#pruneTimer = setInterval(() => view.#prune(), pruneEvery);
    view.#refreshTimer.unref();
    view.#pruneTimer.unref();
    return view;
  }

  // ---- reading ----

  get synced(): boolean {
    return this.#synced;
  }

  hosts(): HostState[] {
    return [...this.#hosts.values()];
  }

  host(id: string): HostState | undefined {
    return this.#hosts.get(id);
  }

  health(hostId: string, providerId: string, linkName: string): ProviderHealth {
    return this.#health.get(`${hostId}|${providerId}|${linkName}`) ?? 'unknown';
  }

  claimsFromEvents(publicKey: string): EventClaims | undefined {
    return this.#eventClaims.get(publicKey);
  }

  /** Newest first. */
  recentEvents(): RecentEvent[] {
    return this.#recent.newestFirst();
  }

  /** Calls `listener` after anything changed; returns the way to stop. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    for (const listener of this.#listeners) {
      try {
        listener();
      } catch (error) {
        this.#log.warn(`dashboard: a change listener failed: ${errorMessage(error)}`, errorFields(error));
      }
    }
  }

  // ---- syncing ----

  /** Pings every host, asks each for its inventory, drops the overdue ones. One at a time. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(): Promise<void> {
    try {
      const replies = await this.#client.getHosts(this.#timings.pingTimeoutMs);
      if (this.#closed) return;
      for (const reply of replies) {
        const host = this.#upsert(reply.id);
        host.friendlyName = reply.friendly_name ?? host.friendlyName;
        host.labels = reply.labels;
        host.version = reply.version ?? host.version;
        host.uptimeSeconds = reply.uptime_seconds;
        host.uptimeAt = Date.now();
        this.#scheduleInventory(reply.id);
      }
    } catch (error) {
      this.#log.warn(
        `dashboard: pinging the lattice's hosts failed: ${errorMessage(error)}`,
        errorFields(error),
      );
    }
    this.#prune();
    this.#synced = true;
    this.#changed();
  }

  #upsert(id: string): HostState {
    let host = this.#hosts.get(id);
    if (host === undefined) {
      host = {
        id,
        friendlyName: undefined,
        labels: {},
        version: undefined,
        uptimeSeconds: 0,
        uptimeAt: Date.now(),
        lastSeen: Date.now(),
        inventory: undefined,
        inventoryError: undefined,
      };
      this.#hosts.set(id, host);
      this.#scheduleInventory(id);
    }
    host.lastSeen = Date.now();
    return host;
  }

  #remove(id: string, why: string): void {
    if (!this.#hosts.delete(id)) return;
    this.#log.info(`dashboard: host ${id} left the view (${why})`);
    for (const key of [...this.#health.keys()]) if (key.startsWith(`${id}|`)) this.#health.delete(key);
    clearTimeout(this.#inventoryTimers.get(id));
    this.#inventoryTimers.delete(id);
  }

  #prune(): void {
    const now = Date.now();
    let removed = false;
    for (const host of [...this.#hosts.values()]) {
      const silentMs = now - host.lastSeen;
      if (silentMs > this.#timings.hostOverdueMs) {
        this.#remove(host.id, `no heartbeat for ${Math.round(silentMs / 1000)} s`);
        removed = true;
      }
    }
    if (removed) this.#changed();
  }

  /** Reads a host's inventory now (after an action), so the next snapshot shows its effect. */
  async refreshHost(hostId: string): Promise<void> {
    this.#upsert(hostId);
    // A request already on its way may have been sent before the action took effect.
    await this.#inventoryInFlight.get(hostId);
    await this.#fetchInventory(hostId);
  }

  #scheduleInventory(hostId: string): void {
    if (this.#closed || this.#inventoryTimers.has(hostId)) return;
    const timer = setTimeout(() => {
      this.#inventoryTimers.delete(hostId);
      void this.#fetchInventory(hostId);
    }, this.#timings.inventoryDelayMs);
    this.#inventoryTimers.set(hostId, timer);
  }

  #fetchInventory(hostId: string): Promise<void> {
    const running = this.#inventoryInFlight.get(hostId);
    if (running !== undefined) {
      this.#inventoryAgain.add(hostId);
      return running;
    }
    const fetching = this.#readInventory(hostId);
    this.#inventoryInFlight.set(hostId, fetching);
    return fetching;
  }

  async #readInventory(hostId: string): Promise<void> {
    try {
      const inventory = await this.#client.getInventory(hostId);
      const host = this.#hosts.get(hostId);
      if (host === undefined || this.#closed) return;
      host.inventory = inventory;
      host.inventoryError = undefined;
      host.friendlyName = inventory.friendly_name ?? host.friendlyName;
      host.labels = inventory.labels;
      host.lastSeen = Date.now();
    } catch (error) {
      const host = this.#hosts.get(hostId);
      if (host !== undefined) host.inventoryError = errorMessage(error);
    } finally {
      this.#inventoryInFlight.delete(hostId);
      if (!this.#closed) {
        this.#changed();
        if (this.#inventoryAgain.delete(hostId)) this.#scheduleInventory(hostId);
      }
    }
  }

  // ---- events ----

  #onEvent(event: CloudEvent): void {
    if (this.#closed) return;
    const name = eventNameOf(event);
    if (!UNLISTED_EVENTS.has(name)) {
      this.#recent.add({ id: event.id, time: event.time, name, source: event.source, data: event.data });
    }
    const hostId = HOST_KEY_PATTERN.test(event.source) ? event.source : undefined;
    if (hostId !== undefined) this.#apply(hostId, event);
    this.#changed();
  }

  #apply(hostId: string, event: CloudEvent): void {
    if (isEventOf(event, 'host_stopped')) {
      this.#remove(hostId, 'host_stopped');
      return;
    }
    const host = this.#upsert(hostId);
    if (isEventOf(event, 'host_started')) {
      host.friendlyName = event.data.friendly_name ?? host.friendlyName;
      host.labels = event.data.labels;
      host.version = event.data.version ?? host.version;
      host.uptimeSeconds = event.data.uptime_seconds ?? 0;
      host.uptimeAt = Date.now();
      host.inventory = undefined;
      this.#scheduleInventory(hostId);
    } else if (isEventOf(event, 'host_heartbeat')) {
      const { data } = event;
      host.friendlyName = data.friendly_name ?? host.friendlyName;
      host.labels = data.labels;
      host.version = data.version ?? host.version;
      if (data.uptime_seconds !== undefined) {
        host.uptimeSeconds = data.uptime_seconds;
        host.uptimeAt = Date.now();
      }
      if (!host.inventory || !inventoryMatches(host.inventory, data)) this.#scheduleInventory(hostId);
    } else if (isEventOf(event, 'actor_started')) {
      const claims = event.data.claims;
      if (claims) {
        this.#rememberClaims(event.data.public_key, {
          name: claims.name || undefined,
          caps: listOf(claims.caps),
          callAlias: claims.call_alias || undefined,
        });
      }
      this.#scheduleInventory(hostId);
    } else if (isEventOf(event, 'provider_started')) {
      const name = event.data.claims?.name;
      if (name) this.#rememberClaims(event.data.public_key, { name, caps: [], callAlias: undefined });
      this.#scheduleInventory(hostId);
    } else if (isEventOf(event, 'provider_stopped')) {
      this.#health.delete(`${hostId}|${event.data.public_key}|${event.data.link_name}`);
      this.#scheduleInventory(hostId);
    } else if (isEventOf(event, 'health_check_passed') || isEventOf(event, 'health_check_failed')) {
      const healthy = isEventOf(event, 'health_check_passed');
      this.#health.set(
        `${hostId}|${event.data.public_key}|${event.data.link_name}`,
        healthy ? 'healthy' : 'unhealthy',
      );
    } else if (
      isEventOf(event, 'actor_stopped') ||
      isEventOf(event, 'actor_updated') ||
      isEventOf(event, 'actor_update_failed')
    ) {
      this.#scheduleInventory(hostId);
    }
  }

  /** Newest last; the oldest is forgotten beyond EVENT_CLAIMS_KEPT. Values are bounded as shown. */
  #rememberClaims(publicKey: string, { name, caps, callAlias }: EventClaims): void {
    this.#eventClaims.delete(publicKey);
    this.#eventClaims.set(publicKey, {
      name: name === undefined ? undefined : truncateForDisplay(name),
      caps: caps.slice(0, MAX_EVENT_CAPS).map((cap) => truncateForDisplay(cap)),
      callAlias: callAlias === undefined ? undefined : truncateForDisplay(callAlias),
    });
    if (this.#eventClaims.size > EVENT_CLAIMS_KEPT) {
      const oldest = this.#eventClaims.keys().next().value;
      if (oldest !== undefined) this.#eventClaims.delete(oldest);
    }
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#refreshTimer);
    clearInterval(this.#pruneTimer);
    for (const timer of this.#inventoryTimers.values()) clearTimeout(timer);
    this.#inventoryTimers.clear();
    this.#stream?.close();
    this.#listeners.clear();
  }
}
