import { gzipSync } from 'node:zlib';
import { extract, type Header, pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { signProviderClaims } from '../../lattice/claims.ts';
import { ClaimsError, ProviderArchiveError } from '../../lattice/errors.ts';
import { nowSeconds } from '../../lattice/jwt.ts';
import { KeyPair } from '../../lattice/keys.ts';
import {
  binaryFor,
  binaryHash,
  CLAIMS_FILE,
  createProviderArchive,
  JS_PROVIDER_TARGET,
  nativeTarget,
  readProviderArchive,
} from '../../lattice/provider-archive.ts';

const issuer = KeyPair.create('account');
const subject = KeyPair.create('service');
const NATIVE = nativeTarget();
const nativeBinary = new Uint8Array(4096).map((_, i) => (i * 31 + 7) & 0xff);
const jsBundle = new TextEncoder().encode('export default async function main() { return 42; }\n');
const metadata = { name: 'Test Provider', capid: 'wasmcloud:testing', vendor: 'Acme', rev: 3, ver: '0.1.0' };

function create(
  options: { compress?: boolean; expiresAt?: number; binaries?: Map<string, Uint8Array> } = {},
) {
  return createProviderArchive({
    metadata,
    binaries:
      options.binaries ??
      new Map([
        [NATIVE, nativeBinary],
        [JS_PROVIDER_TARGET, jsBundle],
      ]),
    issuer,
    subject,
    compress: options.compress,
    expiresAt: options.expiresAt,
  });
}

interface TarEntry {
  name: string;
  data?: Uint8Array | string;
  type?: Header['type'];
  linkname?: string;
}

/** Builds a tar by hand, for archives createProviderArchive would never write. */
async function buildTar(entries: TarEntry[]): Promise<Uint8Array> {
  const packer = pack();
  for (const { name, data, type = 'file', linkname } of entries) {
    const header = { name, type, mode: 0o644, ...(linkname === undefined ? {} : { linkname }) };
    if (data === undefined) packer.entry(header);
    else packer.entry(header, typeof data === 'string' ? Buffer.from(data) : data);
  }
  packer.finalize();
  const chunks: Uint8Array[] = [];
  for await (const chunk of packer) chunks.push(chunk as Uint8Array);
  return new Uint8Array(Buffer.concat(chunks));
}

function tokenFor(targetHashes: Record<string, string>, options: { expiresAt?: number } = {}): string {
  return signProviderClaims({ ...metadata, target_hashes: targetHashes }, { issuer, subject, ...options });
}

async function entryNames(tar: Uint8Array): Promise<string[]> {
  const extractor = extract();
  extractor.end(Buffer.from(tar));
  const names: string[] = [];
  for await (const entry of extractor) {
    names.push(entry.header.name);
    entry.resume();
  }
  return names;
}

async function failure(bytes: Uint8Array, options: { maxUnpackedSize?: number; now?: number } = {}) {
  const error = await readProviderArchive(bytes, options).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof Error)) throw new Error('expected readProviderArchive to fail');
  return error;
}

async function expectArchiveError(
  bytes: Uint8Array,
  code: string,
  message?: RegExp,
  options?: { maxUnpackedSize?: number },
) {
  const error = await failure(bytes, options);
  expect(error).toBeInstanceOf(ProviderArchiveError);
  expect((error as ProviderArchiveError).code).toBe(code);
  if (message) expect(error.message).toMatch(message);
  return error;
}

describe('nativeTarget', () => {
  it('names this machine as Rust std::env::consts would', () => {
    const arch = { x64: 'x86_64', arm64: 'aarch64' }[process.arch as 'x64' | 'arm64'] ?? process.arch;
    const os =
      { linux: 'linux', darwin: 'macos', win32: 'windows' }[process.platform as 'linux'] ?? process.platform;
    expect(NATIVE).toBe(`${arch}-${os}`);
    expect(JS_PROVIDER_TARGET).toBe('js-node');
  });
});

