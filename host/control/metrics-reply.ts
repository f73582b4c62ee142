// The reply to `get.{host}.metrics` (a wasmcloud-ts addition, lattice/control.ts hostMetricsSchema):
// the workers' cumulative counters (telemetry/invocation-metrics.ts) summed per actor over its
// operations, and per provider and link over the actors that called it — what the dashboard needs
// for every host's call rates and latencies, in a reply whose size grows with actors and providers,
// not with operation names.

import type { ActorMetrics, HostMetricsReply, ProviderMetrics } from '../../lattice/control.ts';
import { DURATION_BOUNDS_NS, type InvocationMetricsSnapshot } from '../telemetry/invocation-metrics.ts';

export function hostMetricsReply(
  hostId: string,
  snapshot: InvocationMetricsSnapshot | undefined,
): HostMetricsReply {
  const actors = new Map<string, ActorMetrics>();
  const providers = new Map<string, ProviderMetrics>();
  for (const series of snapshot?.served ?? []) {
    let actor = actors.get(series.actorId);
    if (actor === undefined) {
      actor = {
        id: series.actorId,
        calls_total: 0,
        errors_total: 0,
        duration_sum_ns: 0,
        duration_buckets: new Array<number>(DURATION_BOUNDS_NS.length + 1).fill(0),
      };
      actors.set(series.actorId, actor);
    }
    actor.calls_total += series.calls;
    actor.errors_total += series.errors;
    actor.duration_sum_ns += series.sumNs;
    series.buckets.forEach((count, index) => {
      actor.duration_buckets[index] = (actor.duration_buckets[index] ?? 0) + count;
    });
  }
  for (const series of snapshot?.providerCalls ?? []) {
    const key = `${series.providerId}\0${series.linkName}`;
    let provider = providers.get(key);
    if (provider === undefined) {
      provider = {
        provider_id: series.providerId,
        link_name: series.linkName,
        contract_id: series.contractId,
        requests_total: 0,
        errors_total: 0,
      };
      providers.set(key, provider);
    }
    provider.requests_total += series.calls;
    provider.errors_total += series.errors;
  }
  return {
    host_id: hostId,
    metrics_enabled: snapshot !== undefined,
    duration_bounds_ns: [...DURATION_BOUNDS_NS],
    actors: [...actors.values()],
    providers: [...providers.values()],
  };
}
