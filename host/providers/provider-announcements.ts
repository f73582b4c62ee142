// What the host says about a provider it runs, a process or a built-in alike: the snapshot that
// inventories and auctions read, and the provider_started / provider_stopped events.

import type { ProviderClaims } from '../../lattice/claims.ts';
import type { EventPublisher } from '../events.ts';
import type { RunningProvider } from './provider-types.ts';

/** The facts about a provider that its announcements carry. */
export interface AnnouncedProvider {
  id: string;
  linkName: string;
  contractId: string;
  imageRef: string;
  name: string;
  revision: number;
  annotations: Record<string, string>;
  claims: ProviderClaims;
}

function humanTime(seconds: number | undefined): string {
  return seconds === undefined ? 'never' : new Date(seconds * 1000).toISOString();
}

export function providerSnapshot(
  spec: AnnouncedProvider,
  instanceId: string,
  healthy: boolean,
  pid: number | undefined,
  restarts = 0,
): RunningProvider {
  const { id, linkName, contractId, imageRef, name, revision, annotations, claims } = spec;
  return {
    id,
    linkName,
    contractId,
    instanceId,
    imageRef,
    name,
    revision,
    annotations,
    claims,
    healthy,
    pid,
    restarts,
  };
}

export function publishProviderStarted(
  events: EventPublisher,
  spec: AnnouncedProvider,
  instanceId: string,
): void {
  events.publish('provider_started', {
    public_key: spec.id,
    image_ref: spec.imageRef,
    link_name: spec.linkName,
    contract_id: spec.contractId,
    instance_id: instanceId,
    annotations: spec.annotations,
    claims: {
      issuer: spec.claims.iss,
      name: spec.name,
      version: spec.claims.wascap.ver ?? '',
      not_before_human: humanTime(spec.claims.nbf),
      expires_human: humanTime(spec.claims.exp),
    },
  });
}

/** `reason`: `normal` for a stop asked for, else why the process ended. */
export function publishProviderStopped(
  events: EventPublisher,
  spec: AnnouncedProvider,
  instanceId: string,
  reason: string,
): void {
  events.publish('provider_stopped', {
    public_key: spec.id,
    link_name: spec.linkName,
    contract_id: spec.contractId,
    instance_id: instanceId,
    reason,
  });
}
