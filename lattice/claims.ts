// wascap claims: the signed JWT that names an actor or a provider, who issued it, what it
// may call (caps) and which bytes it belongs to (hash / target hashes). protocol.md §5.

import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ClaimsError } from './errors.ts';
import { optionalField } from './json-message.ts';
import { decodeAndVerifyJwt, nowSeconds, signJwt } from './jwt.ts';
import { isPublicKey, type KeyKind, type KeyPair } from './keys.ts';
import { extractClaimsToken, moduleHash, type WasmKind, wasmKind } from './wasm.ts';

/** The claims revision written by this library; tokens from 2022 carry none. */
export const WASCAP_REVISION = 3;

export const ActorMetadataSchema = z.looseObject({
  name: optionalField(z.string()),
  hash: z.string().regex(/^[0-9A-Fa-f]{64}$/, 'a module hash is 64 hex digits'),
  tags: optionalField(z.array(z.string())),
  caps: optionalField(z.array(z.string())),
  rev: optionalField(z.number().int()),
  ver: optionalField(z.string()),
  call_alias: optionalField(z.string()),
  prov: optionalField(z.boolean()),
});
export type ActorMetadata = z.infer<typeof ActorMetadataSchema>;
/** What a signer supplies: the optional fields may be left out. */
export type ActorMetadataInput = z.input<typeof ActorMetadataSchema>;

export const ProviderMetadataSchema = z.looseObject({
  name: optionalField(z.string()),
  capid: z.string().min(1),
  vendor: z.string(),
  rev: optionalField(z.number().int()),
  ver: optionalField(z.string()),
  target_hashes: z.record(z.string(), z.string()),
  config_schema: z.unknown().optional(),
});
export type ProviderMetadata = z.infer<typeof ProviderMetadataSchema>;
export type ProviderMetadataInput = z.input<typeof ProviderMetadataSchema>;

const ClaimsBaseSchema = z.looseObject({
  jti: z.string(),
  iat: z.number(),
  iss: z.string(),
  sub: z.string(),
  exp: optionalField(z.number()),
  nbf: optionalField(z.number()),
  wascap_revision: optionalField(z.number().int()),
});

export interface Claims<T> {
  jti: string;
  iat: number;
  iss: string;
  sub: string;
  exp?: number | undefined;
  nbf?: number | undefined;
  wascap_revision?: number | undefined;
  wascap: T;
}
export type ActorClaims = Claims<ActorMetadata>;
export type ProviderClaims = Claims<ProviderMetadata>;

export interface SignOptions {
  /** The account (A…) that issues the token. */
  issuer: KeyPair;
  /** The module (M…) or service (V…) the token is about. */
  subject: KeyPair;
  /** Seconds since the epoch after which the token is no longer valid. */
  expiresAt?: number | undefined;
  /** Seconds since the epoch before which the token is not yet valid. */
  notBefore?: number | undefined;
}

const JTI_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A 22-character random id, the length of the nuids wascap writes. */
export function newJti(): string {
  return Array.from(randomBytes(22), (b) => JTI_ALPHABET[b % JTI_ALPHABET.length]).join('');
}

function signClaims<T extends object>(wascap: T, subjectKind: KeyKind, options: SignOptions): string {
  if (options.issuer.kind !== 'account') {
    throw new ClaimsError(
      'CLAIMS_WRONG_ISSUER',
      `claims are issued by an account key (A…), not a ${options.issuer.kind} key`,
    );
  }
  if (options.subject.kind !== subjectKind) {
    throw new ClaimsError(
      'CLAIMS_WRONG_SUBJECT',
      `these claims are about a ${subjectKind} key, not a ${options.subject.kind} key`,
    );
  }
  const payload: Record<string, unknown> = {
    jti: newJti(),
    iat: nowSeconds(),
    iss: options.issuer.publicKey,
    sub: options.subject.publicKey,
  };
  if (options.expiresAt !== undefined) payload.exp = options.expiresAt;
  if (options.notBefore !== undefined) payload.nbf = options.notBefore;
  payload.wascap = wascap;
  payload.wascap_revision = WASCAP_REVISION;
  return signJwt(payload, options.issuer);
}

/** Drops absent optional fields, as wascap's serde `skip_serializing_if` does. */
function withoutAbsent<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null)) as T;
}

/** Signs actor claims for the given module hash (compute it with `moduleHash`). */
export function signActorClaims(metadata: ActorMetadataInput, options: SignOptions): string {
  return signClaims(withoutAbsent({ ...metadata, prov: metadata.prov ?? false }), 'module', options);
}

/** Signs provider claims; `target_hashes` maps each archive target to its binary's hash. */
export function signProviderClaims(metadata: ProviderMetadataInput, options: SignOptions): string {
  return signClaims(withoutAbsent(metadata), 'service', options);
}

