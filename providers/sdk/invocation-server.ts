// Answers invocations on `wasmbus.rpc.{lattice}.{providerKey}.{linkName}` (queue group `rpc`),
// as wasmbus-rpc's `subscribe_rpc` does (protocol.md §6.4): receive (decode + de-chunk, shared
// with the host in lattice/rpc.ts), validate (§3.3 steps 1–6 and the provider checks, the token's
// `iat` within the replay window), refuse a copy of an invocation already accepted (a table of
// this process: a provider is one thread), dispatch on `operation`, reply. Nothing a caller sends
// can throw out of here.

import type { ChunkStore } from '../../lattice/chunking.ts';
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
import { ProviderError } from './errors.ts';
import type { LinkTable } from './link-table.ts';
import type { ProviderMetrics } from './provider-metrics.ts';
import type { InvocationContext, OperationHandler, Provider } from './provider-types.ts';

export interface InvocationServerOptions {
  nc: NatsConnection;
  subjects: LatticeSubjects;
  providerKey: string;
  linkName: string;
  clusterIssuers: readonly string[];
  operations: Readonly<Record<string, OperationHandler>>;
  links: LinkTable;
  chunks: ChunkStore;
  provider: Provider;
  log: Logger;
  /** Counts and times each answered invocation (OTLP); none when no endpoint is set. */
  metrics?: ProviderMetrics | undefined;
}

export class InvocationServer {
  readonly #options: InvocationServerOptions;
  readonly #operations: ReadonlyMap<string, OperationHandler>;
  readonly #validation: ValidationOptions;
  readonly #isLinked: (actorId: string) => boolean;
  readonly #replayGuard: ReplayGuard;
  #subscription: Subscription | undefined;

  constructor(options: InvocationServerOptions) {
    this.#options = options;
    this.#operations = new Map(Object.entries(options.operations));
    // The window follows the lattice's RPC timeout, as the host's does.
    const replayWindow = replayWindowFor(options.provider.hostData.default_rpc_timeout_ms);
    this.#validation = { clusterIssuers: new Set(options.clusterIssuers), replayWindow };
    this.#replayGuard = ReplayGuard.create({ window: replayWindow });
    this.#isLinked = (actorId) => options.links.has(actorId);
  }

  /** Starts answering. */
  listen(): void {
    const { nc, subjects, providerKey, linkName } = this.#options;
    this.#subscription = nc.subscribe(subjects.rpc.provider(providerKey, linkName), {
      queue: subjects.rpc.providerQueueGroup,
      callback: (error, msg) => {
        if (error) {
          this.#options.log.error(`RPC subscription failed: ${error.message}`);
          return;
        }
        void this.#answer(msg);
      },
    });
  }

  #answer(msg: Msg): Promise<void> {
    const { chunks, log, metrics } = this.#options;
    const handle = metrics
      ? (invocation: Invocation) => this.#measured(invocation, metrics)
      : (invocation: Invocation) => this.#handle(invocation);
    return answerInvocation(msg, chunks, handle, log, '');
  }

  async #measured(invocation: Invocation, metrics: ProviderMetrics): Promise<Uint8Array | undefined> {
    const startedAt = performance.now();
    let ok = false;
    try {
      const reply = await this.#handle(invocation);
      ok = true;
      return reply;
    } finally {
      const call = {
        operation: invocation.operation,
        actorId: invocation.origin.public_key,
        contractId: invocation.target.contract_id,
      };
      metrics.answered(call, (performance.now() - startedAt) * 1e6, ok);
    }
  }

  async #handle(invocation: Invocation): Promise<Uint8Array | undefined> {
    validateInvocation(invocation, this.#validation);
    checkProviderInvocation(invocation, this.#options.providerKey, this.#isLinked);
    const handler = this.#operations.get(invocation.operation);
    if (handler === undefined) {
      throw new ProviderError(
        'PROVIDER_UNKNOWN_OPERATION',
        `operation ${invocation.operation} is not handled by provider ${this.#options.providerKey}`,
      );
    }
    checkNotReplayed(invocation, this.#replayGuard);
    const actorId = invocation.origin.public_key;
    const context: InvocationContext = {
      actorId,
      operation: invocation.operation,
      link: this.#options.links.get(actorId)!,
      invocation,
      provider: this.#options.provider,
    };
    return handler(invocation.msg, context);
  }

  /** Stops taking new invocations (in-flight ones still reply while the connection drains). */
  close(): void {
    this.#subscription?.unsubscribe();
  }
}
