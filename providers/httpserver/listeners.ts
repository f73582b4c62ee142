// The listeners of every linked actor, one each (protocol.md §7.1): a link put opens the actor's
// listener from its values, a delete closes it, shutdown closes them all. A link whose values are
// wrong or whose address cannot be bound is refused (the error is what the SDK logs) while the
// other actors' listeners keep serving.

import { ActorListener, ListenError } from '../../lattice/httpserver/actor-listener.ts';
import type { CallFailure } from '../../lattice/httpserver/forwarding.ts';
import { HANDLE_REQUEST } from '../../lattice/httpserver/http-contract.ts';
import { describeAddress, loadSettings } from '../../lattice/httpserver/settings.ts';
import type { LinkDefinition } from '../../lattice/link-definition.ts';
import { ActorCallError, type Provider } from '../sdk/mod.ts';
import { TurnBatcher } from './turn-batcher.ts';

/** The SDK's call errors in the terms of the shared HTTP mapping (lattice/httpserver/forwarding.ts). */
export function classifyActorCallError(error: unknown): CallFailure | undefined {
  if (!(error instanceof ActorCallError)) return undefined;
  switch (error.code) {
    case 'ACTOR_CALL_TIMEOUT':
      return { kind: 'timeout', message: error.message };
    case 'ACTOR_UNREACHABLE':
      return { kind: 'unreachable', message: error.message };
    case 'ACTOR_QUEUE_FULL':
      return { kind: 'overloaded', message: error.message };
    case 'ACTOR_REPLY_INVALID':
      return { kind: 'invalid-reply', message: error.message };
    case 'ACTOR_ERROR':
      return { kind: 'actor-error', message: error.message };
    default:
      return { kind: 'failed', message: error.message };
  }
}

/** How long shutdown lets requests in flight finish: the host kills the process soon after. */
const SHUTDOWN_GRACE_MS = 200;

export class ActorListeners {
  readonly #byActor = new Map<string, ActorListener>();
  /** Shared by every listener: their calls go out on the provider's one NATS connection. */
  readonly #batcher = new TurnBatcher();

  /** Opens the listener of a newly linked actor; throws (refusing the link) with the reason. */
  async open(link: LinkDefinition, provider: Provider): Promise<void> {
    const actorId = link.actor_id;
    const { settings, warnings } = loadSettings(link.values);
    for (const warning of warnings) provider.log.warn(`link of actor ${actorId}: ${warning}`);
    const timeoutMs = settings.timeoutMs;
    const callOptions = timeoutMs === undefined ? undefined : { timeoutMs };
    let listener: ActorListener;
    try {
      listener = await ActorListener.open({
        actorId,
        settings,
        call: (payload) =>
          this.#batcher.run(() => provider.callActor(actorId, HANDLE_REQUEST, payload, callOptions)),
        logFailure: (message) => provider.log.warn(`request for actor ${actorId}: ${message}`),
        classifyFailure: classifyActorCallError,
      });
    } catch (error) {
      if (error instanceof ListenError && error.code === 'HTTPSERVER_ADDRESS_IN_USE') {
        const holder = this.#holderOf(describeAddress(settings.address));
        throw new ListenError(
          error.code,
          holder === undefined
            ? `${error.message} (by another process)`
            : `${error.message} by the listener of actor ${holder}`,
        );
      }
      throw error;
    }
    this.#byActor.set(actorId, listener);
    provider.log.info(`actor ${actorId} listening on ${listener.url}`);
  }

  /** Closes the listener of an unlinked actor; the port is free when this resolves. */
  async close(actorId: string, provider: Provider): Promise<void> {
    const listener = this.#byActor.get(actorId);
    if (listener === undefined) return;
    this.#byActor.delete(actorId);
    await listener.close();
    provider.log.info(`actor ${actorId} no longer listening on ${listener.url}`);
  }

  async closeAll(): Promise<void> {
    const listeners = [...this.#byActor.values()];
    this.#byActor.clear();
    await Promise.all(listeners.map((listener) => listener.close(SHUTDOWN_GRACE_MS)));
  }

  #holderOf(address: string): string | undefined {
    for (const listener of this.#byActor.values())
      if (describeAddress(listener.address) === address) return listener.actorId;
    return undefined;
  }
}
