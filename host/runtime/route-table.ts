// Where an actor's calls out go, as every worker holds it: the lattice's links (actor, contract, link
// name → provider) and the actors' call aliases, mirrored from the host's lattice data
// (host/lattice-data.ts) into each worker and kept up to date by the changes the host sees (link put
// and delete, claims put). The worker routes calls with it (local-calls.ts) without asking the main
// thread; the main thread keeps a copy to replay into replacement workers. It answers exactly as
// LatticeData's linkFor and actorByCallAlias do, and a call it cannot route is refused in the same words
// as the main thread's router (host/rpc/outbound.ts).

import { isPublicKey } from '../../lattice/keys.ts';
import { HostError } from '../errors.ts';
import { LinkIndex } from './link-index.ts';

/** The part of a link definition a call needs. */
export interface RouteLink {
  /** The link definition's ID (its key in the lattice data). */
  id: string;
  actorId: string;
  contractId: string;
  linkName: string;
  providerId: string;
}

/** One change of the table, as the main thread posts it to the workers. */
export type RouteChange =
  | { kind: 'link-put'; link: RouteLink }
  | { kind: 'link-delete'; id: string }
  /** An actor's claims, put: its call alias (empty: none). */
  | { kind: 'claims-put'; publicKey: string; callAlias: string }
  | { kind: 'claims-delete'; publicKey: string };

/** Refused before anything is sent; the message is what the calling actor sees. */
export class CallNotRoutedError extends HostError {}

export function notLinkedError(actorId: string, contractId: string, linkName: string): CallNotRoutedError {
  return new CallNotRoutedError(
    'CALL_NOT_LINKED',
    `Invocation not authorized: missing link definition for ${actorId} on ${contractId} (link ${linkName})`,
  );
}

export function noTargetError(namespace: string): CallNotRoutedError {
  return new CallNotRoutedError('CALL_NO_TARGET', `no actor has the key or call alias "${namespace}"`);
}

/** How many namespaces resolveActor remembers. */
const RESOLVED_KEPT = 1024;

export class RouteTable {
  readonly #links = new LinkIndex<RouteLink>((link) => link);
  /** Call alias by public key, in the order the claims arrived (as LatticeData keeps them). */
  readonly #aliases = new Map<string, string>();
  /** What resolveActor answered, per namespace, until the claims change (it runs on every call). */
  readonly #resolved = new Map<string, string | undefined>();

  apply(change: RouteChange): void {
    switch (change.kind) {
      case 'link-put':
        this.#links.set(change.link.id, change.link);
        return;
      case 'link-delete':
        this.#links.delete(change.id);
        return;
      case 'claims-put':
        this.#aliases.set(change.publicKey, change.callAlias);
        this.#resolved.clear();
        return;
      case 'claims-delete':
        this.#aliases.delete(change.publicKey);
        this.#resolved.clear();
        return;
    }
  }

  /** The whole table as changes, to fill a new worker's copy. */
  snapshot(): RouteChange[] {
    return [
      ...[...this.#links.values()].map((link): RouteChange => ({ kind: 'link-put', link })),
      ...[...this.#aliases].map(
        ([publicKey, callAlias]): RouteChange => ({ kind: 'claims-put', publicKey, callAlias }),
      ),
    ];
  }

  /** The link an actor's call on `contractId` through `linkName` goes over, if one is defined. */
  linkFor(actorId: string, contractId: string, linkName: string): RouteLink | undefined {
    return this.#links.find(actorId, contractId, linkName);
  }

  /** The actor key behind a call alias (from any actor's claims), if one claims it. */
  actorByCallAlias(alias: string): string | undefined {
    for (const [publicKey, callAlias] of this.#aliases) {
      if (callAlias === alias && isPublicKey(publicKey, 'module')) return publicKey;
    }
    return undefined;
  }

  /** The actor a call names: its key itself, or the actor whose claims hold that call alias. */
  resolveActor(namespace: string): string | undefined {
    if (this.#resolved.has(namespace)) return this.#resolved.get(namespace);
    const actorId = isPublicKey(namespace, 'module') ? namespace : this.actorByCallAlias(namespace);
    // Bounded: an actor naming ever new namespaces only costs the lookups it would cost anyway.
    if (this.#resolved.size >= RESOLVED_KEPT) this.#resolved.clear();
    this.#resolved.set(namespace, actorId);
    return actorId;
  }
}
