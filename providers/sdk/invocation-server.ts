// Answers invocations on `wasmbus.rpc.{lattice}.{providerKey}.{linkName}` (queue group `rpc`),
// as wasmbus-rpc's `subscribe_rpc` does (protocol.md §6.4): decode, de-chunk, validate (§3.3 steps
// 1–6), dispatch on `operation`, reply an InvocationResponse or `{error}`. Replies over 700 KB go
// to the object store as `{id}-r`. Nothing a caller sends can throw out of here.

import {
  decodeInvocation,
  encodeInvocationResponse,
  type Invocation,
  isChunked,
} from '../../lattice/invocation.ts';
import {
  checkProviderInvocation,
  type ValidationOptions,
  validateInvocation,
} from '../../lattice/invocation-validation.ts';
import type { Msg, NatsConnection, Subscription } from '../../lattice/nats.ts';
import type { LatticeSubjects } from '../../lattice/subjects.ts';
import { CHUNK_THRESHOLD_BYTES, type ChunkStore } from './chunk-store.ts';
import type { LinkTable } from './link-table.ts';
import type { ProviderLogger } from './provider-log.ts';
import type { InvocationContext, OperationHandler, Provider } from './provider-types.ts';

const EMPTY = new Uint8Array(0);

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
  log: ProviderLogger;
}

export class InvocationServer {
  readonly #options: InvocationServerOptions;
  readonly #operations: ReadonlyMap<string, OperationHandler>;
  readonly #validation: ValidationOptions;
  readonly #isLinked: (actorId: string) => boolean;
  #subscription: Subscription | undefined;

  constructor(options: InvocationServerOptions) {
    this.#options = options;
    this.#operations = new Map(Object.entries(options.operations));
    this.#validation = { clusterIssuers: new Set(options.clusterIssuers) };
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

  async #answer(msg: Msg): Promise<void> {
    let invocation: Invocation;
    try {
      invocation = decodeInvocation(msg.data);
    } catch (error) {
      this.#reply(msg, '', undefined, `deser error: ${(error as Error).message}`);
      return;
    }
    try {
      const result = await this.#handle(invocation);
      await this.#replyResult(msg, invocation.id, result);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#options.log.debug(`invocation ${invocation.id} (${invocation.operation}) failed: ${message}`);
      this.#reply(msg, invocation.id, undefined, message);
    }
  }

  async #handle(invocation: Invocation): Promise<Uint8Array | undefined> {
    if (isChunked(invocation)) {
      invocation.msg = await this.#options.chunks.take(
        this.#options.subjects.chunking.requestObject(invocation.id),
        invocation.content_length!,
      );
    }
    validateInvocation(invocation, this.#validation);
    checkProviderInvocation(invocation, this.#options.providerKey, this.#isLinked);
    const handler = this.#operations.get(invocation.operation);
    if (handler === undefined) {
      throw new Error(
        `operation ${invocation.operation} is not handled by provider ${this.#options.providerKey}`,
      );
    }
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

  async #replyResult(msg: Msg, invocationId: string, result: Uint8Array | undefined): Promise<void> {
    const body = result ?? EMPTY;
    if (body.length > CHUNK_THRESHOLD_BYTES) {
      await this.#options.chunks.put(this.#options.subjects.chunking.responseObject(invocationId), body);
      this.#reply(msg, invocationId, EMPTY, undefined, body.length);
      return;
    }
    this.#reply(msg, invocationId, body, undefined, body.length);
  }

  #reply(
    msg: Msg,
    invocationId: string,
    body: Uint8Array | undefined,
    error: string | undefined,
    contentLength?: number,
  ): void {
    if (msg.reply === undefined || msg.reply === '') return;
    try {
      msg.respond(
        encodeInvocationResponse({
          msg: body ?? EMPTY,
          invocation_id: invocationId,
          error,
          content_length: contentLength,
        }),
      );
    } catch (replyError) {
      this.#options.log.warn(
        `could not reply to invocation ${invocationId}: ${(replyError as Error).message}`,
      );
    }
  }

  /** Stops taking new invocations (in-flight ones still reply while the connection drains). */
  close(): void {
    this.#subscription?.unsubscribe();
  }
}
