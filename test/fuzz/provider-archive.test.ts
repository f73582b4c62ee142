// Fuzzing provider archives (lattice/provider-archive.ts): tars written here entry by entry (so
// names, types, sizes and the claims token can all be wrong on purpose), gzipped or not, then
// broken: header fields rewritten with a correct checksum (so the tar reader gets past it),
// tokens edited and signed again, bytes flipped or cut. The outcome is a verified archive or a
// ProviderArchiveError / ClaimsError.

import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClaimsError, ProviderArchiveError } from '../../lattice/errors.ts';
import { signJwtPayload } from '../../lattice/jwt.ts';
import { encodeSeed, KeyPair } from '../../lattice/keys.ts';
import { readProviderArchive } from '../../lattice/provider-archive.ts';
import { asyncOutcomeOf, fuzzParameters, fuzzTimeout } from './fuzz-settings.ts';
import { type Json, jsonText, mutatedBytes, mutatedJson } from './mutations.ts';

const NOW = 1_700_000_000;
const ACCOUNT = KeyPair.fromSeed(encodeSeed('account', new Uint8Array(32).fill(1)));
const SERVICE = KeyPair.fromSeed(encodeSeed('service', new Uint8Array(32).fill(3)));
/** Small, so a size field rewritten upwards reaches PAR_TOO_LARGE too. */
const MAX_UNPACKED = 64 * 1024;

// ---- a tar writer for any entry, sound or not ----

interface Entry {
  name: string;
  /** The typeflag byte: '0' file, '5' directory, '2' symlink, 'L' GNU long name, … */
  type: string;
  data: Uint8Array;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function setChecksum(header: Buffer): void {
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(octal(sum, 7), 148, 'latin1');
  header[155] = 0x20;
}

function tarHeader(entry: Entry): Buffer {
  const header = Buffer.alloc(512);
  header.write(entry.name.slice(0, 100), 0, 'utf8');
  header.write(octal(0o644, 8), 100, 'latin1');
  header.write(octal(0, 8), 108, 'latin1');
  header.write(octal(0, 8), 116, 'latin1');
  header.write(octal(entry.data.length, 12), 124, 'latin1');
  header.write(octal(NOW, 12), 136, 'latin1');
  header.write(entry.type.slice(0, 1), 156, 'latin1');
  header.write('ustar\u000000', 257, 'latin1');
  setChecksum(header);
  return header;
}

function tar(entries: readonly Entry[]): Uint8Array {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(
      tarHeader(entry),
      Buffer.from(entry.data),
      Buffer.alloc((512 - (entry.data.length % 512)) % 512),
    );
  }
  parts.push(Buffer.alloc(1024));
  return Uint8Array.from(Buffer.concat(parts));
}

// ---- archives ----

const hashOf = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex').toUpperCase();

function claimsPayload(binaries: ReadonlyArray<readonly [string, Uint8Array]>): Json {
  return {
    jti: 'fuzzfuzzfuzzfuzzfuzz00',
    iat: NOW - 10,
    iss: ACCOUNT.publicKey,
    sub: SERVICE.publicKey,
    wascap: {
      capid: 'wasmcloud:httpserver',
      vendor: 'fuzz',
      target_hashes: Object.fromEntries(binaries.map(([target, data]) => [target, hashOf(data)])),
    },
    wascap_revision: 3,
  };
}

const target = fc.oneof(
  fc.constantFrom('js-node', 'x86_64-linux', 'aarch64-macos', '__proto__', 'constructor'),
  fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}$/),
);
const binary = fc.oneof(
  { weight: 20, arbitrary: fc.uint8Array({ maxLength: 700 }) },
  // Over MAX_UNPACKED: refused whole, or (gzipped) while inflating.
  { weight: 1, arbitrary: fc.constant(new Uint8Array(MAX_UNPACKED + 1)) },
);
const binaries = fc.uniqueArray(fc.tuple(target, binary), {
  minLength: 1,
  maxLength: 3,
  selector: ([name]) => name,
});

const entryName = fc.oneof(
  fc.constantFrom(
    'claims.jwt',
    'world.wasm',
    '../claims.jwt',
    'a/b.bin',
    'x.bin',
    '..bin',
    '',
    'a\\b',
    '.bin',
  ),
  fc.string({ maxLength: 20 }),
);
const entryType = fc.constantFrom('0', '\0', '7', '5', '2', '1', 'L', 'x', 'g', '3');

type EntryEdit =
  | { kind: 'add'; entry: Entry; at: number }
  | { kind: 'drop'; at: number }
  | { kind: 'rename'; at: number; name: string }
  | { kind: 'retype'; at: number; type: string };

const entryEdit: fc.Arbitrary<EntryEdit> = fc.oneof(
  fc.record({
    kind: fc.constant('add' as const),
    entry: fc.record({ name: entryName, type: entryType, data: fc.uint8Array({ maxLength: 40 }) }),
    at: fc.nat(),
  }),
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('rename' as const), at: fc.nat(), name: entryName }),
  fc.record({ kind: fc.constant('retype' as const), at: fc.nat(), type: entryType }),
);

