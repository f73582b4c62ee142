// Replies to the control interface's queries (protocol.md §1.4, §14): ping, inventory, claims and
// links, in the exact 2022 shapes, and the host's load (a wasmcloud-ts addition). Optional fields are left out rather than sent as null.

import {
  type ClaimsList,
  type HostInventory,
  type HostLoad,
  type HostMetricsReply,
  type HostPingReply,
  hostPingRequestSchema,
  type LinksList,
  type ProviderDescription,
} from '../../lattice/control.ts';
import { parseJsonMessage } from '../../lattice/json-message.ts';
import { HOST_VERSION, humanUptime } from '../version.ts';
import { type StreamedList, streamedList } from './json-pieces.ts';
import { hostMetricsReply } from './metrics-reply.ts';
import type { ControlContext, HostIdentity } from './types.ts';

export function uptimeSeconds(host: HostIdentity): number {
  return Math.floor((Date.now() - host.startedAt) / 1000);
}

/**
 * Whether a ping asks for the heartbeat that follows it. Only `{"heartbeat": false}` (a wasmcloud-ts
 * addition) declines it; the 2022 empty body, and any body that is not a valid ping request, keep
 * the OTP 0.57 behaviour: a ping is never refused for its body.
 */
export function pingWantsHeartbeat(body: Uint8Array): boolean {
  const request = parseJsonMessage(hostPingRequestSchema, body);
  return !request.ok || request.value.heartbeat !== false;
}

export function pingReply(context: ControlContext): HostPingReply {
  const { host } = context;
  const uptime = uptimeSeconds(host);
  const reply: HostPingReply = {
    id: host.hostId,
    labels: host.labels,
    friendly_name: host.friendlyName,
    uptime_seconds: uptime,
    uptime_human: humanUptime(uptime),
    version: HOST_VERSION,
    cluster_issuers: host.clusterIssuers.join(','),
    ctl_host: host.ctlHost,
    prov_rpc_host: host.provRpcHost,
    rpc_host: host.rpcHost,
    lattice_prefix: host.latticePrefix,
    issuer: host.clusterKey,
  };
  if (host.jsDomain !== undefined) reply.js_domain = host.jsDomain;
  return reply;
}

/**
 * One entry per actor (OTP 0.60 form), each with its instances; providers with their contract. The
 * lists are streamed (json-pieces.ts): an inventory of 50,000 instances is written as it is sent,
 * never built whole. Its text is what `HostInventory` describes.
 */
export function inventoryReply(context: ControlContext): object {
  return {
    host_id: context.host.hostId,
    labels: context.host.labels,
    friendly_name: context.host.friendlyName,
    actors: streamedList(context.actors.running(), (actor) => ({
      id: actor.id,
      image_ref: actor.imageRef,
      name: actor.name,
      instances: streamedList(actor.instances, (instance) => ({
        instance_id: instance.instanceId,
        revision: instance.revision,
        annotations: instance.annotations,
      })),
      // A wasmcloud-ts addition, only on a dormant actor: 0 instances, but loaded and woken by a call.
      ...(actor.dormant ? { scaled_to_zero: true } : {}),
    })),
    providers: context.providers.running().map(
      (provider): ProviderDescription => ({
        id: provider.id,
        link_name: provider.linkName,
        contract_id: provider.contractId,
        instance_id: provider.instanceId,
        image_ref: provider.imageRef,
        name: provider.name,
        revision: provider.revision,
        annotations: provider.annotations,
      }),
    ),
  } satisfies Omit<HostInventory, 'actors'> & { actors: StreamedList };
}

/** The reply to `get.{host}.load` (a wasmcloud-ts addition): calls per actor, from counters. */
export function loadReply(context: ControlContext): HostLoad {
  return { host_id: context.host.hostId, actors: context.actors.load() };
}

/** The reply to `get.{host}.metrics` (a wasmcloud-ts addition): call counters per actor and provider. */
export async function metricsReply(context: ControlContext): Promise<HostMetricsReply> {
  return hostMetricsReply(context.host.hostId, await context.metrics?.());
}

/** Every claims record, streamed (a `ClaimsList`). */
export function claimsReply(context: ControlContext): object {
  return { claims: streamedList(context.data.claims(), (claims): ClaimsList['claims'][number] => claims) };
}

/** Every link definition, streamed (a `LinksList`). */
export function linksReply(context: ControlContext): object {
  return { links: streamedList(context.data.links(), (link): LinksList['links'][number] => link) };
}
