// What a provider author writes (ProviderDefinition) and what the SDK hands back (Provider).

import type { HostData } from '../../lattice/host-data.ts';
import type { Invocation } from '../../lattice/invocation.ts';
import type { LinkDefinition } from '../../lattice/link-definition.ts';
import type { Logger } from '../../lattice/log.ts';
import type { CallActorOptions } from './actor-client.ts';

/** What a health check reports; the host counts `healthy: false` as failed (protocol.md §6.2). */
export interface HealthStatus {
  healthy: boolean;
  message?: string | undefined;
}

/** One invocation an operation handler answers. */
export interface InvocationContext {
  /** The calling actor's public key. */
  actorId: string;
  operation: string;
  /** The link the actor reached this provider through (its values configure the provider for it). */
  link: LinkDefinition;
  /** The validated, de-chunked invocation. */
  invocation: Invocation;
  provider: Provider;
}

/**
 * Answers one operation: takes the request payload (msgpack, as the contract defines it) and
 * returns the reply payload, or nothing for an operation with no output. A thrown error becomes
 * the InvocationResponse's `error`.
 */
export type OperationHandler = (
  payload: Uint8Array,
  context: InvocationContext,
) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

export interface ProviderDefinition {
  /** Handlers by operation name, `Service.Operation` (e.g. `HttpServer.HandleRequest`). */
  operations: Readonly<Record<string, OperationHandler>>;
  /** Called once per new link (the initial ones from HostData too); throw to refuse the link. */
  linkPut?(link: LinkDefinition, provider: Provider): void | Promise<void>;
  /** Called when a link is deleted (or replaced by one with other values). */
  linkDel?(link: LinkDefinition, provider: Provider): void | Promise<void>;
  /** The provider's own health check; default: always healthy. */
  healthCheck?(provider: Provider): HealthStatus | Promise<HealthStatus>;
  /** Runs when the host asks the provider to stop, or stdin closes; keep it short (the host kills after ~300 ms). */
  shutdown?(provider: Provider): void | Promise<void>;
}

/** A running provider, as its handlers and hooks see it. */
export interface Provider {
  readonly hostData: HostData;
  /** This provider's public key (V…). */
  readonly key: string;
  readonly linkName: string;
  readonly log: Logger;
  /** The links held now. */
  links(): LinkDefinition[];
  /** The link of one actor, if it has one. */
  link(actorId: string): LinkDefinition | undefined;
  /** Calls an operation on a linked actor through the lattice; rejects with ActorCallError. */
  callActor(
    actorId: string,
    operation: string,
    payload: Uint8Array,
    options?: CallActorOptions,
  ): Promise<Uint8Array>;
  /** Stops the provider as a shutdown request would (hook, drain, exit 0). */
  shutdown(): Promise<void>;
}
