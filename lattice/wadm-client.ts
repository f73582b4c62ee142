// A client of the application controller's API (wadm-api.ts): what wash's `app` commands and the
// dashboard use. Each call is one NATS request; the reply is validated. A controller's
// `{"result":"error"}` is returned as it came (the caller shows its message); no controller, no
// reply in time or a malformed reply throw a WadmRequestError with a code.

import type { z } from 'zod';
import { LatticeError, type LatticeErrorCode } from './errors.ts';
import { encodeJsonMessage, parseJsonMessage } from './json-message.ts';
import { ErrorCode, type NatsConnection } from './nats.ts';
import {
  type DeleteReply,
  type DeployReply,
  deleteReplySchema,
  deployReplySchema,
  type GetReply,
  getReplySchema,
  type ListReply,
  listReplySchema,
  type PutReply,
  putReplySchema,
  type StatusReply,
  statusReplySchema,
  type UndeployReply,
  undeployReplySchema,
  type VersionsReply,
  versionsReplySchema,
  type WadmOperation,
  wadmApiSubject,
} from './wadm-api.ts';

/** The controller could not be asked: nobody listening, no reply in time, or a malformed reply. */
export class WadmRequestError extends LatticeError<LatticeErrorCode> {}

export const DEFAULT_WADM_TIMEOUT_MS = 5000;

export interface WadmClientOptions {
  latticePrefix?: string | undefined;
  timeoutMs?: number | undefined;
}

export class WadmClient {
  readonly latticePrefix: string;
  readonly timeoutMs: number;
  readonly #nc: NatsConnection;

  constructor(nc: NatsConnection, options: WadmClientOptions = {}) {
    this.#nc = nc;
    this.latticePrefix = options.latticePrefix ?? 'default';
    this.timeoutMs = options.timeoutMs ?? DEFAULT_WADM_TIMEOUT_MS;
  }

  async #ask<S extends z.ZodType>(
    schema: S,
    operation: WadmOperation,
    appName: string | undefined,
    body: Uint8Array,
  ): Promise<z.output<S>> {
    const subject = wadmApiSubject(this.latticePrefix, operation, appName);
    let data: Uint8Array;
    try {
      data = (await this.#nc.request(subject, body, { timeout: this.timeoutMs })).data;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === ErrorCode.NoResponders) {
        throw new WadmRequestError(
          'WADM_NO_CONTROLLER',
          `no application controller is running in lattice "${this.latticePrefix}": nobody listens on ${subject}`,
        );
      }
      if (code === ErrorCode.Timeout) {
        throw new WadmRequestError(
          'WADM_TIMEOUT',
          `no reply from the application controller within ${this.timeoutMs} ms on ${subject}`,
        );
      }
      throw new WadmRequestError('WADM_REQUEST_FAILED', `request on ${subject} failed`, { cause: error });
    }
    const reply = parseJsonMessage(schema, data);
    if (!reply.ok) throw new WadmRequestError('WADM_BAD_REPLY', `reply on ${subject}: ${reply.error}`);
    return reply.value;
  }

  /** The body of get / del / deploy: `{}` for the latest (or every) version, else `{version}`. */
  #versionBody(version: string | undefined): Uint8Array {
    return encodeJsonMessage(version === undefined ? {} : { version });
  }

  /** Stores a manifest (YAML or JSON bytes, sent as they are: the controller parses them). */
  put(manifest: Uint8Array): Promise<PutReply> {
    return this.#ask(putReplySchema, 'put', undefined, manifest);
  }

  /**
   * Every stored application, as a bare list whichever shape the controller answered; an error
   * reply (the store unreadable, say) throws WADM_REFUSED with the controller's message.
   */
  async list(): Promise<Extract<ListReply, unknown[]>> {
    const reply = await this.#ask(listReplySchema, 'list', undefined, new Uint8Array(0));
    if (Array.isArray(reply)) return reply;
    if ('models' in reply) return reply.models;
    throw new WadmRequestError('WADM_REFUSED', `the application controller could not list: ${reply.message}`);
  }

  get(name: string, version?: string): Promise<GetReply> {
    return this.#ask(getReplySchema, 'get', name, this.#versionBody(version));
  }

  versions(name: string): Promise<VersionsReply> {
    return this.#ask(versionsReplySchema, 'versions', name, new Uint8Array(0));
  }

  /** Deletes one version, or every version when `version` is undefined. */
  delete(name: string, version?: string): Promise<DeleteReply> {
    return this.#ask(deleteReplySchema, 'del', name, this.#versionBody(version));
  }

  deploy(name: string, version?: string): Promise<DeployReply> {
    return this.#ask(deployReplySchema, 'deploy', name, this.#versionBody(version));
  }

  undeploy(name: string): Promise<UndeployReply> {
    return this.#ask(undeployReplySchema, 'undeploy', name, encodeJsonMessage({}));
  }

  status(name: string): Promise<StatusReply> {
    return this.#ask(statusReplySchema, 'status', name, new Uint8Array(0));
  }
}
