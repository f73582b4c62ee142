// The provider RPC subject of a built-in keyvalue or messaging provider
// (`wasmcloud+builtin://keyvalue|messaging`): `wasmbus.rpc.{lattice}.{V…}.{link name}`, in the
// providers' queue group, so an actor on a host that does not run the built-in is served by one
// that does — the call its host sends, signed, as to any provider. Validated as the provider SDK
// validates (providers/sdk/invocation-server.ts: signature and issuer, the provider checks, the
// link, the replay window) and answered with the same operations, on links this host opens on its
// own NATS connection (runtime/builtin-links.ts run on the main thread). Calls of actors this host
// runs never come here: their worker answers them.

import type { Invocation } from '../../lattice/invocation.ts';
import {
  checkNotReplayed,
  checkProviderInvocation,
  type ValidationOptions,
  validateInvocation,
} from '../../lattice/invocation-validation.ts';
import type { Logger } from '../../lattice/log.ts';
import type { Msg, NatsConnection, Subscription } from '../../lattice/nats.ts';
import { ReplayGuard, replayWindowFor } from '../../lattice/replay-guard.ts';
import { answerInvocation } from '../../lattice/rpc.ts';
import type { LatticeSubjects } from '../../lattice/subjects.ts';
import type { WorkerBuiltinLinks } from '../runtime/builtin-links.ts';

export interface BuiltinRpcOptions {
  nc: NatsConnection;
  subjects: LatticeSubjects;
  providerKey: string;
  linkName: string;
  contractId: string;
  clusterIssuers: readonly string[];
  rpcTimeoutMs: number;
  /** The links as this host's main thread has them open. */
  links: WorkerBuiltinLinks;
  log: Logger;
}

export class BuiltinRpcServer {
  readonly #options: BuiltinRpcOptions;
  readonly #validation: ValidationOptions;
  readonly #replayGuard: ReplayGuard;
  readonly #subscription: Subscription;

  /** Subscribes at once: the built-in answers from its start to its stop. */
  constructor(options: BuiltinRpcOptions) {
    this.#options = options;
    const replayWindow = replayWindowFor(options.rpcTimeoutMs);
    this.#validation = { clusterIssuers: new Set(options.clusterIssuers), replayWindow };
    this.#replayGuard = ReplayGuard.create({ window: replayWindow });
    const { nc, subjects, providerKey, linkName } = options;
    this.#subscription = nc.subscribe(subjects.rpc.provider(providerKey, linkName), {
      queue: subjects.rpc.providerQueueGroup,
      callback: (error, msg) => {
        if (error) options.log.error(`built-in ${providerKey}: RPC subscription failed: ${error.message}`);
        else void this.#answer(msg);
      },
    });
  }

  /** Stops taking invocations. */
  close(): void {
    this.#subscription.unsubscribe();
  }

  #answer(msg: Msg): Promise<void> {
    const label = `built-in ${this.#options.providerKey}: `;
    return answerInvocation(
      msg,
      undefined,
      (invocation) => this.#handle(invocation),
      this.#options.log,
      label,
    );
  }

  async #handle(invocation: Invocation): Promise<Uint8Array | undefined> {
    const { providerKey, contractId, linkName, links } = this.#options;
    validateInvocation(invocation, this.#validation);
    checkProviderInvocation(invocation, providerKey, (actorId) =>
      links.serves(actorId, contractId, linkName),
    );
    checkNotReplayed(invocation, this.#replayGuard);
    const answer = links.call({
      actorId: invocation.origin.public_key,
      target: 'provider',
      linkName,
      namespace: contractId,
      operation: invocation.operation,
      payload: invocation.msg,
    });
    return answer;
  }
}
