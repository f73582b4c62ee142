// Says what happens to the host's own NATS connections (control and RPC): a lost connection is
// logged at warn, its return at info with how long it was down, and announced to the lattice as
// `nats_reconnected` (nothing can be published while it is down, so that one event carries both
// times). The dashboard reads the current state from here, so it can show it even while NATS is
// gone. Worker threads' connections reach the same RPC server and are not reported one by one.

import type { NatsConnectionReport, NatsStatusSource } from '../dashboard/host-services.ts';
import { errorFields, errorMessage } from '../lattice/errors.ts';
import type { EventData } from '../lattice/events.ts';
import type { Logger } from '../lattice/log.ts';
import { type NatsConnection, type NatsConnectionStatus, watchNatsStatus } from '../lattice/nats.ts';
import type { EventPublisher } from './events.ts';

/** A server's error text is echoed in the log; a few hundred characters say all it has to say. */
const SERVER_ERROR_LOGGED_CHARS = 300;
/** Reconnections kept for publishing while the connection that carries events is itself down. */
const UNPUBLISHED_KEPT = 16;

interface Watched extends NatsConnectionReport {
  /** When it was lost (ms since the epoch), while it is. */
  lostAt: number | undefined;
}

export class NatsConnectivity implements NatsStatusSource {
  readonly #log: Logger;
  readonly #events: EventPublisher;
  readonly #watched: Watched[] = [];
  readonly #listeners = new Set<() => void>();
  /**
   * nats.js drops what is published while a connection is down (it resets its outbound buffer on
   * every dial), so a reconnection waits here until the connection that carries events is up.
   */
  readonly #unpublished: EventData<'nats_reconnected'>[] = [];
  #eventsCarrier: Watched | undefined;

  constructor(log: Logger, events: EventPublisher) {
    this.#log = log;
    this.#events = events;
  }

  /**
   * Follows `nc` until it is closed or the returned function is called; `carriesEvents` for the
   * connection `events` publishes on.
   */
  watch(connection: string, nc: NatsConnection, options: { carriesEvents?: boolean } = {}): () => void {
    const watched: Watched = {
      connection,
      server: nc.getServer(),
      state: 'connected',
      since: new Date().toISOString(),
      disconnects: 0,
      lostAt: undefined,
    };
    this.#watched.push(watched);
    if (options.carriesEvents) this.#eventsCarrier = watched;
    return watchNatsStatus(nc, (status) => this.#on(watched, status));
  }

  reports(): NatsConnectionReport[] {
    return this.#watched.map(({ lostAt: _lostAt, ...report }) => report);
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #on(watched: Watched, status: NatsConnectionStatus): void {
    const fields = { connection: watched.connection };
    switch (status.kind) {
      case 'disconnected': {
        if (watched.lostAt !== undefined) return;
        watched.lostAt = Date.now();
        watched.server = status.server;
        watched.state = 'reconnecting';
        watched.since = new Date(watched.lostAt).toISOString();
        watched.disconnects += 1;
        this.#log.warn(`lost NATS at ${status.server}; reconnecting…`, fields);
        this.#changed();
        return;
      }
      case 'reconnecting':
        this.#log.debug(`trying NATS at ${status.server}`, fields);
        return;
      case 'reconnected': {
        const now = Date.now();
        const lostAt = watched.lostAt ?? now;
        const downMs = now - lostAt;
        watched.lostAt = undefined;
        watched.server = status.server;
        watched.state = 'connected';
        watched.since = new Date(now).toISOString();
        this.#log.info(`NATS connection back after ${downMs} ms`, { ...fields, server: status.server });
        this.#unpublished.push({
          connection: watched.connection,
          server: status.server,
          down_ms: downMs,
          disconnected_at: new Date(lostAt).toISOString(),
        });
        if (this.#unpublished.length > UNPUBLISHED_KEPT) this.#unpublished.shift();
        this.#publishWaiting();
        this.#changed();
        return;
      }
      case 'lame_duck':
        this.#log.info(
          `NATS server ${status.server} is shutting down (lame duck mode); moving to another`,
          fields,
        );
        return;
      case 'server_error':
        this.#log.warn(`NATS server error: ${status.message.slice(0, SERVER_ERROR_LOGGED_CHARS)}`, fields);
        return;
    }
  }

  #publishWaiting(): void {
    if (this.#eventsCarrier?.state === 'reconnecting') return;
    for (const data of this.#unpublished.splice(0)) this.#events.publish('nats_reconnected', data);
  }

  #changed(): void {
    for (const listener of this.#listeners) {
      try {
        listener();
      } catch (error) {
        this.#log.warn(`a NATS status listener failed: ${errorMessage(error)}`, errorFields(error));
      }
    }
  }
}
