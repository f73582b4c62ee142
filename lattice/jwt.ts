// Ed25519 JWTs as wascap writes them: header {"typ":"jwt","alg":"Ed25519"}, each segment
// base64url without padding, signature over `header.payload` by the issuer's key.
// Claims tokens and invocation tokens are both this shape; each caller checks its own payload.

import { KeyError } from './errors.ts';
import { type KeyPair, verifySignature } from './keys.ts';

const HEADER_SEGMENT = Buffer.from(JSON.stringify({ typ: 'jwt', alg: 'Ed25519' })).toString('base64url');

/** Signs `payload` as a JWT. The payload must name its issuer (`iss`) as the signer's public key. */
export function signJwt(payload: object, signer: KeyPair): string {
  return signJwtPayload(JSON.stringify(payload), signer);
}

/** Signs a payload already serialised as JSON text (for hot paths that build it directly). */
export function signJwtPayload(payloadJson: string, signer: KeyPair): string {
  const body = `${HEADER_SEGMENT}.${Buffer.from(payloadJson).toString('base64url')}`;
  // base64url text is ASCII: latin1 is the cheapest exact conversion to bytes.
  const signature = Buffer.from(signer.sign(Buffer.from(body, 'latin1'))).toString('base64url');
  return `${body}.${signature}`;
}

/** Why a token could not be read or verified; callers map each to their own named error. */
export type JwtProblem = 'segments' | 'header' | 'payload' | 'issuer' | 'signature';

export type DecodedJwt =
  | { ok: true; payload: Record<string, unknown>; issuer: string }
  | { ok: false; problem: JwtProblem; message: string };

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function parseSegment(segment: string): unknown {
  if (!BASE64URL.test(segment)) return undefined;
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Decodes a JWT and verifies its Ed25519 signature against its own `iss`.
 * Returns a problem instead of throwing: a bad token from the network is an answer, not a crash.
 * Time window and payload meaning are the caller's to check.
 */
export function decodeAndVerifyJwt(token: string): DecodedJwt {
  const parts = typeof token === 'string' ? token.trim().split('.') : [];
  if (parts.length !== 3) {
    return { ok: false, problem: 'segments', message: `a JWT has 3 segments, this has ${parts.length}` };
  }
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  // Nearly every token carries exactly the header we write: skip parsing it then.
  const header = headerPart === HEADER_SEGMENT ? { typ: 'jwt', alg: 'Ed25519' } : parseSegment(headerPart);
  if (!isObject(header) || header.alg !== 'Ed25519' || String(header.typ).toLowerCase() !== 'jwt') {
    return { ok: false, problem: 'header', message: 'the JWT header is not {"typ":"jwt","alg":"Ed25519"}' };
  }
  const payload = parseSegment(payloadPart);
  if (!isObject(payload))
    return { ok: false, problem: 'payload', message: 'the JWT payload is not a JSON object' };
  const issuer = payload.iss;
  if (typeof issuer !== 'string')
    return { ok: false, problem: 'issuer', message: 'the JWT has no issuer (iss)' };
  if (!BASE64URL.test(signaturePart)) {
    return { ok: false, problem: 'signature', message: 'the JWT signature is not base64url' };
  }
  let valid: boolean;
  try {
    const signed = Buffer.from(`${headerPart}.${payloadPart}`, 'latin1');
    valid = verifySignature(issuer, signed, Buffer.from(signaturePart, 'base64url'));
  } catch (error) {
    if (error instanceof KeyError) {
      return { ok: false, problem: 'issuer', message: `the JWT issuer is not a valid key: ${error.message}` };
    }
    throw error;
  }
  if (!valid) {
    return {
      ok: false,
      problem: 'signature',
      message: `the JWT signature does not verify against ${issuer}`,
    };
  }
  return { ok: true, payload, issuer };
}

/** Seconds since the epoch, the unit of `iat`, `exp` and `nbf`. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