describe('createProviderArchive and readProviderArchive', () => {
  it('round-trips a plain tar with the native and js-node targets', async () => {
    const { bytes, token } = await create();
    expect(bytes[0] === 0x1f && bytes[1] === 0x8b).toBe(false);
    const archive = await readProviderArchive(bytes);
    expect(archive.compressed).toBe(false);
    expect(archive.token).toBe(token);
    expect(archive.claims.iss).toBe(issuer.publicKey);
    expect(archive.claims.sub).toBe(subject.publicKey);
    expect(archive.claims.wascap).toMatchObject(metadata);
    expect([...archive.targets.keys()].sort()).toEqual([NATIVE, JS_PROVIDER_TARGET].sort());
    expect(binaryFor(archive, NATIVE)).toEqual(nativeBinary);
    expect(binaryFor(archive, JS_PROVIDER_TARGET)).toEqual(jsBundle);
  });

  it('round-trips a gzipped archive', async () => {
    const { bytes, token } = await create({ compress: true });
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    const archive = await readProviderArchive(bytes);
    expect(archive.compressed).toBe(true);
    expect(archive.token).toBe(token);
    expect(binaryFor(archive, NATIVE)).toEqual(nativeBinary);
    expect(binaryFor(archive, JS_PROVIDER_TARGET)).toEqual(jsBundle);
  });

  it('signs the uppercase hex SHA-256 of every binary', async () => {
    const archive = await readProviderArchive((await create()).bytes);
    expect(archive.claims.wascap.target_hashes).toEqual({
      [NATIVE]: binaryHash(nativeBinary),
      [JS_PROVIDER_TARGET]: binaryHash(jsBundle),
    });
    expect(binaryHash(nativeBinary)).toMatch(/^[0-9A-F]{64}$/);
  });

  it('writes claims.jwt first, then one {target}.bin per target', async () => {
    const names = await entryNames((await create()).bytes);
    expect(names[0]).toBe(CLAIMS_FILE);
    expect(names.slice(1).sort()).toEqual([`${NATIVE}.bin`, `${JS_PROVIDER_TARGET}.bin`].sort());
  });

  it('reads archives written by other tools, with lowercase hashes and a trailing newline on the token', async () => {
    const token = tokenFor({ [NATIVE]: binaryHash(nativeBinary).toLowerCase() });
    const tar = await buildTar([
      { name: `${NATIVE}.bin`, data: nativeBinary },
      { name: CLAIMS_FILE, data: `${token}\n` },
    ]);
    const archive = await readProviderArchive(gzipSync(tar));
    expect(archive.token).toBe(token);
    expect(binaryFor(archive, NATIVE)).toEqual(nativeBinary);
  });

  it('says which targets it has when asked for one it lacks', async () => {
    const archive = await readProviderArchive(
      (await create({ binaries: new Map([[NATIVE, nativeBinary]]) })).bytes,
    );
    expect(() => binaryFor(archive, 'riscv64-plan9')).toThrow(ProviderArchiveError);
    try {
      binaryFor(archive, 'riscv64-plan9');
    } catch (error) {
      expect((error as ProviderArchiveError).code).toBe('PAR_NO_TARGET');
      expect((error as Error).message).toContain('riscv64-plan9');
      expect((error as Error).message).toContain(NATIVE);
    }
  });

  it('refuses to create an archive with no binaries or a target that is not a file name', async () => {
    await expect(create({ binaries: new Map() })).rejects.toMatchObject({ code: 'PAR_NO_BINARIES' });
    for (const target of ['../evil', 'a/b', '', '.hidden']) {
      await expect(create({ binaries: new Map([[target, nativeBinary]]) })).rejects.toMatchObject({
        code: 'PAR_BAD_TARGET',
      });
    }
  });
});

