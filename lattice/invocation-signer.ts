// Creates signed invocations: the token is an Ed25519 JWT from the cluster seed whose
// `wascap` names the origin and target URLs and the invocation hash (protocol.md §3.3).
// One signer per process: the key object is built once, ids come from cheap sources.

import { randomBytes, randomUUID } from 'node:crypto';
import { KeyError } from './errors.ts';
import { entityUrl, type Invocation, invocationHash, targetUrl, type WasmCloudEntity } from './invocation.ts';
import { signJwtPayload } from './jwt.ts';
import type { KeyPair } from './keys.ts';

export interface InvocationRequest {
  origin: WasmCloudEntity;
  target: WasmCloudEntity;
  operation: string;
  msg: Uint8Array;
  /** Set when `msg` was moved to the object store: the real size, with `msg` then empty. */
  content_length?: number | bigint | undefined;
  traceContext?: Record<string, string> | undefined;
}

/** A nuid-style id (random prefix + sequence): unique per token, without a random draw each time. */
class JtiSource {
  #prefix = '';
  #sequence = 0;
  next(): string {
    if (this.#sequence === 0 || this.#sequence > 0xffffffff) {
      this.#prefix = randomBytes(9).toString('base64url');
      this.#sequence = 1;
    }
    return this.#prefix + (this.#sequence++).toString(36).padStart(7, '0');
  }
}

export class InvocationSigner {
  readonly #clusterKey: KeyPair;
  readonly #hostId: string;
  readonly #jti = new JtiSource();

  /**
   * @param clusterKey the cluster (C…) key whose public key receivers list in their cluster issuers
   * @param hostId what goes in `host_id`: the host's N… key, or for providers `HostData.host_id`
   */
  constructor(clusterKey: KeyPair, hostId: string) {
    if (clusterKey.kind !== 'cluster')
      throw new KeyError(
        'KEY_WRONG_KIND',
        `invocations are signed with a cluster key, not a ${clusterKey.kind} key`,
      );
    this.#clusterKey = clusterKey;
    this.#hostId = hostId;
  }

  get issuer(): string {
    return this.#clusterKey.publicKey;
  }

  /** A new invocation of `operation` on `target`, signed now. */
  sign(request: InvocationRequest): Invocation {
    const id = randomUUID();
    const originUrl = entityUrl(request.origin);
    const target = targetUrl(request.target, request.operation);
    const hash = invocationHash(originUrl, target, request.operation, request.msg);
    // The claims JSON of wascap's Claims<Invocation>, written directly: this runs per request.
    const payload =
      `{"jti":"${this.#jti.next()}","iat":${Math.floor(Date.now() / 1000)},"iss":"${this.#clusterKey.publicKey}",` +
      `"sub":"${id}","wascap":{"target_url":${JSON.stringify(target)},"origin_url":${JSON.stringify(originUrl)},` +
      `"hash":"${hash}"}}`;
    const invocation: Invocation = {
      origin: request.origin,
      target: request.target,
      operation: request.operation,
      msg: request.msg,
      id,
      encoded_claims: signJwtPayload(payload, this.#clusterKey),
      host_id: this.#hostId,
    };
    if (request.content_length !== undefined) invocation.content_length = request.content_length;
    if (request.traceContext !== undefined) invocation.traceContext = request.traceContext;
    return invocation;
  }
}
