// What the dashboard knows of the lattice's applications, from the application controller's API
// (lattice/wadm-api.ts): every stored application with its status and, per scaler, its reason.
// Status pushes (`wadm.status.{lattice}.*`) keep it live; the list is read again at start, when a
// page opens, after the page's own actions, when a push names an application not yet listed, and
// every few seconds while a page is open (a `wash app put` elsewhere pushes no status). Nothing is
// asked while no page watches, so a lattice of many hosts does not keep the controller busy.

import { errorMessage } from '../lattice/errors.ts';
import { parseJsonMessage } from '../lattice/json-message.ts';
import type { Logger } from '../lattice/log.ts';
import type { NatsConnection, Subscription } from '../lattice/nats.ts';
import {
  type AppStatus,
  type AppSummary,
  type StatusType,
  statusPushSchema,
  wadmStatusWildcard,
} from '../lattice/wadm-api.ts';
import { type WadmClient, WadmRequestError } from '../lattice/wadm-client.ts';
import type {
  ApplicationSummary,
  ApplicationsState,
  AppStatusType,
  ControllerState,
  ScalerSummary,
} from './page-data.ts';

// page-data.ts spells the status types out (it imports nothing, for the page's type-check); this
// stops compiling if they drift from the wire's.
const statusTypesAgree: [AppStatusType] extends [StatusType]
  ? [StatusType] extends [AppStatusType]
    ? true
    : never
  : never = true;
void statusTypesAgree;

export interface ApplicationsTimings {
  /** How often the list is read again while a page is open; default 10 s. */
  refreshIntervalMs: number;
  /** How many status requests run at once during a refresh; default 8. */
  statusConcurrency: number;
}

export const DEFAULT_APPLICATIONS_TIMINGS: ApplicationsTimings = {
  refreshIntervalMs: 10_000,
  statusConcurrency: 8,
};

/** An application without its members (snapshot.ts adds those from the inventories' annotations). */
export type ApplicationEntry = Omit<ApplicationSummary, 'actors' | 'providers'>;

interface Entry {
  app: ApplicationEntry;
  /** The push counter when its status last came from a push: a refresh begun before keeps it. */
  pushedAt: number;
}

function scalersOf(status: AppStatus): ScalerSummary[] {
  return status.scalers.map((scaler) => ({
    id: scaler.id,
    kind: scaler.kind,
    name: scaler.name,
    status: scaler.status.type,
    message: scaler.status.message,
  }));
}

function entryOf(summary: AppSummary, scalers: ScalerSummary[]): ApplicationEntry {
  return {
    name: summary.name,
    version: summary.version,
    description: summary.description ?? null,
    deployed_version: summary.deployed_version || null,
    status: summary.status,
    status_message: summary.status_message ?? '',
    scalers,
  };
}

export class ApplicationsView {
  readonly client: WadmClient;
  readonly #nc: NatsConnection;
  readonly #log: Logger;
  readonly #timings: ApplicationsTimings;
  readonly #watched: () => boolean;
  readonly #entries = new Map<string, Entry>();
  readonly #listeners = new Set<() => void>();
  #controller: ControllerState = 'unknown';
  #message: string | null = null;
  #lastError: unknown;
  #pushes = 0;
  #subscription: Subscription | undefined;
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  #again = false;
  #closed = false;

  /** `watched` says whether a page is open (the periodic refresh runs only then). */
  constructor(parts: {
    nc: NatsConnection;
    client: WadmClient;
    log: Logger;
    watched: () => boolean;
    timings?: Partial<ApplicationsTimings> | undefined;
  }) {
    this.#nc = parts.nc;
    this.client = parts.client;
    this.#log = parts.log;
    this.#watched = parts.watched;
    this.#timings = { ...DEFAULT_APPLICATIONS_TIMINGS, ...parts.timings };
  }

