// The host's lattice data as the changes of the routes its workers hold (host/runtime/route-table.ts):
// the whole table for a runtime that starts, and one change per link or claims record the host sees
// put or deleted. The workers then route their actors' calls out without the main thread.

import type { StoredLinkDefinition } from '../../lattice/link-definition.ts';
import type { ClaimsRecord, LatticeData } from '../lattice-data.ts';
import type { RouteChange } from '../runtime/mod.ts';

export function linkPut(link: StoredLinkDefinition): RouteChange {
  return {
    kind: 'link-put',
    link: {
      id: link.id,
      actorId: link.actor_id,
      contractId: link.contract_id,
      linkName: link.link_name,
      providerId: link.provider_id,
    },
  };
}

export function linkDeleted(link: StoredLinkDefinition): RouteChange {
  return { kind: 'link-delete', id: link.id };
}

export function claimsPut(publicKey: string, claims: ClaimsRecord): RouteChange {
  return { kind: 'claims-put', publicKey, callAlias: claims.call_alias ?? '' };
}

export function claimsDeleted(publicKey: string): RouteChange {
  return { kind: 'claims-delete', publicKey };
}

/** Every link and claims record the host knows, as changes that fill an empty table. */
export function allRoutes(data: LatticeData): RouteChange[] {
  return [
    ...data.links().map(linkPut),
    ...data.claimsByKey().map(([publicKey, claims]) => claimsPut(publicKey, claims)),
  ];
}
