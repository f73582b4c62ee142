// Fuzzing the invocation codec (lattice/invocation.ts) and the checks every receiver runs on an
// invocation (lattice/invocation-validation.ts): broken envelopes, fields of the wrong type, and
// tokens whose payload was edited and signed again, so every step of §3.3 is reached.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../lattice/errors.ts';
import {
  decodeInvocation,
  decodeInvocationResponse,
  encodeInvocationResponse,
  entityUrl,
  type Invocation,
  invocationHash,
  isChunked,
  targetUrl,
  type WasmCloudEntity,
} from '../../lattice/invocation.ts';
import {
  checkActorCapability,
  checkProviderInvocation,
  InvocationRejectedError,
  validateInvocation,
} from '../../lattice/invocation-validation.ts';
import { signJwtPayload } from '../../lattice/jwt.ts';
import { encodeSeed, KeyPair } from '../../lattice/keys.ts';
import { MsgpackWriter } from '../../lattice/msgpack.ts';
import { ACTOR, HOST, PROVIDER } from '../helpers/keys.ts';
import { fuzzParameters, fuzzTimeout, type Outcome, outcomeOf } from './fuzz-settings.ts';
import { type Json, jsonText, mutatedBytes, mutatedJson, wireBytes } from './mutations.ts';

// A fixed cluster key, so a failing case replays byte for byte (Ed25519 signatures are deterministic).
const CLUSTER = KeyPair.fromSeed(encodeSeed('cluster', new Uint8Array(32).fill(7)));
/** A cluster key the receiver does not trust. */
const STRANGER = KeyPair.fromSeed(encodeSeed('cluster', new Uint8Array(32).fill(8)));
const NOW = 1_700_000_000;
const OPTIONS = { clusterIssuers: new Set([CLUSTER.publicKey]), now: NOW };

// ---- generating invocations ----

const entity: fc.Arbitrary<WasmCloudEntity> = fc.oneof(
  fc.constant({ public_key: ACTOR, link_name: '', contract_id: '' }),
  fc.record({
    public_key: fc.constant(PROVIDER),
    link_name: fc.constantFrom('default', 'Other Link', ''),
    contract_id: fc.constantFrom('wasmcloud:httpserver', 'wasmcloud:keyvalue', 'a:b:c'),
  }),
  fc.record({ public_key: fc.string({ maxLength: 60 }), link_name: fc.string(), contract_id: fc.string() }),
);

/** Mostly absent. */
function rarely<T>(value: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: value });
}

interface Draft {
  origin: WasmCloudEntity;
  target: WasmCloudEntity;
  operation: string;
  msg: Uint8Array;
  id: string;
  host_id: string;
  content_length: number | undefined;
  traceContext: Record<string, string> | undefined;
  /** The token's payload: edited by some properties before it is signed. */
  payload: Json;
  signer: KeyPair;
}

