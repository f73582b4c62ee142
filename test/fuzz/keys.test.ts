// Fuzzing nkey decoding (lattice/keys.ts): public keys and seeds of every kind, broken as text
// (a character changed, dropped or added, case changed, non-base32 or non-ASCII characters), give
// the kind and 32 raw bytes or a KeyError, and whatever decodes is what was encoded.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyError } from '../../lattice/errors.ts';
import {
  decodePublicKey,
  decodeSeed,
  encodePublicKey,
  encodeSeed,
  isPublicKey,
  type KeyKind,
  KeyPair,
  verifySignature,
} from '../../lattice/keys.ts';
import { fuzzParameters, fuzzTimeout, outcomeOf } from './fuzz-settings.ts';
import { mutatedText } from './mutations.ts';

const KINDS: KeyKind[] = ['account', 'cluster', 'module', 'server', 'operator', 'user', 'service', 'curve'];
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

const kind = fc.constantFrom(...KINDS);
const raw = fc.uint8Array({ minLength: 32, maxLength: 32 });
const publicKey = fc.tuple(kind, raw).map(([k, bytes]) => encodePublicKey(k, bytes));
const seed = fc.tuple(kind, raw).map(([k, bytes]) => encodeSeed(k, bytes));

const keyText = fc.oneof(
  { weight: 1, arbitrary: publicKey },
  { weight: 1, arbitrary: seed },
  { weight: 5, arbitrary: mutatedText(fc.oneof(publicKey, seed), BASE32, 2) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
  // Right length, right alphabet, random content: checksums and prefixes are what fail.
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Z2-7]{56}$|^S[A-Z2-7]{57}$/) },
);

describe('nkeys (fuzz)', () => {
  it(
    'decodes a public key to its kind and 32 bytes, or throws KeyError',
    () => {
      fc.assert(
        fc.property(keyText, fc.subarray(KINDS), (text, expected) => {
          const outcome = outcomeOf(() => decodePublicKey(text, ...expected));
          expect(isPublicKey(text, ...expected)).toBe(outcome.ok);
          if (!outcome.ok) {
            expect(outcome.error).toBeInstanceOf(KeyError);
            return;
          }
          expect(outcome.value.raw).toHaveLength(32);
          if (expected.length > 0) expect(expected).toContain(outcome.value.kind);
          // One key, one spelling: decoding and encoding again gives the same text.
          expect(encodePublicKey(outcome.value.kind, outcome.value.raw)).toBe(text);
          expect(typeof verifySignature(text, Uint8Array.of(1), new Uint8Array(64))).toBe('boolean');
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );

  it(
    'decodes a seed to its kind and 32 bytes, or throws KeyError',
    () => {
      fc.assert(
        fc.property(keyText, (text) => {
          const outcome = outcomeOf(() => decodeSeed(text));
          if (!outcome.ok) {
            expect(outcome.error).toBeInstanceOf(KeyError);
            expect(outcomeOf(() => KeyPair.fromSeed(text)).ok).toBe(
              text.trim() !== text && outcomeOf(() => decodeSeed(text.trim())).ok,
            );
            return;
          }
          expect(encodeSeed(outcome.value.kind, outcome.value.raw)).toBe(text);
          expect(KeyPair.fromSeed(text).kind).toBe(outcome.value.kind);
        }),
        fuzzParameters(0.5),
      );
    },
    fuzzTimeout(),
  );
});