describe('readProviderArchive verification', () => {
  it('rejects a binary with one flipped byte, naming the target', async () => {
    const { bytes } = await create({ binaries: new Map([[NATIVE, nativeBinary]]) });
    const at = Buffer.from(bytes).indexOf(Buffer.from(nativeBinary));
    expect(at).toBeGreaterThan(0);
    const tampered = Uint8Array.from(bytes);
    tampered[at + 100]! ^= 0x01;
    await expectArchiveError(tampered, 'PAR_TARGET_HASH_MISMATCH', new RegExp(NATIVE));
  });

  it('rejects a binary replaced after signing, in a gzipped archive too', async () => {
    const token = tokenFor({ [JS_PROVIDER_TARGET]: binaryHash(jsBundle) });
    const tar = await buildTar([
      { name: CLAIMS_FILE, data: token },
      { name: `${JS_PROVIDER_TARGET}.bin`, data: 'export default () => "evil";' },
    ]);
    await expectArchiveError(gzipSync(tar), 'PAR_TARGET_HASH_MISMATCH', /js-node/);
  });

  it('rejects a target listed in the claims with no binary', async () => {
    const token = tokenFor({ [NATIVE]: binaryHash(nativeBinary), 'aarch64-macos': binaryHash(jsBundle) });
    const tar = await buildTar([
      { name: CLAIMS_FILE, data: token },
      { name: `${NATIVE}.bin`, data: nativeBinary },
    ]);
    await expectArchiveError(tar, 'PAR_MISSING_TARGET', /aarch64-macos/);
  });

  it('rejects a binary the claims do not list', async () => {
    const token = tokenFor({ [NATIVE]: binaryHash(nativeBinary) });
    const tar = await buildTar([
      { name: CLAIMS_FILE, data: token },
      { name: `${NATIVE}.bin`, data: nativeBinary },
      { name: 'x86_64-windows.bin', data: jsBundle },
    ]);
    await expectArchiveError(tar, 'PAR_UNSIGNED_TARGET', /x86_64-windows/);
  });

  it('rethrows an expired token as the ClaimsError', async () => {
    const { bytes } = await create({ expiresAt: nowSeconds() - 60 });
    const error = await failure(bytes);
    expect(error).toBeInstanceOf(ClaimsError);
    expect((error as ClaimsError).code).toBe('CLAIMS_EXPIRED');
    // The same archive is fine at a time before it expired.
    await expect(readProviderArchive(bytes, { now: nowSeconds() - 120 })).resolves.toBeDefined();
  });

  it('rethrows a forged token as the ClaimsError', async () => {
    const token = tokenFor({ [NATIVE]: binaryHash(nativeBinary) });
    const [header, , signature] = token.split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()), iat: 1 }),
    ).toString('base64url');
    const tar = await buildTar([
      { name: CLAIMS_FILE, data: `${header}.${forgedPayload}.${signature}` },
      { name: `${NATIVE}.bin`, data: nativeBinary },
    ]);
    const error = await failure(tar);
    expect(error).toBeInstanceOf(ClaimsError);
    expect((error as ClaimsError).code).toBe('CLAIMS_BAD_SIGNATURE');
  });
});

