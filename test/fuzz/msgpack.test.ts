// Fuzzing the lattice's msgpack envelope codec (lattice/msgpack.ts) and the contract-payload codec
// (lattice/payload.ts): broken encodings, huge length headers and deep nesting give a value or a
// DecodeError, and what our writer writes reads back the same.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../lattice/errors.ts';
import { decodeWith, type MsgpackReader, type MsgpackValue, MsgpackWriter } from '../../lattice/msgpack.ts';
import { decodePayload, encodePayload } from '../../lattice/payload.ts';
import { fuzzParameters, fuzzTimeout, outcomeOf } from './fuzz-settings.ts';
import { mutatedBytes, wireBytes } from './mutations.ts';

/** What the writer can write, as a tree; maps keep their entries in order. */
type Model =
  | { t: 'nil' }
  | { t: 'bool'; v: boolean }
  | { t: 'uint'; v: number }
  | { t: 'str'; v: string }
  | { t: 'bin'; v: Uint8Array }
  | { t: 'arr'; v: Model[] }
  | { t: 'map'; v: Array<[string, Model]> };

const mapKey = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'msg', 'origin', ''),
);

const leaf: fc.Arbitrary<Model> = fc.oneof(
  fc.constant({ t: 'nil' as const }),
  fc.boolean().map((v) => ({ t: 'bool' as const, v })),
  fc.oneof(fc.nat({ max: 300 }), fc.nat({ max: 70_000 }), fc.nat(), fc.constant(2 ** 32 + 7)).map((v) => ({
    t: 'uint' as const,
    v,
  })),
  fc.oneof(fc.string({ maxLength: 40 }), fc.string({ minLength: 250, maxLength: 300 })).map((v) => ({
    t: 'str' as const,
    v,
  })),
  fc.uint8Array({ maxLength: 40 }).map((v) => ({ t: 'bin' as const, v })),
);

const model: fc.Arbitrary<Model> = fc.letrec<{ node: Model }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('node'), { maxLength: 5 }).map((v) => ({ t: 'arr' as const, v })),
    fc
      .uniqueArray(fc.tuple(mapKey, tie('node')), { maxLength: 5, selector: ([key]) => key })
      .map((v) => ({ t: 'map' as const, v })),
  ),
})).node;

function write(writer: MsgpackWriter, node: Model): void {
  switch (node.t) {
    case 'nil':
      writer.nil();
      break;
    case 'bool':
      writer.bool(node.v);
      break;
    case 'uint':
      writer.uint(node.v);
      break;
    case 'str':
      writer.str(node.v);
      break;
    case 'bin':
      writer.bin(node.v);
      break;
    case 'arr':
      writer.arrayHeader(node.v.length);
      for (const item of node.v) write(writer, item);
      break;
    case 'map':
      writer.mapHeader(node.v.length);
      for (const [key, value] of node.v) {
        writer.str(key);
        write(writer, value);
      }
      break;
  }
}

function encode(node: Model): Uint8Array {
  const writer = new MsgpackWriter(16);
  write(writer, node);
  return Uint8Array.from(writer.finish());
}