const draft: fc.Arbitrary<Draft> = fc
  .record({
    origin: entity,
    target: entity,
    operation: fc.oneof(
      fc.constantFrom('HttpServer.HandleRequest', 'Echo.Run'),
      fc.string({ maxLength: 30 }),
    ),
    msg: fc.uint8Array({ maxLength: 64 }),
    id: fc.oneof(fc.uuid(), fc.string({ maxLength: 10 })),
    host_id: fc.oneof(
      { weight: 4, arbitrary: fc.constant(HOST) },
      { weight: 1, arbitrary: fc.constant(CLUSTER.publicKey) },
      { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    ),
    // Around NOW, so some tokens have expired and some are not valid yet.
    exp: rarely(fc.integer({ min: NOW - 100, max: NOW + 100 })),
    nbf: rarely(fc.integer({ min: NOW - 100, max: NOW + 100 })),
    // A token made for another target or origin (its hash still matches this invocation).
    otherUrl: rarely(fc.constantFrom('target_url', 'origin_url')),
    signer: fc.oneof(
      { weight: 6, arbitrary: fc.constant(CLUSTER) },
      { weight: 1, arbitrary: fc.constant(STRANGER) },
    ),
    content_length: fc.option(fc.oneof(fc.nat(), fc.constant(2 ** 40)), { nil: undefined }),
    traceContext: fc.option(
      fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
      {
        nil: undefined,
      },
    ),
  })
  .map(({ exp, nbf, signer, otherUrl, ...fields }) => {
    const originUrl = entityUrl(fields.origin);
    const target = targetUrl(fields.target, fields.operation);
    const hash = invocationHash(originUrl, target, fields.operation, fields.msg);
    const payload: { [key: string]: Json } = {
      jti: 'fuzzfuzzfuzzfuzzfuzz00',
      iat: NOW - 5,
      iss: signer.publicKey,
      sub: fields.id,
      wascap: {
        target_url: target,
        origin_url: originUrl,
        hash,
        ...(otherUrl ? { [otherUrl]: `wasmbus://${ACTOR}/Other` } : {}),
      },
    };
    if (exp !== undefined) payload.exp = exp;
    if (nbf !== undefined) payload.nbf = nbf;
    return { ...fields, payload, signer };
  });

function tokenOf(payload: Json, signer: KeyPair): string {
  return signJwtPayload(jsonText(payload), signer);
}

function pack(write: (writer: MsgpackWriter) => void): Uint8Array {
  const writer = new MsgpackWriter(64);
  write(writer);
  return Uint8Array.from(writer.finish());
}

const packEntity = (e: WasmCloudEntity) =>
  pack((w) =>
    w
      .mapHeader(3)
      .str('public_key')
      .str(e.public_key)
      .str('link_name')
      .str(e.link_name)
      .str('contract_id')
      .str(e.contract_id),
  );

/** The envelope as a list of (field, msgpack value bytes), so properties can break one field. */
function fieldsOf(d: Draft, token: string, msgAsStr: boolean): Array<[string, Uint8Array]> {
  const fields: Array<[string, Uint8Array]> = [
    ['origin', packEntity(d.origin)],
    ['target', packEntity(d.target)],
    ['operation', pack((w) => w.str(d.operation))],
    // The Elixir host packs binaries as str: the decoder must take the raw bytes either way.
    ['msg', msgAsStr ? rawStr(d.msg) : pack((w) => w.bin(d.msg))],
    ['id', pack((w) => w.str(d.id))],
    ['encoded_claims', pack((w) => w.str(token))],
    ['host_id', pack((w) => w.str(d.host_id))],
  ];
  if (d.content_length !== undefined) fields.push(['content_length', pack((w) => w.uint(d.content_length!))]);
  if (d.traceContext !== undefined) fields.push(['traceContext', pack((w) => w.stringMap(d.traceContext!))]);
  return fields;
}

function rawStr(bytes: Uint8Array): Uint8Array {
  const header = bytes.length < 32 ? [0xa0 | bytes.length] : [0xd9, bytes.length];
  return Uint8Array.from([...header, ...bytes]);
}

function envelope(fields: ReadonlyArray<readonly [string, Uint8Array]>): Uint8Array {
  const parts = [pack((w) => w.mapHeader(fields.length))];
  for (const [key, value] of fields)
    parts.push(
      pack((w) => w.str(key)),
      value,
    );
  return Uint8Array.from(Buffer.concat(parts));
}

/** Msgpack values of every type, for a field that expects another. */
const wrongValue: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .constantFrom(
      [0xc0], // nil
      [0xc3], // true
      [0x2a], // 42
      [0xff], // -1
      [0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0], // i64 min
      [0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // u64 max
      [0xcb, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0], // 0.5
      [0x90], // []
      [0x93, 0x01, 0x02, 0x03], // [1, 2, 3]
      [0x80], // {}
      [0x81, 0xa1, 0x61, 0xc0], // {a: nil}
      [0xd4, 0x01, 0x00], // fixext 1
      [0xc4, 0x00], // empty bin
      [0xa0], // ""
    )
    .map((bytes) => Uint8Array.from(bytes)),
  fc.string({ maxLength: 20 }).map((s) => pack((w) => w.str(s))),
  fc.uint8Array({ maxLength: 20 }).map((b) => pack((w) => w.bin(b))),
);

type FieldEdit =
  | { kind: 'wrongType'; at: number; value: Uint8Array }
  | { kind: 'drop'; at: number }
  | { kind: 'duplicate'; at: number }
  | { kind: 'unknown'; key: string; value: Uint8Array };

const fieldEdit: fc.Arbitrary<FieldEdit> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('wrongType' as const), at: fc.nat(), value: wrongValue }),
  },
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('unknown' as const),
    key: fc.constantFrom('instance_id', '__proto__', 'constructor', ''),
    value: wrongValue,
  }),
);

function applyFieldEdit(fields: Array<[string, Uint8Array]>, edit: FieldEdit): Array<[string, Uint8Array]> {
  const out = [...fields];
  if (edit.kind === 'unknown') return [...out, [edit.key, edit.value]];
  if (out.length === 0) return out;
  const at = edit.at % out.length;
  if (edit.kind === 'wrongType') out[at] = [out[at]![0], edit.value];
  else if (edit.kind === 'drop') out.splice(at, 1);
  else out.push(out[at]!);
  return out;
}

const validBytes = fc
  .tuple(draft, fc.boolean())
  .map(([d, asStr]) => envelope(fieldsOf(d, tokenOf(d.payload, d.signer), asStr)));

const fieldBrokenBytes = fc
  .tuple(draft, fc.boolean(), fc.array(fieldEdit, { minLength: 1, maxLength: 3 }))
  .map(([d, asStr, edits]) =>
    envelope(edits.reduce(applyFieldEdit, fieldsOf(d, tokenOf(d.payload, d.signer), asStr))),
  );