export interface VerifyOptions {
  /** Seconds since the epoch to check `exp`/`nbf` against; now by default. */
  now?: number;
}

function describeTime(seconds: number): string {
  const date = new Date(seconds * 1000);
  // A token may carry any number: one outside Date's range (±8.64e12 s) is shown as it is.
  return Number.isNaN(date.getTime()) ? `${seconds} seconds after the epoch` : date.toISOString();
}

function verifyToken<T>(
  token: string,
  metadataSchema: z.ZodType<T>,
  subjectKind: KeyKind,
  options: VerifyOptions,
): Claims<T> {
  const decoded = decodeAndVerifyJwt(token);
  if (!decoded.ok) {
    const code = decoded.problem === 'signature' ? 'CLAIMS_BAD_SIGNATURE' : 'CLAIMS_MALFORMED';
    throw new ClaimsError(code, `invalid claims token: ${decoded.message}`);
  }
  const base = ClaimsBaseSchema.safeParse(decoded.payload);
  if (!base.success) {
    throw new ClaimsError(
      'CLAIMS_MALFORMED',
      `invalid claims token: ${z.prettifyError(base.error).replaceAll('\n', '; ')}`,
    );
  }
  const metadata = metadataSchema.safeParse(decoded.payload.wascap);
  if (!metadata.success) {
    throw new ClaimsError(
      'CLAIMS_MALFORMED',
      `the token is not ${subjectKind === 'module' ? 'actor' : 'provider'} claims: ${z.prettifyError(metadata.error).replaceAll('\n', '; ')}`,
    );
  }
  const claims: Claims<T> = { ...base.data, wascap: metadata.data };
  if (!isPublicKey(claims.iss, 'account')) {
    throw new ClaimsError(
      'CLAIMS_WRONG_ISSUER',
      `claims must be issued by an account key (A…), not ${claims.iss}`,
    );
  }
  if (!isPublicKey(claims.sub, subjectKind)) {
    throw new ClaimsError(
      'CLAIMS_WRONG_SUBJECT',
      `the claims subject ${claims.sub} is not a ${subjectKind} key (${subjectKind === 'module' ? 'M' : 'V'}…)`,
    );
  }
  const now = options.now ?? nowSeconds();
  if (claims.exp !== undefined && now >= claims.exp) {
    throw new ClaimsError('CLAIMS_EXPIRED', `claims token expired at ${describeTime(claims.exp)}`);
  }
  if (claims.nbf !== undefined && now < claims.nbf) {
    throw new ClaimsError(
      'CLAIMS_NOT_YET_VALID',
      `claims token is not valid before ${describeTime(claims.nbf)}`,
    );
  }
  return claims;
}

/** Decodes and verifies actor claims: header, signature, issuer and subject kinds, `exp`, `nbf`. */
export function verifyActorClaims(token: string, options: VerifyOptions = {}): ActorClaims {
  return verifyToken(token, ActorMetadataSchema, 'module', options);
}

/** Decodes and verifies provider claims: header, signature, issuer and subject kinds, `exp`, `nbf`. */
export function verifyProviderClaims(token: string, options: VerifyOptions = {}): ProviderClaims {
  return verifyToken(token, ProviderMetadataSchema, 'service', options);
}

/** What `verifySignedWasm` learnt about a module or component and its claims. */
export interface VerifiedWasm {
  kind: WasmKind;
  token: string;
  claims: ActorClaims;
  /** The hash of the bytes as given (without their claims section); it equals `wascap.hash`. */
  hash: string;
}

/**
 * Extracts the embedded claims of a module or component and verifies the token and the hash.
 *
 * The hash is checked for every token, 2022 ones (no `wascap_revision`) included: the bytes
 * without their claims section must hash to `wascap.hash`. That byte-wise hash matches every
 * module the wasmCloud project signed in 2022 that we have seen. wascap 0.8 computed it over a
 * parity-wasm re-serialisation of the module; should a real 2022 module ever need that rule to
 * match, the rule is to be added here as a second way to match, never as a skipped check.
 */
export function verifySignedWasm(bytes: Uint8Array, options: VerifyOptions = {}): VerifiedWasm {
  const kind = wasmKind(bytes);
  const token = extractClaimsToken(bytes);
  if (token === undefined) {
    throw new ClaimsError(
      'CLAIMS_MISSING',
      `no claims found in this ${kind}: it is not signed (wash claims sign)`,
    );
  }
  const claims = verifyActorClaims(token, options);
  const hash = moduleHash(bytes);
  if (hash !== claims.wascap.hash.toUpperCase()) {
    throw new ClaimsError(
      'CLAIMS_HASH_MISMATCH',
      `the ${kind} has been changed since it was signed: its hash is ${hash}, the claims say ${claims.wascap.hash}`,
    );
  }
  return { kind, token, claims, hash };
}
