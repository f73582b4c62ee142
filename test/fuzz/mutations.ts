// Generators that start from a valid encoding and break it, so the fuzz tests reach a decoder's
// inner paths instead of failing at its first byte: byte-level edits (flip, overwrite with a
// marker or a huge length, truncate, extend, splice a range elsewhere), JSON-level edits (a
// field of the wrong type, a field removed, an unknown or `__proto__` field, deep nesting) and
// text-level edits for strings such as keys, tokens and references.

import fc from 'fast-check';

// ---- bytes ----

/** Bytes that matter to the decoders here: msgpack markers, LEB128 continuations, tar and gzip magic. */
const INTERESTING_BYTES = [
  0x00, 0x01, 0x7f, 0x80, 0xff, 0xc0, 0xc1, 0xc2, 0xc4, 0xc5, 0xc6, 0xc7, 0xc9, 0xcf, 0xd3, 0xd9, 0xda, 0xdb,
  0xdc, 0xdd, 0xde, 0xdf, 0x90, 0x9f, 0x8f, 0xa0, 0xbf, 0x1f, 0x8b, 0x22, 0x5b, 0x7b, 0x2e, 0x3d,
];

type ByteEdit =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'bigLength'; at: number; width: 1 | 2 | 4 | 5 }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'splice'; from: number; length: number; to: number };

const byteEdit: fc.Arbitrary<ByteEdit> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
  fc.record({
    kind: fc.constant('set' as const),
    at: fc.nat(),
    value: fc.oneof(fc.constantFrom(...INTERESTING_BYTES), fc.nat({ max: 255 })),
  }),
  fc.record({ kind: fc.constant('bigLength' as const), at: fc.nat(), width: fc.constantFrom(1, 2, 4, 5) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 16 }),
      fc.constantFrom(...INTERESTING_BYTES).map((b) => Uint8Array.of(b)),
    ),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({
    kind: fc.constant('splice' as const),
    from: fc.nat(),
    length: fc.integer({ min: 1, max: 64 }),
    to: fc.nat(),
  }),
);

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

function applyByteEdit(bytes: Uint8Array, edit: ByteEdit): Uint8Array {
  const size = bytes.length;
  switch (edit.kind) {
    case 'flip': {
      if (size === 0) return bytes;
      const out = Uint8Array.from(bytes);
      out[edit.at % size]! ^= 1 << edit.bit;
      return out;
    }
    case 'set': {
      if (size === 0) return Uint8Array.of(edit.value);
      const out = Uint8Array.from(bytes);
      out[edit.at % size] = edit.value;
      return out;
    }
    case 'bigLength': {
      // 0xff… overwrites what is likely a length (msgpack header, LEB128, tar size) with a huge one.
      const at = size === 0 ? 0 : edit.at % size;
      const big = edit.width === 5 ? [0xff, 0xff, 0xff, 0xff, 0x0f] : new Array(edit.width).fill(0xff);
      const out = Uint8Array.from(bytes);
      const head = out.subarray(0, at);
      return concat(head, Uint8Array.from(big), out.subarray(Math.min(size, at + big.length)));
    }
    case 'truncate':
      return bytes.subarray(0, edit.at % (size + 1));
    case 'insert': {
      const at = edit.at % (size + 1);
      return concat(bytes.subarray(0, at), edit.bytes, bytes.subarray(at));
    }
    case 'delete': {
      const at = edit.at % (size + 1);
      return concat(bytes.subarray(0, at), bytes.subarray(at + edit.length));
    }
    case 'splice': {
      if (size === 0) return bytes;
      const from = edit.from % size;
      const piece = bytes.subarray(from, from + edit.length);
      const to = edit.to % (size + 1);
      return concat(bytes.subarray(0, to), piece, bytes.subarray(to));
    }
  }
}

/** Valid bytes from `valid`, with 1–`maxEdits` byte edits applied. */
export function mutatedBytes(valid: fc.Arbitrary<Uint8Array>, maxEdits = 4): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(valid, fc.array(byteEdit, { minLength: 1, maxLength: maxEdits }))
    .map(([bytes, edits]) => edits.reduce(applyByteEdit, bytes));
}

/** Mostly broken, sometimes intact, sometimes plain random: what a decoder can meet on the wire. */
export function wireBytes(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 6, arbitrary: mutatedBytes(valid) },
    { weight: 1, arbitrary: valid },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  );
}

