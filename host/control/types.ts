// What the control interface needs from the rest of the host, as small interfaces: the handlers
// never see NATS subscriptions, workers or processes, only these.

import type { RegistryCredential } from '../../lattice/control.ts';
import type { Logger } from '../../lattice/log.ts';
import type { ActorSupervisor } from '../actors/actor-supervisor.ts';
import type { ArtifactSource } from '../artifacts.ts';
import type { EventPublisher } from '../events.ts';
import type { LatticeData } from '../lattice-data.ts';
import type { ProviderSupervisor } from '../providers/mod.ts';
import type { InvocationMetricsSnapshot } from '../telemetry/invocation-metrics.ts';
import type { ReplyChannel } from './reply-sender.ts';

/** The provider supervisor, as the control interface uses it. */
export type ProviderControl = Pick<ProviderSupervisor, 'start' | 'startBuiltin' | 'stop' | 'running'>;

/** Facts about this host that replies and events carry. */
export interface HostIdentity {
  hostId: string;
  friendlyName: string;
  labels: Record<string, string>;
  latticePrefix: string;
  clusterKey: string;
  clusterIssuers: string[];
  jsDomain: string | undefined;
  ctlHost: string;
  rpcHost: string;
  provRpcHost: string;
  startedAt: number;
}

export interface ControlContext {
  host: HostIdentity;
  data: LatticeData;
  actors: ActorSupervisor;
  providers: ProviderControl;
  events: EventPublisher;
  log: Logger;
  /** Credentials from `registries.put`, by registry; used when fetching OCI artifacts. */
  registries: Map<string, RegistryCredential>;
  /** Reads files and pulls OCI references (provider starts); records the refmap of those pulled. */
  artifacts: ArtifactSource;
  /** How replies go out: in one message, or through the object store past max_payload. */
  replies: ReplyChannel;
  /** Publishes a heartbeat now (after each ping). */
  heartbeat(): void;
  /** Stops the host (after `cmd.{host}.stop` has been acknowledged). */
  stopHost(): void;
  /** The workers' call counters (`get.{host}.metrics`); absent when metrics are off. */
  metrics?: (() => Promise<InvocationMetricsSnapshot>) | undefined;
}
