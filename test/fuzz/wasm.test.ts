// Fuzzing the WebAssembly framing that claims rely on (lattice/wasm.ts) and the verification of
// signed modules (verifySignedWasm in lattice/claims.ts): modules and components built from
// generated sections (claims sections among them), signed for real, then broken byte by byte.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signActorClaims, verifySignedWasm } from '../../lattice/claims.ts';
import { ClaimsError, WasmFormatError } from '../../lattice/errors.ts';
import { encodeSeed, KeyPair } from '../../lattice/keys.ts';
import {
  CLAIMS_SECTION_NAMES,
  embedClaims,
  encodeU32Leb,
  extractClaimsToken,
  moduleHash,
  stripClaims,
  wasmSections,
} from '../../lattice/wasm.ts';
import { ANSWER_MODULE, EMPTY_COMPONENT } from '../helpers/wasm-fixtures.ts';
import { fuzzParameters, fuzzTimeout, type Outcome, outcomeOf } from './fuzz-settings.ts';
import { mutatedBytes, wireBytes } from './mutations.ts';

const NOW = 1_700_000_000;
const ACCOUNT = KeyPair.fromSeed(encodeSeed('account', new Uint8Array(32).fill(1)));
const MODULE = KeyPair.fromSeed(encodeSeed('module', new Uint8Array(32).fill(2)));

const MODULE_PREAMBLE = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const COMPONENT_PREAMBLE = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

/** A LEB128 length, sometimes padded to five bytes (valid, but not minimal). */
function leb(value: number, padded: boolean): number[] {
  const bytes = encodeU32Leb(value);
  if (!padded) return bytes;
  while (bytes.length < 5) {
    bytes[bytes.length - 1]! |= 0x80;
    bytes.push(0);
  }
  return bytes;
}

const sectionName = fc.oneof(
  fc.constantFrom(...CLAIMS_SECTION_NAMES, 'name', 'producers', ''),
  fc.string({ maxLength: 12 }),
  fc.uint8Array({ maxLength: 6 }).map((b) => Buffer.from(b).toString('latin1')),
);

const section = fc.oneof(
  fc
    .record({
      id: fc.integer({ min: 1, max: 12 }),
      content: fc.uint8Array({ maxLength: 40 }),
      padded: fc.boolean(),
    })
    .map(({ id, content, padded }) => [id, ...leb(content.length, padded), ...content]),
  fc
    .record({ name: sectionName, payload: fc.uint8Array({ maxLength: 40 }), padded: fc.boolean() })
    .map(({ name, payload, padded }) => {
      const nameBytes = [...Buffer.from(name, 'utf8')];
      const body = [...leb(nameBytes.length, padded), ...nameBytes, ...payload];
      return [0, ...leb(body.length, padded), ...body];
    }),
);

const builtWasm = fc
  .tuple(fc.boolean(), fc.array(section, { maxLength: 6 }))
  .map(([component, sections]) =>
    Uint8Array.from([...(component ? COMPONENT_PREAMBLE : MODULE_PREAMBLE), ...sections.flat()]),
  );

/** Really signed: the claims name the hash of the bytes, so verification gets past every check. */
const signedWasm = fc
  .tuple(fc.oneof(fc.constant(ANSWER_MODULE), fc.constant(EMPTY_COMPONENT), builtWasm), fc.boolean())
  .map(([bytes, newName]) => {
    const token = signActorClaims(
      { name: 'fuzz', hash: moduleHash(bytes), caps: ['wasmcloud:httpserver'] },
      { issuer: ACCOUNT, subject: MODULE },
    );
    const signed = embedClaims(bytes, token);
    if (!newName) return Uint8Array.from(signed);
    // The same token in wascap ≥ 0.9's section name.
    const stripped = stripClaims(signed);
    const name = [...Buffer.from('wasmcloud_jwt')];
    const body = [...encodeU32Leb(name.length), ...name, ...Buffer.from(token)];
    return Uint8Array.from([...stripped, 0, ...encodeU32Leb(body.length), ...body]);
  });

const wasmBytes = fc.oneof(wireBytes(builtWasm), wireBytes(signedWasm), mutatedBytes(signedWasm, 1));

function expectWasmError(outcome: Outcome<unknown>): void {
  if (!outcome.ok) {
    expect(outcome.error).toBeInstanceOf(WasmFormatError);
    expect(outcome.error.code).toMatch(/^WASM_/);
  }
}

describe('wasm framing and signed modules (fuzz)', () => {
  it(
    'walks sections that tile the file exactly, or throws WasmFormatError',
    () => {
      fc.assert(
        fc.property(wasmBytes, (bytes) => {
          const outcome = outcomeOf(() => wasmSections(bytes));
          expectWasmError(outcome);
          if (!outcome.ok) return;
          let at = 8;
          for (const s of outcome.value.sections) {
            expect(s.start).toBe(at);
            expect(s.end).toBeGreaterThan(s.start);
            at = s.end;
          }
          expect(at).toBe(Math.max(8, bytes.length));
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );

  it(
    'extracts, strips, hashes and re-embeds claims, or throws WasmFormatError',
    () => {
      fc.assert(
        fc.property(wasmBytes, (bytes) => {
          const token = outcomeOf(() => extractClaimsToken(bytes));
          expectWasmError(token);
          const stripped = outcomeOf(() => stripClaims(bytes));
          expectWasmError(stripped);
          expectWasmError(outcomeOf(() => moduleHash(bytes)));
          if (!stripped.ok) return;
          expect(extractClaimsToken(stripped.value)).toBeUndefined();
          const embedded = embedClaims(bytes, 'a.b.c');
          expect(extractClaimsToken(embedded)).toBe('a.b.c');
          expect(moduleHash(embedded)).toBe(moduleHash(bytes));
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );

  it(
    'verifies a signed module, or throws WasmFormatError or ClaimsError',
    () => {
      fc.assert(
        fc.property(wasmBytes, (bytes) => {
          const outcome = outcomeOf(() => verifySignedWasm(bytes, { now: NOW }));
          if (outcome.ok) {
            expect(outcome.value.claims.sub).toBe(MODULE.publicKey);
            expect(outcome.value.hash).toBe(outcome.value.claims.wascap.hash.toUpperCase());
          } else if (!(outcome.error instanceof ClaimsError)) expectWasmError(outcome);
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );
});
