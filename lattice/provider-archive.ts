// Provider archives (PAR, protocol.md §5.5): a tar, gzip optional, holding `claims.jwt` and one
// `{target}.bin` per target. The claims' `target_hashes[target]` is the uppercase hex SHA-256 of
// that binary, so the signed token vouches for every binary in the archive.
//
// Archives come from registries and other people's disks, so reading is strict and bounded:
// every failure is a ProviderArchiveError with its own code, and a ClaimsError from the token is
// rethrown as is (its code says why the claims failed: expired, bad signature, …).

import { createHash } from 'node:crypto';
import { gunzip, gzipSync } from 'node:zlib';
import { extract, type Header, pack } from 'tar-stream';
import {
  type ProviderClaims,
  type ProviderMetadata,
  signProviderClaims,
  verifyProviderClaims,
} from './claims.ts';
import { ProviderArchiveError } from './errors.ts';
import type { KeyPair } from './keys.ts';

/** The name of the claims token inside an archive. */
export const CLAIMS_FILE = 'claims.jwt';
const BINARY_SUFFIX = '.bin';

/**
 * The target of this project's JavaScript providers, which the host runs with Node rather than
 * executing natively. Its `js-node.bin` holds a single self-contained ES-module bundle (no
 * imports outside node: built-ins), so one archive serves every OS and CPU.
 */
export const JS_PROVIDER_TARGET = 'js-node';

/** Unpacked tars larger than this are refused, so a gzip bomb cannot exhaust memory. */
export const MAX_UNPACKED_SIZE = 512 * 1024 * 1024;

const GZIP_MAGIC = [0x1f, 0x8b] as const;
const TAR_BLOCK = 512;

// Rust's std::env::consts names, which native provider targets use ("{ARCH}-{OS}").
const RUST_ARCH: Partial<Record<string, string>> = {
  x64: 'x86_64',
  arm64: 'aarch64',
  ia32: 'x86',
  arm: 'arm',
  loong64: 'loongarch64',
  ppc64: 'powerpc64',
  riscv64: 'riscv64',
  s390x: 's390x',
};
const RUST_OS: Partial<Record<string, string>> = {
  darwin: 'macos',
  win32: 'windows',
  linux: 'linux',
  freebsd: 'freebsd',
  openbsd: 'openbsd',
  netbsd: 'netbsd',
  sunos: 'solaris',
  android: 'android',
};

/** The native target of this machine, as wash and the OTP host name it: `x86_64-linux`, `aarch64-macos`, … */
export function nativeTarget(): string {
  const arch = RUST_ARCH[process.arch] ?? process.arch;
  const os = RUST_OS[process.platform] ?? process.platform;
  return `${arch}-${os}`;
}

/** A target must be usable as a plain file name inside the tar. */
const TARGET_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

function isValidTarget(target: string): boolean {
  return TARGET_PATTERN.test(target) && !target.includes('..');
}

/** Throws PAR_BAD_TARGET unless `target` can name a binary in an archive. */
export function checkTarget(target: string): void {
  if (!isValidTarget(target)) {
    throw new ProviderArchiveError(
      'PAR_BAD_TARGET',
      `"${target}" is not a valid target: use {arch}-{os} (e.g. ${nativeTarget()}) or ${JS_PROVIDER_TARGET}`,
    );
  }
}

/** The uppercase hex SHA-256 that `target_hashes` holds for a binary. */
export function binaryHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').toUpperCase();
}

// ---- writing ----

/** The provider's claims, except `target_hashes`, which are computed from the binaries. */
export interface ProviderArchiveMetadata {
  name?: string | undefined;
  /** The capability contract, e.g. `wasmcloud:httpserver`. */
  capid: string;
  vendor: string;
  rev?: number | undefined;
  ver?: string | undefined;
  config_schema?: unknown;
}

export interface CreateProviderArchiveOptions {
  metadata: ProviderArchiveMetadata;
  /** One binary per target (`x86_64-linux`, `js-node`, …). */
  binaries: ReadonlyMap<string, Uint8Array>;
  /** The account (A…) that signs the claims. */
  issuer: KeyPair;
  /** The service key (V…) that identifies the provider. */
  subject: KeyPair;
  expiresAt?: number | undefined;
  notBefore?: number | undefined;
  /** Gzip the tar (a `.par.gz`). */
  compress?: boolean | undefined;
}

export interface CreatedProviderArchive {
  bytes: Uint8Array;
  token: string;
}