  /** Subscribes to the status pushes, then reads the list once in the background. */
  start(): void {
    const subject = wadmStatusWildcard(this.client.latticePrefix);
    this.#subscription = this.#nc.subscribe(subject, {
      callback: (error, msg) => {
        if (error) {
          this.#log.warn(`dashboard: status subscription on ${subject} failed: ${error.message}`);
          return;
        }
        this.#onPush(msg.subject, msg.data);
      },
    });
    void this.refresh();
    this.#timer = setInterval(() => {
      if (this.#watched()) void this.refresh();
    }, this.#timings.refreshIntervalMs);
    this.#timer.unref();
  }

  // ---- reading ----

  state(): { controller: ControllerState; message: string | null; applications: ApplicationEntry[] } {
    return {
      controller: this.#controller,
      message: this.#message,
      applications: [...this.#entries.values()]
        .map((entry) => entry.app)
        .sort((a, b) => a.name.localeCompare(b.name)),
    };
  }

  /** Why the last list request failed (the controller's absence, a timeout), or undefined. */
  get lastError(): unknown {
    return this.#lastError;
  }

  /** Calls `listener` whenever what `state()` returns changes. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // ---- writing ----

  /**
   * Reads the list and every application's status again. Calls made while one runs share it and
   * then run once more, so a caller that changed something sees its change.
   */
  refresh(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      try {
        do {
          this.#again = false;
          await this.#readAll();
        } while (this.#again && !this.#closed);
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  /** Takes an application's status as a status reply gave it (the detail route asks for it). */
  applyStatus(name: string, status: AppStatus): void {
    const entry = this.#entries.get(name);
    if (!entry) return;
    this.#update(() => {
      entry.app = { ...entry.app, ...this.#statusFields(status) };
    });
  }

  /** Forgets an application the controller no longer has (deleted through the page). */
  forget(name: string): void {
    this.#update(() => this.#entries.delete(name));
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#subscription?.unsubscribe();
    this.#listeners.clear();
  }

  // ---- inside ----

  #statusFields(status: AppStatus): Pick<ApplicationEntry, 'status' | 'status_message' | 'scalers'> {
    return { status: status.status.type, status_message: status.status.message, scalers: scalersOf(status) };
  }

  /** Runs `change`, then tells the listeners if the state it returns is not what it was. */
  #update(change: () => void): void {
    const before = JSON.stringify(this.state());
    change();
    if (JSON.stringify(this.state()) === before) return;
    for (const listener of this.#listeners) listener();
  }

  #onPush(subject: string, data: Uint8Array): void {
    const name = subject.slice(subject.lastIndexOf('.') + 1);
    const parsed = parseJsonMessage(statusPushSchema, data);
    if (!parsed.ok) {
      this.#log.debug(`dashboard: ignoring a status push on ${subject}: ${parsed.error}`);
      return;
    }
    const entry = this.#entries.get(name);
    if (!entry) {
      // A push for an application not listed yet: it was just stored or deployed elsewhere.
      void this.refresh();
      return;
    }
    this.#pushes += 1;
    const pushedAt = this.#pushes;
    this.#update(() => {
      entry.app = { ...entry.app, ...this.#statusFields(parsed.value) };
      entry.pushedAt = pushedAt;
      // A push comes from a running controller, whatever the last request said.
      this.#controller = 'running';
      this.#message = null;
    });
  }

  async #readAll(): Promise<void> {
    const startedAt = this.#pushes;
    let list: AppSummary[];
    try {
      list = await this.client.list();
    } catch (error) {
      this.#lastError = error;
      const absent = error instanceof WadmRequestError && error.code === 'WADM_NO_CONTROLLER';
      if (!absent) this.#log.debug(`dashboard: application list: ${errorMessage(error)}`);
      this.#update(() => {
        this.#controller = absent ? 'absent' : 'error';
        this.#message = errorMessage(error);
      });
      return;
    }
    this.#lastError = undefined;
    const statuses = await this.#statuses(list.map((summary) => summary.name));
    this.#update(() => {
      this.#controller = 'running';
      this.#message = null;
      const listed = new Set<string>();
      for (const summary of list) {
        listed.add(summary.name);
        const existing = this.#entries.get(summary.name);
        const status = statuses.get(summary.name);
        const app = entryOf(summary, status ? scalersOf(status) : (existing?.app.scalers ?? []));
        if (status) Object.assign(app, this.#statusFields(status));
        // A push that arrived while this refresh ran is newer than what the refresh read.
        if (existing && existing.pushedAt > startedAt) {
          const { status: type, status_message, scalers } = existing.app;
          Object.assign(app, { status: type, status_message, scalers });
        }
        this.#entries.set(summary.name, { app, pushedAt: existing?.pushedAt ?? 0 });
      }
      for (const name of [...this.#entries.keys()]) if (!listed.has(name)) this.#entries.delete(name);
    });
  }

  /** Each application's status, a few requests at a time; one that fails is left out. */
  async #statuses(names: string[]): Promise<Map<string, AppStatus>> {
    const statuses = new Map<string, AppStatus>();
    const queue = [...names];
    const worker = async () => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        try {
          const reply = await this.client.status(name);
          if (reply.result === 'ok' && reply.status) statuses.set(name, reply.status);
        } catch (error) {
          this.#log.debug(`dashboard: status of application ${name}: ${errorMessage(error)}`);
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(this.#timings.statusConcurrency, names.length) }, worker),
    );
    return statuses;
  }
}

/** The page's applications: the view's state with each application's members. */
export function applicationsState(
  state: ReturnType<ApplicationsView['state']>,
  members: (name: string) => { actors: string[]; providers: string[] },
): ApplicationsState {
  return {
    controller: state.controller,
    message: state.message,
    applications: state.applications.map((app) => ({ ...app, ...members(app.name) })),
  };
}
