// What the page receives: the JSON shape of `GET /api/lattice` and of the first `state` server-sent
// event (snapshot.ts builds it), and of the `delta` events that follow (lattice-feed.ts). It imports nothing but the import-free host-services.ts, so the
// browser code's type-check (dashboard/public/tsconfig.json) reads these types without pulling in
// the server's code or Node's.

import type { NatsConnectionReport } from './host-services.ts';

export type ProviderHealth = 'healthy' | 'unhealthy' | 'unknown';

/** A lattice event as the page lists it: a compact copy (recent-events.ts). */
export interface RecentEvent {
  id: string;
  time: string;
  /** The event name (`actor_started`). */
  name: string;
  source: string;
  data: unknown;
}

export interface HostSummary {
  id: string;
  friendly_name: string;
  labels: Record<string, string>;
  version: string | null;
  /** Projected to the moment the snapshot was made. */
  uptime_seconds: number;
  last_seen: string;
  /** Whether this host serves the dashboard. */
  local: boolean;
  actor_instances: number;
  provider_count: number;
  /** Set when the host did not answer its last inventory request. */
  inventory_error: string | null;
}

export interface ActorSummary {
  id: string;
  name: string;
  image_ref: string | null;
  caps: string[];
  call_alias: string | null;
  /** Per host; `scaled_to_zero`: 0 instances but loaded there, woken by its next call (not "not running"). */
  instances: Array<{ host_id: string; count: number; image_ref: string | null; scaled_to_zero: boolean }>;
  /** Set when the actor was started from a file uploaded to this dashboard: that file's name. */
  uploaded_file: string | null;
  total_instances: number;
  /** The applications whose controller started instances of it (their annotations), by name. */
  applications: string[];
}

export interface ProviderSummary {
  id: string;
  name: string;
  link_name: string;
  contract_id: string;
  image_ref: string | null;
  /** As for actors. */
  uploaded_file: string | null;
  hosts: Array<{ host_id: string; health: ProviderHealth }>;
  /** As for actors: the applications that started it, on any host. */
  applications: string[];
}

export interface LinkSummary {
  id: string;
  actor_id: string;
  provider_id: string;
  link_name: string;
  contract_id: string;
  values: Record<string, string>;
  actor_name: string;
  provider_name: string;
  /** Whether an instance of that end runs anywhere in the lattice now. */
  actor_running: boolean;
  provider_running: boolean;
}

export interface LatticeSnapshot {
  /**
   * Counts the changes the live feed has sent (lattice-feed.ts): a `delta` event applies to the
   * state of its `base` version and makes its `version`.
   */
  version: number;
  lattice: string;
  host_id: string;
  generated_at: string;
  /** False until the first ping of the lattice has been gathered. */
  synced: boolean;
  hosts: HostSummary[];
  actors: ActorSummary[];
  providers: ProviderSummary[];
  links: LinkSummary[];
  events: RecentEvent[];
  /** This host's own NATS connections (known here even while NATS is down). */
  nats: NatsConnectionReport[];
  /** The applications the lattice's application controller keeps (wadm API). */
  applications: ApplicationsState;
}

/** The entries of one keyed section that changed or came (whole), and the keys of those that went. */
export interface SectionChanges<T> {
  changed: T[];
  removed: string[];
}

/**
 * A `delta` server-sent event: what changed since the state of version `base`. The keyed sections
 * carry only their changed and removed entries (keys: hosts, actors and links by `id`, providers by
 * `${id}|${link_name}`); the small parts come whole when they changed, and are absent when not. The
 * page sorts each section as the snapshot does. A page whose state is not at `base` (it missed
 * one) asks for the whole state again.
 */
export interface LatticeDelta {
  version: number;
  base: number;
  generated_at: string;
  hosts?: SectionChanges<HostSummary>;
  actors?: SectionChanges<ActorSummary>;
  providers?: SectionChanges<ProviderSummary>;
  links?: SectionChanges<LinkSummary>;
  synced?: boolean;
  events?: RecentEvent[];
  nats?: NatsConnectionReport[];
  applications?: ApplicationsState;
}