describe('readProviderArchive bad input', () => {
  it('rejects empty input', async () => {
    await expectArchiveError(new Uint8Array(0), 'PAR_EMPTY');
  });

  it('rejects bytes that are neither tar nor gzip', async () => {
    await expectArchiveError(new TextEncoder().encode('hello, I am not an archive'), 'PAR_NOT_AN_ARCHIVE');
    await expectArchiveError(new Uint8Array(4096).fill(0x41), 'PAR_NOT_AN_ARCHIVE');
  });

  it('rejects gzip that does not hold a tar', async () => {
    await expectArchiveError(gzipSync(Buffer.alloc(2048, 0x41)), 'PAR_NOT_AN_ARCHIVE', /gzip/);
  });

  it('rejects corrupt and truncated gzip', async () => {
    const { bytes } = await create({ compress: true });
    const corrupt = Uint8Array.from(bytes);
    corrupt.fill(0xff, 10, 40);
    await expectArchiveError(corrupt, 'PAR_BAD_GZIP');
    await expectArchiveError(bytes.subarray(0, bytes.length >> 1), 'PAR_BAD_GZIP');
    await expectArchiveError(Uint8Array.of(0x1f, 0x8b), 'PAR_BAD_GZIP');
  });

  it('rejects a truncated tar', async () => {
    const { bytes } = await create();
    await expectArchiveError(bytes.subarray(0, 512 + 100), 'PAR_TRUNCATED');
    await expectArchiveError(bytes.subarray(0, bytes.length - 2048 - 17), 'PAR_TRUNCATED');
  });

  it('rejects a tar whose later header is corrupt', async () => {
    const { bytes } = await create();
    const names = await entryNames(bytes);
    expect(names.length).toBe(3);
    // The second header follows claims.jwt's data, padded to 512 bytes.
    const { token } = await readProviderArchive(bytes);
    const second = 512 + Math.ceil(token.length / 512) * 512;
    const corrupt = Uint8Array.from(bytes);
    corrupt[second + 3]! ^= 0x20;
    await expectArchiveError(corrupt, 'PAR_CORRUPT_TAR');
  });

  it('rejects an archive with no claims.jwt', async () => {
    await expectArchiveError(
      await buildTar([{ name: `${NATIVE}.bin`, data: nativeBinary }]),
      'PAR_NO_CLAIMS',
    );
    await expectArchiveError(new Uint8Array(1024), 'PAR_NO_CLAIMS');
  });

  it.each([
    ['a path', { name: `bin/${NATIVE}.bin`, data: nativeBinary }],
    ['a parent reference', { name: `../${NATIVE}.bin`, data: nativeBinary }],
    ['a dotted name', { name: `..${NATIVE}.bin`, data: nativeBinary }],
    ['a symlink', { name: `${NATIVE}.bin`, type: 'symlink', linkname: '/etc/passwd' }],
    ['a hard link', { name: `${NATIVE}.bin`, type: 'link', linkname: CLAIMS_FILE }],
    ['a directory', { name: 'bin', type: 'directory' }],
  ] satisfies Array<[string, TarEntry]>)('rejects an entry that is %s', async (_what, entry) => {
    const token = tokenFor({ [NATIVE]: binaryHash(nativeBinary) });
    const tar = await buildTar([{ name: CLAIMS_FILE, data: token }, entry]);
    await expectArchiveError(tar, 'PAR_BAD_ENTRY');
  });

  it('rejects duplicate entries', async () => {
    const token = tokenFor({ [NATIVE]: binaryHash(nativeBinary) });
    const tar = await buildTar([
      { name: CLAIMS_FILE, data: token },
      { name: `${NATIVE}.bin`, data: nativeBinary },
      { name: `${NATIVE}.bin`, data: jsBundle },
    ]);
    await expectArchiveError(tar, 'PAR_DUPLICATE_ENTRY', new RegExp(`${NATIVE}\\.bin`));
    const twoTokens = await buildTar([
      { name: CLAIMS_FILE, data: token },
      { name: CLAIMS_FILE, data: token },
    ]);
    await expectArchiveError(twoTokens, 'PAR_DUPLICATE_ENTRY');
  });

  it('stops inflating a gzip bomb at the size cap', async () => {
    const huge = new Uint8Array(8 * 1024 * 1024);
    const { bytes } = await create({ compress: true, binaries: new Map([[NATIVE, huge]]) });
    expect(bytes.length).toBeLessThan(64 * 1024);
    await expectArchiveError(bytes, 'PAR_TOO_LARGE', undefined, { maxUnpackedSize: 1024 * 1024 });
    await expect(readProviderArchive(bytes, { maxUnpackedSize: 16 * 1024 * 1024 })).resolves.toBeDefined();
  });

  it('refuses a plain tar larger than the size cap', async () => {
    const { bytes } = await create({ binaries: new Map([[NATIVE, new Uint8Array(64 * 1024)]]) });
    await expectArchiveError(bytes, 'PAR_TOO_LARGE', undefined, { maxUnpackedSize: 16 * 1024 });
  });
});