/** Signs claims covering every binary and writes the archive, `claims.jwt` first. */
export async function createProviderArchive(
  options: CreateProviderArchiveOptions,
): Promise<CreatedProviderArchive> {
  if (options.binaries.size === 0) {
    throw new ProviderArchiveError('PAR_NO_BINARIES', 'a provider archive needs at least one binary');
  }
  // Sorted so the same inputs give the same entry order.
  const targets = [...options.binaries.keys()].sort();
  const targetHashes: Record<string, string> = {};
  for (const target of targets) {
    checkTarget(target);
    targetHashes[target] = binaryHash(options.binaries.get(target)!);
  }
  const { name, capid, vendor, rev, ver, config_schema } = options.metadata;
  const metadata: ProviderMetadata = { name, capid, vendor, rev, ver, target_hashes: targetHashes };
  if (config_schema !== undefined) metadata.config_schema = config_schema;
  const token = signProviderClaims(metadata, {
    issuer: options.issuer,
    subject: options.subject,
    expiresAt: options.expiresAt,
    notBefore: options.notBefore,
  });
  const files: Array<[string, Uint8Array]> = [[CLAIMS_FILE, Buffer.from(token)]];
  for (const target of targets) files.push([`${target}${BINARY_SUFFIX}`, options.binaries.get(target)!]);
  const tar = await writeTar(files);
  return { bytes: options.compress ? asUint8Array(gzipSync(tar)) : tar, token };
}

async function writeTar(files: ReadonlyArray<readonly [string, Uint8Array]>): Promise<Uint8Array> {
  const packer = pack();
  const mtime = new Date();
  for (const [name, bytes] of files) {
    const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    packer.entry({ name, size: data.length, mode: 0o644, mtime, type: 'file' }, data);
  }
  packer.finalize();
  return collect(packer);
}

/** All of a stream's bytes (tar-stream's streams yield Buffers). */
async function collect(stream: AsyncIterable<unknown>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) {
    if (!(chunk instanceof Uint8Array))
      throw new ProviderArchiveError('PAR_CORRUPT_TAR', 'the tar packer yielded something other than bytes');
    chunks.push(chunk);
  }
  return asUint8Array(Buffer.concat(chunks));
}