// ---- JSON values ----

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type PathStep = string | number;

/** Keys that trip objects used as maps. */
const AWKWARD_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', ' '];

/** Nested arrays or objects `depth` deep, built without recursion. */
export function deeplyNested(depth: number, inObjects = false): Json {
  let value: Json = 0;
  for (let i = 0; i < depth; i++) value = inObjects ? { a: value } : [value];
  return value;
}

/** Values of every JSON type, including the ones that break lazy code: huge, fractional, deep. */
export const awkwardJson: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, false, 0, -1, 0.5, 1e308, -1e308, 2 ** 53 + 2, 65_536, '', ' ', '0'),
  fc.constantFrom<Json>([], {}, [null], { '': null }, 'x'.repeat(20_000)),
  fc.integer().map((n): Json => n),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n): Json => n),
  fc.string({ maxLength: 40 }).map((s): Json => s),
  fc.string({ unit: 'binary', maxLength: 20 }).map((s): Json => s),
  fc.integer({ min: 50, max: 1_000 }).map((depth) => deeplyNested(depth)),
  fc.integer({ min: 50, max: 1_000 }).map((depth) => deeplyNested(depth, true)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => v as Json),
);

/** Paths to edit: every value down to a modest depth (edits deep inside a deep value add nothing). */
function pathsOf(value: Json, prefix: PathStep[] = [], out: PathStep[][] = []): PathStep[][] {
  out.push(prefix);
  if (out.length > 200 || prefix.length >= 12) return out;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) pathsOf(item, [...prefix, i], out);
  } else if (value !== null && typeof value === 'object')
    for (const key of Object.keys(value)) pathsOf(value[key]!, [...prefix, key], out);
  return out;
}

type JsonEdit =
  | { kind: 'replace'; path: number; value: Json }
  | { kind: 'remove'; path: number }
  | { kind: 'addKey'; path: number; key: string; value: Json }
  | { kind: 'wrap'; path: number; inArray: boolean };

const jsonEdit: fc.Arbitrary<JsonEdit> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('replace' as const), path: fc.nat(), value: awkwardJson }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), path: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('addKey' as const),
      path: fc.nat(),
      key: fc.oneof(fc.constantFrom(...AWKWARD_KEYS), fc.string({ maxLength: 12 })),
      value: awkwardJson,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('wrap' as const), path: fc.nat(), inArray: fc.boolean() }),
  },
);

