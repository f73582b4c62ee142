// The host's metrics put together from its parts (host.ts calls this once, after the actors and
// providers exist): what each source of host-metrics.ts reads, from the runtime, the supervisors
// and the NATS status. Nothing is started when WASMCLOUD_METRICS_ENABLED is false.

import type { Logger } from '../../lattice/log.ts';
import type { ActorSupervisor } from '../actors/actor-supervisor.ts';
import type { HostConfig } from '../config.ts';
import type { NatsConnectivity } from '../nats-status.ts';
import type { ProviderSupervisor } from '../providers/mod.ts';
import type { ActorRuntime } from '../runtime/mod.ts';
import { HOST_VERSION } from '../version.ts';
import { MetricsEndpoint } from './metrics-endpoint.ts';

export interface MeteredParts {
  runtime: ActorRuntime;
  actors: ActorSupervisor;
  providers: ProviderSupervisor;
  connectivity: NatsConnectivity;
}

export async function startHostMetrics(
  config: HostConfig,
  parts: MeteredParts,
  log: Logger,
): Promise<MetricsEndpoint | undefined> {
  if (!config.telemetry.metrics.enabled) return undefined;
  const { runtime, actors, providers, connectivity } = parts;
  return MetricsEndpoint.start({
    settings: config.telemetry,
    log,
    listen: config.metricsListener,
    sources: {
      hostId: config.hostKey.publicKey,
      friendlyName: config.friendlyName,
      latticePrefix: config.latticePrefix,
      version: HOST_VERSION,
      invocations: () => runtime.invocationMetrics(),
      actors: () => {
        const refs = new Map(actors.running().map((actor) => [actor.id, actor.imageRef]));
        return actors.load().map((load) => ({
          id: load.id,
          ref: refs.get(load.id) || load.id,
          instances: load.instances,
          inFlight: load.in_flight,
          queued: load.queued,
          maxConcurrency: load.max_concurrency,
        }));
      },
      providers: () =>
        providers.running().map((provider) => ({
          id: provider.id,
          linkName: provider.linkName,
          contractId: provider.contractId,
          healthy: provider.healthy,
          restarts: provider.restarts,
        })),
      nats: () =>
        connectivity.reports().map((report) => ({
          connection: report.connection,
          connected: report.state === 'connected',
          disconnects: report.disconnects,
        })),
    },
  });
}