/** A plain Uint8Array view of a Buffer's bytes, without copying them. */
function asUint8Array(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

// ---- reading ----

export interface ProviderArchive {
  token: string;
  /** The verified claims; `wascap.target_hashes` has exactly the keys of `targets`. */
  claims: ProviderClaims;
  /** Each target's binary, every one checked against its hash in the claims. */
  targets: Map<string, Uint8Array>;
  /** Whether the archive was gzipped. */
  compressed: boolean;
}

export interface ReadProviderArchiveOptions {
  /** Seconds since the epoch to check the token's `exp`/`nbf` against; now by default. */
  now?: number;
  /** Refuse archives whose tar is larger than this many bytes; MAX_UNPACKED_SIZE by default. */
  maxUnpackedSize?: number;
}

/**
 * Reads and verifies an archive: the claims token (a ClaimsError is rethrown unchanged), that
 * every `.bin` is listed in `target_hashes` with a matching hash, and that every listed target
 * has its binary. Anything else wrong is a ProviderArchiveError with a PAR_* code.
 */
export async function readProviderArchive(
  bytes: Uint8Array,
  options: ReadProviderArchiveOptions = {},
): Promise<ProviderArchive> {
  const maxSize = options.maxUnpackedSize ?? MAX_UNPACKED_SIZE;
  if (bytes.length === 0)
    throw new ProviderArchiveError('PAR_EMPTY', 'the provider archive is empty (0 bytes)');
  const compressed = bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
  const tar = compressed ? await gunzipBounded(bytes, maxSize) : bytes;
  if (tar.length > maxSize) throw tooLarge(maxSize);
  if (!looksLikeTar(tar)) {
    throw new ProviderArchiveError(
      'PAR_NOT_AN_ARCHIVE',
      compressed
        ? 'the provider archive is gzip data that does not hold a tar'
        : 'this is not a provider archive: neither a tar nor gzip',
    );
  }
  const files = await readTarFiles(tar);

  const claimsBytes = files.get(CLAIMS_FILE);
  if (claimsBytes === undefined) {
    throw new ProviderArchiveError(
      'PAR_NO_CLAIMS',
      `the provider archive has no ${CLAIMS_FILE}: it is not signed`,
    );
  }
  const token = Buffer.from(claimsBytes).toString('utf8').trim();
  const claims = verifyProviderClaims(token, options.now === undefined ? {} : { now: options.now });

  const targets = new Map<string, Uint8Array>();
  for (const [name, data] of files) {
    if (!name.endsWith(BINARY_SUFFIX)) continue;
    targets.set(name.slice(0, -BINARY_SUFFIX.length), data);
  }
  verifyTargetHashes(targets, claims.wascap.target_hashes);
  return { token, claims, targets, compressed };
}

function verifyTargetHashes(
  targets: ReadonlyMap<string, Uint8Array>,
  expected: Record<string, string>,
): void {
  for (const [target, data] of targets) {
    const signed = Object.hasOwn(expected, target) ? expected[target] : undefined;
    if (signed === undefined) {
      throw new ProviderArchiveError(
        'PAR_UNSIGNED_TARGET',
        `the binary ${target}${BINARY_SUFFIX} is not listed in the archive's claims (target_hashes): it was added after signing`,
      );
    }
    const actual = binaryHash(data);
    if (actual !== signed.toUpperCase()) {
      throw new ProviderArchiveError(
        'PAR_TARGET_HASH_MISMATCH',
        `the ${target} binary has been changed since the archive was signed: its hash is ${actual}, the claims say ${signed}`,
      );
    }
  }
  for (const target of Object.keys(expected)) {
    if (!targets.has(target)) {
      throw new ProviderArchiveError(
        'PAR_MISSING_TARGET',
        `the archive's claims list the target ${target}, but the archive has no ${target}${BINARY_SUFFIX}`,
      );
    }
  }
}

/** The binary for `target`, or PAR_NO_TARGET naming the targets the archive does have. */
export function binaryFor(archive: ProviderArchive, target: string): Uint8Array {
  const binary = archive.targets.get(target);
  if (binary !== undefined) return binary;
  const available = [...archive.targets.keys()].sort();
  throw new ProviderArchiveError(
    'PAR_NO_TARGET',
    `the provider archive has no binary for ${target}; it has ${available.length > 0 ? available.join(', ') : 'none'}`,
  );
}

function tooLarge(maxSize: number): ProviderArchiveError {
  return new ProviderArchiveError(
    'PAR_TOO_LARGE',
    `the provider archive unpacks to more than ${maxSize} bytes, the most this host accepts`,
  );
}

async function gunzipBounded(bytes: Uint8Array, maxSize: number): Promise<Uint8Array> {
  try {
    // maxOutputLength stops inflating at the cap instead of after the whole bomb is in memory.
    return await new Promise<Uint8Array>((resolve, reject) =>
      gunzip(bytes, { maxOutputLength: maxSize }, (error, result) =>
        error ? reject(error) : resolve(result),
      ),
    );
  } catch (error) {
    if (error instanceof RangeError) throw tooLarge(maxSize);
    const reason = error instanceof Error ? error.message : String(error);
    throw new ProviderArchiveError('PAR_BAD_GZIP', `the provider archive is corrupt gzip: ${reason}`);
  }
}

/** True when the first block is a tar header with a valid checksum (or the all-zero end of an empty tar). */
function looksLikeTar(tar: Uint8Array): boolean {
  if (tar.length < TAR_BLOCK) return false;
  let sum = 0;
  let allZero = true;
  for (let i = 0; i < TAR_BLOCK; i++) {
    const byte = tar[i]!;
    if (byte !== 0) allZero = false;
    // The checksum field counts as eight spaces while summing.
    sum += i >= 148 && i < 156 ? 0x20 : byte;
  }
  if (allZero) return true;
  const field = Buffer.from(tar.subarray(148, 156))
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .trim();
  return /^[0-7]+$/.test(field) && Number.parseInt(field, 8) === sum;
}

/**
 * The plain files of a tar by name; anything that is not one is refused. Files other than
 * claims.jwt and *.bin are kept but unused (later wasmCloud archives add e.g. world.wasm).
 */
async function readTarFiles(tar: Uint8Array): Promise<Map<string, Uint8Array>> {
  const extractor = extract();
  extractor.end(Buffer.from(tar.buffer, tar.byteOffset, tar.byteLength));
  const files = new Map<string, Uint8Array>();
  try {
    for await (const entry of extractor) {
      const name = checkedEntryName(entry.header);
      if (files.has(name)) {
        throw new ProviderArchiveError(
          'PAR_DUPLICATE_ENTRY',
          `the provider archive holds ${name} more than once`,
        );
      }
      files.set(name, await collect(entry));
    }
  } catch (error) {
    if (error instanceof ProviderArchiveError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    if (/unexpected end of data/i.test(reason)) {
      throw new ProviderArchiveError(
        'PAR_TRUNCATED',
        'the provider archive is truncated: the tar ends mid-entry',
      );
    }
    throw new ProviderArchiveError('PAR_CORRUPT_TAR', `the provider archive's tar is corrupt: ${reason}`);
  }
  return files;
}

/** Entries are flat files: no paths, links or directories that could point outside the archive. */
function checkedEntryName(header: Header): string {
  const name = header.name;
  if (header.type !== 'file' && header.type !== 'contiguous-file') {
    throw new ProviderArchiveError(
      'PAR_BAD_ENTRY',
      `the provider archive entry "${name}" is a ${header.type ?? 'special entry'}, not a plain file`,
    );
  }
  if (
    name === '' ||
    name.includes('/') ||
    name.includes('\\') ||
    name.includes('..') ||
    name.includes('\0')
  ) {
    throw new ProviderArchiveError(
      'PAR_BAD_ENTRY',
      `the provider archive entry "${name}" is not a plain file name (no paths or "..")`,
    );
  }
  if (name.endsWith(BINARY_SUFFIX) && !isValidTarget(name.slice(0, -BINARY_SUFFIX.length))) {
    throw new ProviderArchiveError(
      'PAR_BAD_ENTRY',
      `the provider archive entry "${name}" does not name a target`,
    );
  }
  return name;
}
