// Fuzzing claims tokens: the JWT reader (lattice/jwt.ts) and actor and provider claims
// verification (lattice/claims.ts). Tokens are broken as text, and their payloads are edited
// (fields of the wrong type, removed, odd times) and signed again, so the schema checks, the key
// kinds and the time window are all reached, not just the signature.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Claims, verifyActorClaims, verifyProviderClaims } from '../../lattice/claims.ts';
import { ClaimsError } from '../../lattice/errors.ts';
import { decodeAndVerifyJwt, signJwtPayload } from '../../lattice/jwt.ts';
import { encodeSeed, KeyPair } from '../../lattice/keys.ts';
import { fuzzParameters, fuzzTimeout, type Outcome, outcomeOf, resultOf } from './fuzz-settings.ts';
import { type Json, jsonText, mutatedJson, mutatedText } from './mutations.ts';

const NOW = 1_700_000_000;
const fixedKey = (kind: 'account' | 'module' | 'service', fill: number) =>
  KeyPair.fromSeed(encodeSeed(kind, new Uint8Array(32).fill(fill)));
const ACCOUNT = fixedKey('account', 1);
const MODULE = fixedKey('module', 2);
const SERVICE = fixedKey('service', 3);

/** Times near now, far away, fractional and out of Date's range. */
const time = fc.oneof(
  fc.integer({ min: NOW - 1_000, max: NOW + 1_000 }),
  fc.constantFrom(0, -1, 1e20, -1e20, 8.64e12, 1e308, NOW + 0.5),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

const optional = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: undefined });

function withoutUndefined(record: Record<string, unknown>): { [key: string]: Json } {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as {
    [key: string]: Json;
  };
}

const basePayload = (subject: string) =>
  fc.record({
    jti: fc.string({ minLength: 1, maxLength: 22 }),
    iat: fc.integer({ min: NOW - 1_000, max: NOW }),
    iss: fc.constant(ACCOUNT.publicKey),
    sub: fc.constant(subject),
    exp: optional(time),
    nbf: optional(time),
    wascap_revision: optional(fc.constantFrom(3, 2)),
  });

const actorPayload: fc.Arbitrary<Json> = fc
  .tuple(
    basePayload(MODULE.publicKey),
    fc.record({
      name: optional(fc.string({ maxLength: 20 })),
      hash: fc.stringMatching(/^[0-9A-F]{64}$/),
      tags: optional(fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 })),
      caps: optional(
        fc.array(fc.constantFrom('wasmcloud:httpserver', 'wasmcloud:keyvalue'), { maxLength: 2 }),
      ),
      rev: optional(fc.integer()),
      ver: optional(fc.string({ maxLength: 8 })),
      call_alias: optional(fc.string({ maxLength: 8 })),
      prov: optional(fc.boolean()),
    }),
  )
  .map(([base, wascap]) => ({ ...withoutUndefined(base), wascap: withoutUndefined(wascap) }));

const providerPayload: fc.Arbitrary<Json> = fc
  .tuple(
    basePayload(SERVICE.publicKey),
    fc.record({
      name: optional(fc.string({ maxLength: 20 })),
      capid: fc.constantFrom('wasmcloud:httpserver', 'wasmcloud:messaging', ''),
      vendor: fc.string({ maxLength: 10 }),
      rev: optional(fc.integer()),
      ver: optional(fc.string({ maxLength: 8 })),
      target_hashes: fc.dictionary(
        fc.oneof(fc.constantFrom('x86_64-linux', 'js-node', '__proto__'), fc.string({ maxLength: 8 })),
        fc.stringMatching(/^[0-9A-F]{64}$/),
        { maxKeys: 3 },
      ),
      config_schema: optional(fc.jsonValue({ maxDepth: 2 })),
    }),
  )
  .map(([base, wascap]) => ({ ...withoutUndefined(base), wascap: withoutUndefined(wascap) as Json }));

/** Who signs: nearly always the issuer, sometimes a key of another kind (then `iss` is wrong or the signature fails). */
const signer = fc.oneof(
  { weight: 8, arbitrary: fc.constant(ACCOUNT) },
  { weight: 1, arbitrary: fc.constant(MODULE) },
  { weight: 1, arbitrary: fc.constant(SERVICE) },
);

const sign = ([payload, key]: [Json, KeyPair]) => signJwtPayload(jsonText(payload), key);

const JWT_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';

/** Valid tokens, tokens of edited payloads signed again, and tokens broken as text. */
function tokens(payload: fc.Arbitrary<Json>): fc.Arbitrary<string> {
  const valid = fc.tuple(payload, signer).map(sign);
  return fc.oneof(
    { weight: 1, arbitrary: valid },
    { weight: 4, arbitrary: fc.tuple(mutatedJson(payload), signer).map(sign) },
    { weight: 3, arbitrary: mutatedText(valid, JWT_ALPHABET) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.string({ maxLength: 40 }), payload)
        .map(
          ([header, body]) =>
            `${Buffer.from(header).toString('base64url')}.${Buffer.from(jsonText(body)).toString('base64url')}.`,
        ),
    },
  );
}

function checkClaims(outcome: Outcome<Claims<unknown>>): void {
  if (!outcome.ok) {
    expect(outcome.error).toBeInstanceOf(ClaimsError);
    expect(outcome.error.code).toMatch(/^CLAIMS_/);
    return;
  }
  const claims = outcome.value;
  expect(claims.iss).toBe(ACCOUNT.publicKey);
  expect(typeof claims.jti).toBe('string');
  if (claims.exp !== undefined) expect(NOW < claims.exp).toBe(true);
  if (claims.nbf !== undefined) expect(NOW >= claims.nbf).toBe(true);
}

describe('JWT and claims (fuzz)', () => {
  it(
    'decodeAndVerifyJwt answers ok or a problem for any token, never throwing',
    () => {
      fc.assert(
        fc.property(fc.oneof(tokens(actorPayload), tokens(providerPayload)), (token) => {
          const decoded = resultOf(() => decodeAndVerifyJwt(token));
          if (decoded.ok) expect(typeof decoded.issuer).toBe('string');
          else expect(['segments', 'header', 'payload', 'issuer', 'signature']).toContain(decoded.problem);
        }),
        fuzzParameters(0.5),
      );
    },
    fuzzTimeout(),
  );

  it(
    'verifies actor claims to well-typed claims or a ClaimsError',
    () => {
      fc.assert(
        fc.property(tokens(actorPayload), (token) => {
          const outcome = outcomeOf(() => verifyActorClaims(token, { now: NOW }));
          checkClaims(outcome);
          if (outcome.ok) expect(outcome.value.wascap.hash).toMatch(/^[0-9A-Fa-f]{64}$/);
        }),
        fuzzParameters(0.5),
      );
    },
    fuzzTimeout(),
  );

  it(
    'verifies provider claims to well-typed claims or a ClaimsError',
    () => {
      fc.assert(
        fc.property(tokens(providerPayload), (token) => {
          const outcome = outcomeOf(() => verifyProviderClaims(token, { now: NOW }));
          checkClaims(outcome);
          if (outcome.ok)
            for (const hash of Object.values(outcome.value.wascap.target_hashes))
              expect(typeof hash).toBe('string');
        }),
        fuzzParameters(0.5),
      );
    },
    fuzzTimeout(),
  );
});