/** What `value()` should read back: maps as objects whose keys are all own keys. */
function expected(node: Model): MsgpackValue {
  switch (node.t) {
    case 'nil':
      return null;
    case 'arr':
      return node.v.map(expected);
    case 'map': {
      const out: { [key: string]: MsgpackValue } = {};
      for (const [key, value] of node.v)
        Object.defineProperty(out, key, {
          value: expected(value),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      return out;
    }
    case 'str':
      return Buffer.from(node.v, 'utf8').toString('utf8'); // lone surrogates become U+FFFD
    default:
      return node.v;
  }
}

/** A value as plain tagged data, maps as entry lists that say whether they kept the plain prototype. */
function shape(value: MsgpackValue): unknown {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(shape);
  return {
    plain: Object.getPrototypeOf(value) === Object.prototype,
    entries: Object.entries(value).map(([key, item]) => [key, shape(item)]),
  };
}

const encoded = model.map(encode);

const readValue = (bytes: Uint8Array) => decodeWith(bytes, 'fuzz message', (reader) => reader.value());

/** Every typed read of the envelope decoders, in one pass over a map, as decodeInvocation reads. */
function readTyped(reader: MsgpackReader): unknown[] {
  const size = reader.mapHeaderOrNil();
  const out: unknown[] = [];
  for (let i = 0; i < size; i++) {
    const key = reader.str();
    switch (key.length % 7) {
      case 0:
        out.push(reader.bytes());
        break;
      case 1:
        out.push(reader.uintOrNil());
        break;
      case 2:
        out.push(reader.boolOrNil());
        break;
      case 3:
        out.push(reader.stringMap());
        break;
      case 4:
        out.push(reader.strOrNil());
        break;
      case 5:
        out.push(reader.mapHeader());
        break;
      default:
        out.push(reader.value());
    }
  }
  return out;
}

function expectDecodeError(outcome: ReturnType<typeof outcomeOf>): void {
  if (!outcome.ok) {
    expect(outcome.error).toBeInstanceOf(DecodeError);
    expect(outcome.error.code).toMatch(/^MSGPACK_/);
  }
}

// Markers followed by a 16- or 32-bit length, for headers that claim far more than is there.
const LENGTH_MARKERS = [0xc5, 0xc6, 0xc8, 0xc9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf] as const;
const hugeHeader = fc
  .tuple(
    fc.constantFrom(...LENGTH_MARKERS),
    fc.constantFrom(0xffff_ffff, 0x7fff_ffff, 0x1_0000, 0xffff),
    fc.uint8Array({ maxLength: 64 }),
    fc.nat({ max: 3 }),
  )
  .map(([marker, length, tail, nesting]) => {
    const wide = marker === 0xc6 || marker === 0xc9 || marker === 0xdb || marker === 0xdd || marker === 0xdf;
    const header = Buffer.alloc(wide ? 5 : 3);
    header[0] = marker;
    if (wide) header.writeUInt32BE(length >>> 0, 1);
    else header.writeUInt16BE(length & 0xffff, 1);
    return Uint8Array.from(Buffer.concat([Buffer.alloc(nesting, 0x91), header, tail]));
  });

const deepNesting = fc
  .tuple(fc.integer({ min: 1, max: 3_000 }), fc.constantFrom([0x91], [0x81, 0xa1, 0x6b], [0xdc, 0x00, 0x01]))
  .map(([depth, opener]) => Uint8Array.from([...Array.from({ length: depth }, () => opener).flat(), 0xc0]));

describe('msgpack envelope codec (fuzz)', () => {
  it(
    'reads back exactly what the writer wrote, keys such as __proto__ included',
    () => {
      fc.assert(
        fc.property(model, (node) => {
          expect(shape(readValue(encode(node)))).toEqual(shape(expected(node)));
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );

  it(
    'gives a value or a DecodeError for broken encodings',
    () => {
      fc.assert(
        fc.property(wireBytes(encoded), (bytes) => expectDecodeError(outcomeOf(() => readValue(bytes)))),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );

  it(
    'gives a value or a DecodeError to the typed reads the envelopes use',
    () => {
      fc.assert(
        fc.property(wireBytes(encoded), (bytes) =>
          expectDecodeError(outcomeOf(() => decodeWith(bytes, 'fuzz envelope', readTyped))),
        ),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );

  it(
    'refuses huge length headers at once, without allocating what they claim',
    () => {
      fc.assert(
        fc.property(fc.oneof(hugeHeader, mutatedBytes(hugeHeader, 2)), (bytes) => {
          const outcome = outcomeOf(() => readValue(bytes));
          expectDecodeError(outcome);
          const typed = outcomeOf(() => decodeWith(bytes, 'fuzz envelope', readTyped));
          expectDecodeError(typed);
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );

  it(
    'stops deep nesting with MSGPACK_TOO_DEEP instead of overflowing the stack',
    () => {
      fc.assert(
        fc.property(deepNesting, (bytes) => {
          const outcome = outcomeOf(() => readValue(bytes));
          expectDecodeError(outcome);
          if (!outcome.ok) expect(['MSGPACK_TOO_DEEP', 'MSGPACK_TRUNCATED']).toContain(outcome.error.code);
        }),
        fuzzParameters(0.25),
      );
    },
    fuzzTimeout(),
  );
});

describe('contract payload codec (fuzz)', () => {
  const payload = fc.jsonValue({ maxDepth: 4 }).map((value) => encodePayload(value));

  it(
    'gives a value or PAYLOAD_INVALID for broken payloads',
    () => {
      fc.assert(
        fc.property(fc.oneof(wireBytes(payload), hugeHeader, deepNesting), (bytes) => {
          const outcome = outcomeOf(() => decodePayload(bytes, 'fuzz payload'));
          if (!outcome.ok) {
            expect(outcome.error).toBeInstanceOf(DecodeError);
            expect(outcome.error.code).toBe('PAYLOAD_INVALID');
          }
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );
});
