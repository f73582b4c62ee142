// Checks an incoming invocation in the order of protocol.md §3.3, with a named error for each
// way it can be rejected. The token is verified with node:crypto (cached key objects).
// Callers de-chunk first: the hash is checked over the full `msg`. Our addition to §3.3, replay
// protection: given a replay window, step 2 also requires the token's `iat` inside it, and
// checkNotReplayed, called last, refuses a copy of an invocation already accepted
// (lattice/replay-guard.ts; docs/host.md "Replay protection").

import { LatticeError, type LatticeErrorCode } from './errors.ts';
import { entityUrl, type Invocation, invocationHash, isActorEntity, targetUrl } from './invocation.ts';
import { decodeAndVerifyJwt, nowSeconds } from './jwt.ts';
import { missingCapabilityText } from './missing-capability.ts';
import { type ReplayGuard, type ReplayWindow, tokenFingerprint } from './replay-guard.ts';

/** Base of every rejection; `code` says which check failed. */
export class InvocationRejectedError extends LatticeError<LatticeErrorCode> {}
/** The token is not a JWT with three segments and the Ed25519 header. */
export class InvocationTokenMalformedError extends InvocationRejectedError {}
/** The token's signature does not verify against its issuer. */
export class InvocationSignatureError extends InvocationRejectedError {}
/** The token's `exp` has passed. */
export class InvocationExpiredError extends InvocationRejectedError {}
/** The token's `nbf` has not come yet. */
export class InvocationNotYetValidError extends InvocationRejectedError {}
/** The token has no `wascap` metadata (target_url, origin_url, hash). */
export class InvocationMissingMetadataError extends InvocationRejectedError {}
/** The hash in the token differs from the hash of this invocation: it was altered. */
export class InvocationHashMismatchError extends InvocationRejectedError {}
/** `host_id` is not a host (N…) or a 56-character key. */
export class InvocationBadHostIdError extends InvocationRejectedError {}
/** The token was signed by a cluster key this receiver does not trust. */
export class InvocationUnknownIssuerError extends InvocationRejectedError {}
/** The token names a different target URL than the invocation. */
export class InvocationTargetMismatchError extends InvocationRejectedError {}
/** The token names a different origin URL than the invocation. */
export class InvocationOriginMismatchError extends InvocationRejectedError {}
/** A provider got an invocation addressed to another provider key. */
export class InvocationWrongProviderError extends InvocationRejectedError {}
/** A provider got an invocation from an actor that has no link to it. */
export class InvocationNotLinkedError extends InvocationRejectedError {}
/** An actor got a call from a provider whose contract its claims do not list. */
export class InvocationMissingCapabilityError extends InvocationRejectedError {}
/** The token has no `iat`, or was issued longer ago than the replay window. */
export class InvocationStaleError extends InvocationRejectedError {}
/** The token's `iat` is further ahead of this clock than the allowed skew. */
export class InvocationIssuedInFutureError extends InvocationRejectedError {}
/** The same signed invocation was accepted here within the replay window: this is a copy. */
export class InvocationReplayedError extends InvocationRejectedError {}
/** The replay guard has no room: refused rather than accepted unguarded. */
export class ReplayGuardFullError extends InvocationRejectedError {}

export interface ValidationOptions {
  /** Public keys (C…) of the cluster keys whose invocations are accepted. */
  clusterIssuers: ReadonlySet<string>;
  /** Seconds since the epoch; now by default. */
  now?: number;
  /** Given, the token's `iat` must lie within it (replay protection; see checkNotReplayed). */
  replayWindow?: ReplayWindow | undefined;
}

interface InvocationMetadata {
  target_url: string;
  origin_url: string;
  hash: string;
}

function metadataOf(payload: Record<string, unknown>): InvocationMetadata | undefined {
  const wascap = payload.wascap;
  if (typeof wascap !== 'object' || wascap === null) return undefined;
  const { target_url, origin_url, hash } = wascap as Record<string, unknown>;
  if (typeof target_url !== 'string' || typeof origin_url !== 'string' || typeof hash !== 'string')
    return undefined;
  return { target_url, origin_url, hash };
}

