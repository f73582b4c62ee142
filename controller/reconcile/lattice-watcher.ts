// Keeps lattice-state.ts current. Three sources, each cheap:
// - lattice events (one subscription to `wasmbus.evt.{lattice}`), applied as they come;
// - a `ping.hosts` round every couple of seconds: a host that answers none of `missedPingsBeforeGone`
//   rounds in a row, and sent nothing else meanwhile, is gone (a SIGKILLed host sends no
//   `host_stopped`, and waiting for two missed 30 s heartbeats would be far too slow); a host that
//   answers and is not known yet is added and its inventory read. The pings carry
//   `{"heartbeat": false}`, so hosts keep their 30 s heartbeat instead of one every round (2022
//   hosts ignore the body and heartbeat anyway);
// - inventories and the link list, re-read at start, every `resyncIntervalMs`, for a host whose
//   heartbeat disagrees with the picture, for a host first heard of, for a host whose NATS
//   connection came back (`nats_reconnected`: what it published while down was dropped), and all of
//   them when the watcher's own connection came back (events sent meanwhile never reached it).
//   Events that arrive while a read is in flight are applied again on top of its answer, so an
//   answer that was already old when it came cannot undo them.
// Between events the only work is the ping round: no polling of inventories, nothing per event
// beyond updating a map.

import type { ControlClient } from '../../lattice/control-client.ts';
import { errorFields, errorMessage } from '../../lattice/errors.ts';
import { type CloudEvent, isEventOf, parseCloudEvent } from '../../lattice/events.ts';
import type { Logger } from '../../lattice/log.ts';
import { type NatsConnection, type Subscription, watchNatsStatus } from '../../lattice/nats.ts';
import type { LatticeState } from './lattice-state.ts';

export interface WatcherTimings {
  pingIntervalMs: number;
  pingTimeoutMs: number;
  missedPingsBeforeGone: number;
  resyncIntervalMs: number;
}

export interface LatticeWatcherOptions {
  nc: NatsConnection;
  client: ControlClient;
  state: LatticeState;
  log: Logger;
  timings: WatcherTimings;
  /** Every valid event, after it was applied to the state (command outcomes are read from them). */
  onEvent: (event: CloudEvent) => void;
}

/** Events that say something about the host that sent them (`source` is its key). */
const HOST_EVENT = /^com\.wasmcloud\.lattice\.(host_|actor_|provider_)/;
const LINK_EVENT = /^com\.wasmcloud\.lattice\.linkdef_/;

interface Liveness {
  /** Ping rounds in a row without an answer or any event from the host. */
  misses: number;
  /** When the host was last heard (a ping answer or an event), ms since the epoch. */
  heardAt: number;
}