function applyEntryEdit(entries: Entry[], edit: EntryEdit): Entry[] {
  const out = [...entries];
  if (edit.kind === 'add') {
    out.splice(edit.at % (out.length + 1), 0, edit.entry);
    return out;
  }
  if (out.length === 0) return out;
  const at = edit.at % out.length;
  if (edit.kind === 'drop') out.splice(at, 1);
  else if (edit.kind === 'rename') out[at] = { ...out[at]!, name: edit.name };
  else out[at] = { ...out[at]!, type: edit.type };
  return out;
}

const signer = fc.oneof(
  { weight: 6, arbitrary: fc.constant(ACCOUNT) },
  { weight: 1, arbitrary: fc.constant(SERVICE) },
);

/** The archive's entries: claims (intact or edited and signed again) and binaries, sometimes edited. */
const entries = fc
  .tuple(
    binaries,
    fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: fc.nat() }),
    signer,
    fc.array(entryEdit, { maxLength: 2 }),
  )
  .chain(([bins, payloadEdit, key, edits]) => {
    const payload = claimsPayload(bins);
    const claims = payloadEdit === undefined ? fc.constant(payload) : mutatedJson(fc.constant(payload));
    return claims.map((json) => {
      const token = Buffer.from(signJwtPayload(jsonText(json), key));
      const list: Entry[] = [
        { name: 'claims.jwt', type: '0', data: token },
        ...bins.map(([name, data]) => ({ name: `${name}.bin`, type: '0', data })),
      ];
      return edits.reduce(applyEntryEdit, list);
    });
  });

/** Rewrites one header field of the entry at `index` (a 512-byte block) and fixes its checksum. */
const headerEdit = fc.record({
  block: fc.nat(),
  field: fc.constantFrom(
    { at: 124, width: 12 }, // size
    { at: 0, width: 100 }, // name
    { at: 156, width: 1 }, // typeflag
    { at: 100, width: 8 }, // mode
    { at: 345, width: 155 }, // ustar prefix
  ),
  value: fc.oneof(
    fc.constantFrom(
      '77777777777\0',
      '00000001000\0',
      '\x80\0\0\0\0\0\0\0\0\0\x10\0',
      '',
      '-1',
      'zzz',
      '../../etc/x',
    ),
    fc.nat({ max: 200_000 }).map((n) => octal(n, 12)),
    fc.string({ maxLength: 12 }),
  ),
});

function editHeader(
  bytes: Uint8Array,
  edit: { block: number; field: { at: number; width: number }; value: string },
) {
  const blocks = Math.floor(bytes.length / 512);
  if (blocks === 0) return bytes;
  const out = Buffer.from(bytes);
  const start = (edit.block % blocks) * 512;
  const header = out.subarray(start, start + 512);
  header.fill(0, edit.field.at, edit.field.at + edit.field.width);
  header.write(edit.value.slice(0, edit.field.width), edit.field.at, 'latin1');
  setChecksum(header);
  return Uint8Array.from(out);
}

const tarBytes = entries.map(tar);
const headerEdited = fc
  .tuple(tarBytes, fc.array(headerEdit, { minLength: 1, maxLength: 2 }))
  .map(([bytes, edits]) => edits.reduce(editHeader, bytes));
const gzipped = (bytes: fc.Arbitrary<Uint8Array>) => bytes.map((b) => Uint8Array.from(gzipSync(b)));

const archiveBytes = fc.oneof(
  { weight: 3, arbitrary: tarBytes },
  { weight: 1, arbitrary: gzipped(tarBytes) },
  { weight: 3, arbitrary: headerEdited },
  { weight: 1, arbitrary: gzipped(headerEdited) },
  { weight: 2, arbitrary: mutatedBytes(tarBytes, 3) },
  { weight: 1, arbitrary: mutatedBytes(gzipped(tarBytes), 2) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 1100 }) },
);

describe('provider archives (fuzz)', () => {
  it(
    'reads an archive whose every binary matches its signed hash, or throws a PAR or claims error',
    async () => {
      await fc.assert(
        fc.asyncProperty(archiveBytes, async (bytes) => {
          const outcome = await asyncOutcomeOf(() =>
            readProviderArchive(bytes, { now: NOW, maxUnpackedSize: MAX_UNPACKED }),
          );
          if (!outcome.ok) {
            if (outcome.error instanceof ClaimsError) return;
            expect(outcome.error).toBeInstanceOf(ProviderArchiveError);
            expect(outcome.error.code).toMatch(/^PAR_/);
            return;
          }
          const archive = outcome.value;
          expect(archive.claims.sub).toBe(SERVICE.publicKey);
          const expected = archive.claims.wascap.target_hashes;
          expect([...archive.targets.keys()].sort()).toEqual(Object.keys(expected).sort());
          for (const [name, data] of archive.targets)
            expect(hashOf(data)).toBe(expected[name]!.toUpperCase());
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(20),
  );
});