/** Defines `key` as an own property, so `__proto__` stays a key as it would after JSON.parse. */
function setOwn(target: Record<string, Json> | Json[], key: PathStep, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function shallowCopy(value: Json): Record<string, Json> | Json[] {
  if (Array.isArray(value)) return [...value];
  const out: Record<string, Json> = {};
  for (const key of Object.keys(value as object)) setOwn(out, key, (value as Record<string, Json>)[key]!);
  return out;
}

/** `root` with the value at `path` replaced by `change(value)` (undefined removes it); copies only the path. */
function updateAt(
  root: Json,
  path: readonly PathStep[],
  change: (value: Json) => Json | undefined,
): Json | undefined {
  if (path.length === 0) return change(root);
  const [step, ...rest] = path as [PathStep, ...PathStep[]];
  const copy = shallowCopy(root);
  const updated = updateAt((copy as Record<PathStep, Json>)[step]!, rest, change);
  if (updated !== undefined) setOwn(copy, step, updated);
  else if (Array.isArray(copy)) copy.splice(Number(step), 1);
  else delete copy[step];
  return copy;
}

function isPlainObject(value: Json): value is Record<string, Json> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function applyJsonEdit(root: Json, edit: JsonEdit): Json {
  const paths = pathsOf(root);
  const path = paths[edit.path % paths.length]!;
  const changed = updateAt(root, path, (current) => {
    switch (edit.kind) {
      case 'replace':
        return edit.value;
      case 'remove':
        return path.length === 0 ? current : undefined;
      case 'addKey': {
        if (!isPlainObject(current)) return path.length === 0 ? current : { [edit.key]: edit.value };
        const out = shallowCopy(current) as Record<string, Json>;
        setOwn(out, edit.key, edit.value);
        return out;
      }
      case 'wrap':
        return edit.inArray ? [current] : { value: current };
    }
  });
  return changed === undefined ? root : changed;
}

/** A valid JSON message from `valid` with 1–3 structural edits. */
export function mutatedJson(valid: fc.Arbitrary<Json>, maxEdits = 3): fc.Arbitrary<Json> {
  return fc
    .tuple(valid, fc.array(jsonEdit, { minLength: 1, maxLength: maxEdits }))
    .map(([value, edits]) => edits.reduce(applyJsonEdit, value));
}

/** JSON text of a generated value; a value too deep for JSON.stringify becomes deep text of its own. */
export function jsonText(value: Json): string {
  try {
    return JSON.stringify(value);
  } catch {
    // Too deep for JSON.stringify's recursion: the same depth as text.
    return `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  }
}

const utf8 = new TextEncoder();

/** The UTF-8 JSON bytes of valid, structurally broken and byte-broken messages. */
export function jsonBytes(valid: fc.Arbitrary<Json>): fc.Arbitrary<Uint8Array> {
  const intact = valid.map((value) => utf8.encode(jsonText(value)));
  const broken = mutatedJson(valid).map((value) => utf8.encode(jsonText(value)));
  return fc.oneof(
    { weight: 1, arbitrary: intact },
    { weight: 6, arbitrary: broken },
    { weight: 2, arbitrary: mutatedBytes(intact, 3) },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 600, max: 20_000 })
        .map((depth) => utf8.encode(`${'['.repeat(depth)}${']'.repeat(depth)}`)),
    },
  );
}

/** The same as text (for decoders that take a string). */
export function jsonTexts(valid: fc.Arbitrary<Json>): fc.Arbitrary<string> {
  return jsonBytes(valid).map((bytes) => Buffer.from(bytes).toString('utf8'));
}

// ---- text ----

type TextEdit =
  | { kind: 'replaceChar'; at: number; char: string }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'case'; upper: boolean }
  | { kind: 'repeat'; from: number; length: number; times: number };

function textEdit(alphabet: string): fc.Arbitrary<TextEdit> {
  const char = fc.oneof(
    fc.constantFrom(...alphabet),
    fc.constantFrom(
      ' ',
      '\n',
      '\0',
      '\u00e9',
      '\ud83d\ude00',
      '\ud800',
      '=',
      '.',
      '/',
      ':',
      '@',
      '*',
      '>',
      '|',
      ',',
    ),
  );
  return fc.oneof(
    fc.record({ kind: fc.constant('replaceChar' as const), at: fc.nat(), char }),
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      text: fc.oneof(char, fc.string({ maxLength: 8 })),
    }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('case' as const), upper: fc.boolean() }),
    fc.record({
      kind: fc.constant('repeat' as const),
      from: fc.nat(),
      length: fc.integer({ min: 1, max: 16 }),
      times: fc.integer({ min: 2, max: 1_000 }),
    }),
  );
}

function applyTextEdit(text: string, edit: TextEdit): string {
  const size = text.length;
  switch (edit.kind) {
    case 'replaceChar': {
      if (size === 0) return edit.char;
      const at = edit.at % size;
      return text.slice(0, at) + edit.char + text.slice(at + 1);
    }
    case 'insert': {
      const at = edit.at % (size + 1);
      return text.slice(0, at) + edit.text + text.slice(at);
    }
    case 'delete': {
      const at = edit.at % (size + 1);
      return text.slice(0, at) + text.slice(at + edit.length);
    }
    case 'truncate':
      return text.slice(0, edit.at % (size + 1));
    case 'case':
      return edit.upper ? text.toUpperCase() : text.toLowerCase();
    case 'repeat': {
      // A long run of one piece: finds decoders (and regular expressions) slow on long input.
      if (size === 0) return text;
      const from = edit.from % size;
      const piece = text.slice(from, from + edit.length);
      return text.slice(0, from) + piece.repeat(edit.times) + text.slice(from);
    }
  }
}

/** Valid text from `valid` with 1–`maxEdits` character edits, chars drawn mostly from `alphabet`. */
export function mutatedText(
  valid: fc.Arbitrary<string>,
  alphabet: string,
  maxEdits = 3,
): fc.Arbitrary<string> {
  return fc
    .tuple(valid, fc.array(textEdit(alphabet), { minLength: 1, maxLength: maxEdits }))
    .map(([text, edits]) => edits.reduce(applyTextEdit, text));
}