/** Invocations whose token payload was edited (a field of the wrong type, removed, …) and signed again. */
const resignedBytes = fc
  .tuple(draft, mutatedJson(draft.map((d) => d.payload)))
  .map(([d, payload]) => envelope(fieldsOf(d, tokenOf(payload, d.signer), false)));

const invocationBytes = fc.oneof(
  { weight: 3, arbitrary: wireBytes(validBytes) },
  { weight: 3, arbitrary: fieldBrokenBytes },
  { weight: 3, arbitrary: resignedBytes },
  { weight: 1, arbitrary: mutatedBytes(resignedBytes, 2) },
);

// ---- checking outcomes ----

function checkDecoded(outcome: Outcome<Invocation>): void {
  if (!outcome.ok) {
    expect(outcome.error).toBeInstanceOf(DecodeError);
    expect(outcome.error.code).toMatch(/^MSGPACK_/);
    return;
  }
  const invocation = outcome.value;
  for (const e of [invocation.origin, invocation.target])
    for (const text of [e.public_key, e.link_name, e.contract_id]) expect(typeof text).toBe('string');
  for (const text of [invocation.operation, invocation.id, invocation.encoded_claims, invocation.host_id])
    expect(typeof text).toBe('string');
  expect(invocation.msg).toBeInstanceOf(Uint8Array);
  const length = invocation.content_length;
  if (length !== undefined) expect(BigInt(length) >= 0n).toBe(true);
  if (invocation.traceContext !== undefined)
    for (const value of Object.values(invocation.traceContext)) expect(typeof value).toBe('string');
}

function checkValidation(invocation: Invocation): void {
  const validated = outcomeOf(() => validateInvocation(invocation, OPTIONS));
  if (validated.ok) expect(validated.value.issuer).toBe(CLUSTER.publicKey);
  else expect(validated.error).toBeInstanceOf(InvocationRejectedError);
  for (const check of [
    () => checkProviderInvocation(invocation, PROVIDER, (actor) => actor === ACTOR),
    () => checkActorCapability(invocation, ['wasmcloud:httpserver']),
  ]) {
    const outcome = outcomeOf(check);
    if (!outcome.ok) expect(outcome.error).toBeInstanceOf(InvocationRejectedError);
  }
  outcomeOf(() => isChunked(invocation));
}

describe('invocation codec and validation (fuzz)', () => {
  it(
    'accepts every intact signed invocation, with msg as bin or str',
    () => {
      fc.assert(
        fc.property(draft, fc.boolean(), (generated, asStr) => {
          const { origin, target, operation, msg } = generated;
          const targetText = targetUrl(target, operation);
          const originText = entityUrl(origin);
          const payload: Json = {
            jti: 'fuzzfuzzfuzzfuzzfuzz00',
            iat: NOW - 5,
            iss: CLUSTER.publicKey,
            sub: generated.id,
            wascap: {
              target_url: targetText,
              origin_url: originText,
              hash: invocationHash(originText, targetText, operation, msg),
            },
          };
          const d = { ...generated, host_id: HOST, payload, signer: CLUSTER };
          const invocation = decodeInvocation(envelope(fieldsOf(d, tokenOf(d.payload, d.signer), asStr)));
          expect(invocation.msg).toEqual(d.msg);
          expect(validateInvocation(invocation, OPTIONS).issuer).toBe(CLUSTER.publicKey);
        }),
        fuzzParameters(0.25),
      );
    },
    fuzzTimeout(),
  );

  it(
    'decodes a broken invocation to a well-typed value or a DecodeError',
    () => {
      fc.assert(
        fc.property(invocationBytes, (bytes) => checkDecoded(outcomeOf(() => decodeInvocation(bytes)))),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );

  it(
    'validates whatever decodes to its issuer or a named rejection',
    () => {
      fc.assert(
        fc.property(invocationBytes, (bytes) => {
          const decoded = outcomeOf(() => decodeInvocation(bytes));
          checkDecoded(decoded);
          if (decoded.ok) checkValidation(decoded.value);
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );
});

describe('invocation response codec (fuzz)', () => {
  const response = fc
    .record({
      msg: fc.uint8Array({ maxLength: 64 }),
      invocation_id: fc.uuid(),
      error: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
      content_length: fc.option(fc.nat(), { nil: undefined }),
    })
    .map((r) => Uint8Array.from(encodeInvocationResponse(r)));

  it(
    'decodes a broken response to a well-typed value or a DecodeError',
    () => {
      fc.assert(
        fc.property(wireBytes(response), (bytes) => {
          const outcome = outcomeOf(() => decodeInvocationResponse(bytes));
          if (!outcome.ok) {
            expect(outcome.error).toBeInstanceOf(DecodeError);
            return;
          }
          expect(outcome.value.msg).toBeInstanceOf(Uint8Array);
          expect(typeof outcome.value.invocation_id).toBe('string');
          if (outcome.value.error !== undefined) expect(typeof outcome.value.error).toBe('string');
          outcomeOf(() => isChunked(outcome.value));
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );
});