/** Steps 1–5 of §3.3; throws the named error of the first check that fails. Returns the signer. */
export function validateInvocation(invocation: Invocation, options: ValidationOptions): { issuer: string } {
  // 1. Three segments, Ed25519 header, signature by `iss`.
  const token = decodeAndVerifyJwt(invocation.encoded_claims);
  if (!token.ok) {
    const Rejection =
      token.problem === 'signature' ? InvocationSignatureError : InvocationTokenMalformedError;
    throw new Rejection(
      token.problem === 'signature' ? 'INVOCATION_BAD_SIGNATURE' : 'INVOCATION_TOKEN_MALFORMED',
      `invocation ${invocation.id} rejected: ${token.message}`,
    );
  }
  const { payload, issuer } = token;

  // 2. Time window.
  const now = options.now ?? nowSeconds();
  if (typeof payload.exp === 'number' && now >= payload.exp) {
    throw new InvocationExpiredError(
      'INVOCATION_EXPIRED',
      `invocation ${invocation.id} rejected: its token has expired`,
    );
  }
  if (typeof payload.nbf === 'number' && now < payload.nbf) {
    throw new InvocationNotYetValidError(
      'INVOCATION_NOT_YET_VALID',
      `invocation ${invocation.id} rejected: its token is not valid yet`,
    );
  }
  if (options.replayWindow) checkIssuedAt(invocation.id, payload.iat, now, options.replayWindow);

  // 3. Metadata and hash.
  const metadata = metadataOf(payload);
  if (!metadata) {
    throw new InvocationMissingMetadataError(
      'INVOCATION_NO_METADATA',
      `invocation ${invocation.id} rejected: its token has no wascap metadata`,
    );
  }
  const originUrl = entityUrl(invocation.origin);
  const target = targetUrl(invocation.target, invocation.operation);
  if (invocationHash(originUrl, target, invocation.operation, invocation.msg) !== metadata.hash) {
    throw new InvocationHashMismatchError(
      'INVOCATION_HASH_MISMATCH',
      `invocation ${invocation.id} rejected: its hash does not match its token (altered in transit?)`,
    );
  }

  // 4. host_id sane (leniently, as the OTP host sets it to the cluster key) and a trusted issuer.
  if (!invocation.host_id.startsWith('N') && invocation.host_id.length !== 56) {
    throw new InvocationBadHostIdError(
      'INVOCATION_BAD_HOST_ID',
      `invocation ${invocation.id} rejected: host_id "${invocation.host_id}" is not a host key`,
    );
  }
  if (!options.clusterIssuers.has(issuer)) {
    throw new InvocationUnknownIssuerError(
      'INVOCATION_UNKNOWN_ISSUER',
      `invocation ${invocation.id} rejected: issuer ${issuer} is not one of this lattice's cluster issuers`,
    );
  }

  // 5. URLs.
  if (metadata.target_url !== target) {
    throw new InvocationTargetMismatchError(
      'INVOCATION_TARGET_MISMATCH',
      `invocation ${invocation.id} rejected: the token is for ${metadata.target_url}, not ${target}`,
    );
  }
  if (metadata.origin_url !== originUrl) {
    throw new InvocationOriginMismatchError(
      'INVOCATION_ORIGIN_MISMATCH',
      `invocation ${invocation.id} rejected: the token is from ${metadata.origin_url}, not ${originUrl}`,
    );
  }
  return { issuer };
}

/** An invocation is accepted only while its `iat` is in the window, so the guard need not remember longer. */
function checkIssuedAt(id: string, iat: unknown, now: number, window: ReplayWindow): void {
  if (typeof iat !== 'number' || !Number.isFinite(iat)) {
    throw new InvocationStaleError(
      'INVOCATION_STALE',
      `invocation ${id} rejected: its token has no issue time (iat), so it could be replayed at any time`,
    );
  }
  if (now - iat > window.maxAgeSeconds) {
    throw new InvocationStaleError(
      'INVOCATION_STALE',
      `invocation ${id} rejected: its token was issued ${now - iat} s ago, more than the ${window.maxAgeSeconds} s an invocation is accepted for (a replay, or the sender's clock is behind)`,
    );
  }
  if (iat - now > window.clockSkewSeconds) {
    throw new InvocationIssuedInFutureError(
      'INVOCATION_ISSUED_IN_FUTURE',
      `invocation ${id} rejected: its token was issued ${iat - now} s in the future, more than the ${window.clockSkewSeconds} s of clock skew allowed`,
    );
  }
}

/**
 * After §3.3 (the token verified, its `iat` in the window): remembers the invocation as accepted
 * and refuses a copy of one already accepted. Call it last, just before running the call.
 */
export function checkNotReplayed(invocation: Invocation, guard: ReplayGuard, nowSeconds?: number): void {
  const admission = guard.admit(tokenFingerprint(invocation.encoded_claims), nowSeconds);
  if (admission === 'replayed') {
    throw new InvocationReplayedError(
      'INVOCATION_REPLAYED',
      `invocation ${invocation.id} rejected: the same signed invocation was already accepted in the last ${guard.rememberSeconds} s (a replay)`,
    );
  }
  if (admission === 'full') {
    throw new ReplayGuardFullError(
      'REPLAY_GUARD_FULL',
      `invocation ${invocation.id} rejected: the replay guard is full (${guard.capacity} invocations remembered for ${guard.rememberSeconds} s); retry later`,
    );
  }
}

/** Step 6 of §3.3, for a provider: the invocation is for this provider, from a linked actor. */
export function checkProviderInvocation(
  invocation: Invocation,
  providerKey: string,
  isLinked: (actorId: string) => boolean,
): void {
  if (invocation.target.public_key !== providerKey) {
    throw new InvocationWrongProviderError(
      'INVOCATION_WRONG_PROVIDER',
      `invocation ${invocation.id} rejected: it is for ${invocation.target.public_key}, this provider is ${providerKey}`,
    );
  }
  if (!isLinked(invocation.origin.public_key)) {
    throw new InvocationNotLinkedError(
      'INVOCATION_NOT_LINKED',
      `invocation ${invocation.id} rejected: actor ${invocation.origin.public_key} has no link to this provider`,
    );
  }
}

/** Step 7 of §3.3, for an actor target: a provider may only call an actor that claims its contract. */
export function checkActorCapability(invocation: Invocation, actorCaps: readonly string[]): void {
  if (isActorEntity(invocation.origin)) return; // actor-to-actor calls are always allowed
  const contract = invocation.origin.contract_id;
  if (!actorCaps.includes(contract)) {
    throw new InvocationMissingCapabilityError(
      'INVOCATION_MISSING_CAPABILITY',
      `invocation ${invocation.id} rejected: ${missingCapabilityText(invocation.target.public_key, contract)}`,
    );
  }
}