/** One page of one keyed section: `GET /api/lattice?section=links&offset=…&limit=…`. */
export interface LatticeSectionPage {
  version: number;
  section: 'hosts' | 'actors' | 'providers' | 'links';
  /** Entries in the section (after the filter, when one was given). */
  total: number;
  offset: number;
  limit: number;
  items: Array<HostSummary | ActorSummary | ProviderSummary | LinkSummary>;
}

/** wadm's StatusType (lattice/wadm-api.ts STATUS_TYPES, which applications.ts checks it against). */
export type AppStatusType = 'waiting' | 'undeployed' | 'reconciling' | 'deployed' | 'failed' | 'unhealthy';

/** One scaler of an application (one trait of one component) and how far it got, in words. */
export interface ScalerSummary {
  id: string;
  /** `SpreadScaler`, `DaemonScaler`, `LinkScaler`, … as the controller names it. */
  kind: string;
  name: string;
  status: AppStatusType;
  /** Why it is not deployed ("no host satisfies zone=us-east-1"); empty when there is nothing to say. */
  message: string;
}

export interface ApplicationSummary {
  name: string;
  /** The newest stored version. */
  version: string;
  description: string | null;
  /** The version that is deployed, or null when none is. */
  deployed_version: string | null;
  status: AppStatusType;
  status_message: string;
  /** Per scaler; empty until the controller's status has been read (or when nothing is deployed). */
  scalers: ScalerSummary[];
  /** What runs in the lattice carrying this application's annotations (keys). */
  actors: string[];
  /** `${provider key}|${link name}`, as the picture keys providers. */
  providers: string[];
}

/**
 * `unknown` until the controller was first asked; `absent` when nobody answers the wadm API in
 * this lattice; `error` when it answered late or wrongly (`message` says how).
 */
export type ControllerState = 'unknown' | 'running' | 'absent' | 'error';

export interface ApplicationsState {
  controller: ControllerState;
  /** What is wrong with the controller, in words; null while it answers. */
  message: string | null;
  applications: ApplicationSummary[];
}

/**
 * One actor's calls over the last two minutes or so, summed over every host that runs it: one point
 * per poll of the hosts' counters (`get.{host}.metrics`), oldest first (an actor first called
 * since has fewer).
 */
export interface ActorRates {
  id: string;
  /** Calls served per second in each interval. */
  calls_per_s: number[];
  /** Failed calls per second in each interval. */
  errors_per_s: number[];
  /** Median and 99th percentile duration (ms) of the calls that ended in each interval; null when none did. */
  p50_ms: Array<number | null>;
  p99_ms: Array<number | null>;
  /** Calls served since the hosts started (over the hosts that answered the last poll). */
  calls_total: number;
  errors_total: number;
}

/** Calls actors made to one provider over one link, summed over every host, as ActorRates. */
export interface ProviderRates {
  provider_id: string;
  link_name: string;
  contract_id: string;
  requests_per_s: number[];
  errors_per_s: number[];
  requests_total: number;
  errors_total: number;
}

/** What `GET /api/metrics` answers and each `metrics` server-sent event carries. */
export interface LatticeMetrics {
  /** How often the hosts are asked (ms); each point covers about this long. */
  interval_ms: number;
  /** How many points a series keeps at most (the page's sparklines are that wide). */
  points: number;
  /** When the hosts were last asked (ISO-8601); null before the first time. */
  updated_at: string | null;
  actors: ActorRates[];
  providers: ProviderRates[];
  /** Hosts that answered with metrics off (WASMCLOUD_METRICS_ENABLED=false): their calls are not in the rates. */
  metrics_off: string[];
  /** Hosts that did not answer the last poll (a 2022 host, one too busy): not in the rates either. */
  unanswered: Array<{ host_id: string; error: string }>;
}