export class LatticeWatcher {
  readonly #options: LatticeWatcherOptions;
  readonly #liveness = new Map<string, Liveness>();
  /** Hosts whose inventory is being read: the events received meanwhile, to apply again after. */
  readonly #reading = new Map<string, CloudEvent[]>();
  /** Hosts being read: settles when the read, and the reads asked for meanwhile, are done. */
  readonly #readsInFlight = new Map<string, Promise<void>>();
  /** Hosts to read once more when the read in flight is done. */
  readonly #readAgain = new Set<string>();
  #linkEventsDuringRead: CloudEvent[] | undefined;
  #subscription: Subscription | undefined;
  #stopWatchingConnection: (() => void) | undefined;
  #pingTimer: ReturnType<typeof setTimeout> | undefined;
  #resyncTimer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(options: LatticeWatcherOptions) {
    this.#options = options;
  }

  /**
   * Subscribes, then pings and reads every host and the links once; resolves when that is done.
   * May be called again after it failed (the connection was down): it subscribes only once.
   */
  async start(): Promise<void> {
    const { nc, client, log, timings } = this.#options;
    this.#subscription ??= nc.subscribe(client.subjects.events.subject(), {
      callback: (error, msg) => {
        if (error) {
          log.warn(`lattice event subscription failed: ${errorMessage(error)}`, errorFields(error));
          return;
        }
        const parsed = parseCloudEvent(msg.data);
        if (!parsed.ok) {
          log.debug(`ignored a lattice event: ${parsed.error}`);
          return;
        }
        this.#onEvent(parsed.value);
      },
    });
    this.#stopWatchingConnection ??= watchNatsStatus(nc, (status) => {
      if (status.kind !== 'reconnected' || this.#closed) return;
      log.info(`NATS connection back (${status.server}): reading every host and the links again`);
      this.resync();
    });
    await nc.flush();
    // The first round listens twice as long: a host missed now would have its share placed elsewhere.
    await this.#pingRound(2 * timings.pingTimeoutMs);
    await Promise.all([
      // The ping round started reading the hosts it found: wait for those reads, not read them twice.
      ...this.#options.state
        .allHosts()
        .map((host) => this.#readsInFlight.get(host.id) ?? this.readHost(host.id)),
      this.readLinks(),
    ]);
    if (this.#closed) return;
    this.#schedulePing(this.#options.timings.pingIntervalMs);
    this.#resyncTimer = setInterval(() => this.resync(), this.#options.timings.resyncIntervalMs);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#pingTimer);
    clearInterval(this.#resyncTimer);
    this.#subscription?.unsubscribe();
    this.#stopWatchingConnection?.();
  }

  /** Reads every known host's inventory and the links again. */
  resync(): void {
    for (const host of this.#options.state.allHosts()) void this.readHost(host.id);
    void this.readLinks();
  }

  // ---- events ----

  #onEvent(event: CloudEvent): void {
    if (this.#closed) return;
    const { state } = this.#options;
    if (HOST_EVENT.test(event.type)) {
      this.#reading.get(event.source)?.push(event);
      if (!isEventOf(event, 'host_stopped')) {
        this.#heard(event.source);
        const labels =
          isEventOf(event, 'host_started') || isEventOf(event, 'host_heartbeat')
            ? event.data.labels
            : undefined;
        if (state.ensureHost(event.source, labels).added) void this.readHost(event.source);
      } else {
        this.#liveness.delete(event.source);
      }
    } else if (LINK_EVENT.test(event.type)) {
      this.#linkEventsDuringRead?.push(event);
    } else if (isEventOf(event, 'nats_reconnected') && state.host(event.source) !== undefined) {
      this.#heard(event.source);
      this.#options.log.debug(`host ${event.source}'s NATS connection came back; reading it again`);
      void this.readHost(event.source);
    }
    state.applyEvent(event);
    if (isEventOf(event, 'host_heartbeat') && !state.agreesWithHeartbeat(event.source, event.data)) {
      this.#options.log.debug(
        `host ${event.source}'s heartbeat disagrees with the picture; reading it again`,
      );
      void this.readHost(event.source);
    }
    this.#options.onEvent(event);
  }

  #heard(hostId: string): void {
    const liveness = this.#liveness.get(hostId);
    if (liveness === undefined) this.#liveness.set(hostId, { misses: 0, heardAt: Date.now() });
    else {
      liveness.misses = 0;
      liveness.heardAt = Date.now();
    }
  }

  // ---- reads ----

  /**
   * Reads one host's inventory and puts it in the picture (events received meanwhile on top). A
   * host already being read is read once more after that read, and the promise of that is returned.
   */
  readHost(hostId: string): Promise<void> {
    const inFlight = this.#readsInFlight.get(hostId);
    if (inFlight !== undefined) {
      this.#readAgain.add(hostId);
      return inFlight;
    }
    const reading = this.#readUntilAsked(hostId);
    this.#readsInFlight.set(hostId, reading);
    return reading;
  }

  async #readUntilAsked(hostId: string): Promise<void> {
    try {
      do await this.#readInventory(hostId);
      while (this.#readAgain.delete(hostId) && !this.#closed);
    } finally {
      this.#readsInFlight.delete(hostId);
    }
  }

  async #readInventory(hostId: string): Promise<void> {
    const during: CloudEvent[] = [];
    this.#reading.set(hostId, during);
    try {
      const inventory = await this.#options.client.getInventory(hostId);
      const { state } = this.#options;
      // A host gone (host_stopped, or missed pings) while its inventory was on the way stays gone.
      if (this.#closed || state.host(hostId) === undefined) return;
      state.applyInventory(inventory);
      for (const event of during) state.applyEvent(event);
    } catch (error) {
      // The next ping round, resync or heartbeat reads it again; a host that is gone stops answering pings too.
      this.#options.log.debug(
        `could not read the inventory of host ${hostId}: ${errorMessage(error)}`,
        errorFields(error),
      );
    } finally {
      this.#reading.delete(hostId);
    }
  }

  async readLinks(): Promise<void> {
    if (this.#linkEventsDuringRead !== undefined) return;
    const during: CloudEvent[] = [];
    this.#linkEventsDuringRead = during;
    try {
      const links = await this.#options.client.getLinks();
      if (this.#closed) return;
      const { state } = this.#options;
      state.setLinks(links);
      for (const event of during) state.applyEvent(event);
    } catch (error) {
      // No host answers when there is none; the links are read again with the next resync.
      this.#options.log.debug(`could not read the links: ${errorMessage(error)}`, errorFields(error));
    } finally {
      this.#linkEventsDuringRead = undefined;
    }
  }

  // ---- liveness ----

  /** Rounds start `pingIntervalMs` apart; a slow round delays the next rather than piling up. */
  #schedulePing(delayMs: number): void {
    if (this.#closed) return;
    this.#pingTimer = setTimeout(() => {
      const started = Date.now();
      void this.#pingRound(this.#options.timings.pingTimeoutMs).finally(() => {
        const elapsed = Date.now() - started;
        this.#schedulePing(Math.max(0, this.#options.timings.pingIntervalMs - elapsed));
      });
    }, delayMs);
  }

  async #pingRound(windowMs: number): Promise<void> {
    const { client, state, log, timings } = this.#options;
    const roundStarted = Date.now();
    let replies: Awaited<ReturnType<ControlClient['getHosts']>>;
    try {
      replies = await client.getHosts(windowMs, { heartbeat: false });
    } catch (error) {
      log.warn(`ping of the lattice's hosts failed: ${errorMessage(error)}`, errorFields(error));
      return;
    }
    if (this.#closed) return;
    const answered = new Set<string>();
    for (const reply of replies) {
      answered.add(reply.id);
      this.#heard(reply.id);
      const { host, added } = state.ensureHost(reply.id, reply.labels);
      // A host first heard of now, or one whose inventory could not be read before.
      if (added || !host.synced) void this.readHost(reply.id);
    }
    for (const host of state.allHosts()) {
      if (answered.has(host.id)) continue;
      const liveness = this.#liveness.get(host.id) ?? { misses: 0, heardAt: 0 };
      this.#liveness.set(host.id, liveness);
      if (liveness.heardAt >= roundStarted) continue;
      liveness.misses += 1;
      if (liveness.misses < timings.missedPingsBeforeGone) continue;
      this.#liveness.delete(host.id);
      state.removeHost(host.id);
      log.info(`host ${host.id} answered no ping in ${liveness.misses} rounds: treated as gone`);
    }
  }
}
