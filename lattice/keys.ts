// nkeys for every kind the lattice uses, with Ed25519 signing through node:crypto.
//
// nkeys.js knows only the NATS prefixes and rejects wasmCloud's module (M) and service (V)
// keys, so this file is the one codec for all of them: prefix byte(s) + 32 raw bytes +
// CRC-16/XMODEM (little-endian), base32 without padding. Signing and verifying use
// node:crypto KeyObjects cached per key: tweetnacl is ~250× slower on these machines.

import { createPrivateKey, createPublicKey, type KeyObject, randomBytes, sign, verify } from 'node:crypto';
import { KeyError } from './errors.ts';

export type KeyKind = 'account' | 'cluster' | 'module' | 'server' | 'operator' | 'user' | 'service' | 'curve';

/** The prefix byte of each kind; its top five bits pick the leading base32 letter. */
const PREFIX_BYTE: Record<KeyKind, number> = {
  account: 0, // A
  cluster: 2 << 3, // C
  module: 12 << 3, // M
  server: 13 << 3, // N
  operator: 14 << 3, // O
  user: 20 << 3, // U
  service: 21 << 3, // V
  curve: 23 << 3, // X
};
const SEED_PREFIX_BYTE = 18 << 3; // S

const KIND_BY_PREFIX = new Map<number, KeyKind>(
  Object.entries(PREFIX_BYTE).map(([kind, byte]) => [byte, kind as KeyKind]),
);

export const KEY_LETTER: Record<KeyKind, string> = {
  account: 'A',
  cluster: 'C',
  module: 'M',
  server: 'N',
  operator: 'O',
  user: 'U',
  service: 'V',
  curve: 'X',
};

const ENCODED_KEY_LENGTH = 56; // base32 of 1 + 32 + 2 bytes
const ENCODED_SEED_LENGTH = 58; // base32 of 2 + 32 + 2 bytes

// ---- base32 (RFC 4648 alphabet, no padding) ----

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const ALPHABET_INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) ALPHABET_INDEX[ALPHABET.charCodeAt(i)] = i;

function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

function base32Decode(text: string): Uint8Array | undefined {
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? ALPHABET_INDEX[code]! : -1;
    if (value < 0) return undefined;
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out[index++] = (buffer >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  // The unused low bits of the last character must be zero: one key, one spelling.
  if ((buffer & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}

// ---- CRC-16/XMODEM ----

const CRC_TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  CRC_TABLE[i] = crc;
}

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ CRC_TABLE[((crc >>> 8) ^ byte) & 0xff]!;
  return crc;
}

function withChecksum(body: Uint8Array): string {
  const full = new Uint8Array(body.length + 2);
  full.set(body);
  const crc = crc16(body);
  full[body.length] = crc & 0xff;
  full[body.length + 1] = crc >>> 8;
  return base32Encode(full);
}

function checkedBody(text: string, what: string): Uint8Array {
  const raw = base32Decode(text);
  if (!raw || raw.length < 3)
    throw new KeyError('KEY_INVALID_ENCODING', `${what} is not valid base32 nkey text`);
  const body = raw.subarray(0, raw.length - 2);
  const expected = raw[raw.length - 2]! | (raw[raw.length - 1]! << 8);
  if (crc16(body) !== expected) throw new KeyError('KEY_BAD_CHECKSUM', `${what} has a bad checksum`);
  return body;
}

// ---- public keys and seeds ----

/** Encodes 32 raw Ed25519 public-key bytes as a key of the given kind (A…, M…, V…, …). */
export function encodePublicKey(kind: KeyKind, raw: Uint8Array): string {
  if (raw.length !== 32)
    throw new KeyError('KEY_INVALID_LENGTH', `a public key has 32 bytes, not ${raw.length}`);
  const body = new Uint8Array(33);
  body[0] = PREFIX_BYTE[kind];
  body.set(raw, 1);
  return withChecksum(body);
}

/** Encodes a 32-byte Ed25519 seed as an S… seed of the given kind (SA…, SM…, SV…, …). */
export function encodeSeed(kind: KeyKind, raw: Uint8Array): string {
  if (raw.length !== 32) throw new KeyError('KEY_INVALID_LENGTH', `a seed has 32 bytes, not ${raw.length}`);
  const prefix = PREFIX_BYTE[kind];
  const body = new Uint8Array(34);
  body[0] = SEED_PREFIX_BYTE | (prefix >> 5);
  body[1] = (prefix & 31) << 3;
  body.set(raw, 2);
  return withChecksum(body);
}

export interface DecodedKey {
  kind: KeyKind;
  raw: Uint8Array;
}

function describeExpected(expected: readonly KeyKind[]): string {
  return expected.map((k) => `${k} (${KEY_LETTER[k]}…)`).join(' or ');
}

/** Decodes a public key, checking its checksum and, when given, that it is one of `expected`. */
export function decodePublicKey(text: string, ...expected: KeyKind[]): DecodedKey {
  if (typeof text !== 'string' || text.length !== ENCODED_KEY_LENGTH) {
    throw new KeyError(
      'KEY_INVALID_ENCODING',
      `expected a ${ENCODED_KEY_LENGTH}-character public key, got ${describeText(text)}`,
    );
  }
  const body = checkedBody(text, `public key ${text}`);
  const kind = KIND_BY_PREFIX.get(body[0]!);
  if (!kind) throw new KeyError('KEY_INVALID_PREFIX', `public key ${text} has an unknown prefix`);
  if (expected.length > 0 && !expected.includes(kind)) {
    throw new KeyError('KEY_WRONG_KIND', `${text} is a ${kind} key; expected ${describeExpected(expected)}`);
  }
  return { kind, raw: body.slice(1) };
}

/** Decodes an S… seed into its kind and 32 raw seed bytes. */
export function decodeSeed(text: string, ...expected: KeyKind[]): DecodedKey {
  if (typeof text !== 'string' || text.length !== ENCODED_SEED_LENGTH || text[0] !== 'S') {
    throw new KeyError(
      'KEY_INVALID_ENCODING',
      `expected a ${ENCODED_SEED_LENGTH}-character seed starting with S`,
    );
  }
  const body = checkedBody(text, 'seed');
  if ((body[0]! & 0xf8) !== SEED_PREFIX_BYTE)
    throw new KeyError('KEY_INVALID_PREFIX', 'seed has an invalid prefix');
  const prefix = ((body[0]! & 7) << 5) | ((body[1]! & 0xf8) >> 3);
  const kind = KIND_BY_PREFIX.get(prefix);
  if (!kind) throw new KeyError('KEY_INVALID_PREFIX', 'seed has an unknown key-type prefix');
  if (expected.length > 0 && !expected.includes(kind)) {
    throw new KeyError(
      'KEY_WRONG_KIND',
      `the seed is for a ${kind} key; expected ${describeExpected(expected)}`,
    );
  }
  return { kind, raw: body.slice(2) };
}

/** True when `text` is a well-formed public key of one of the given kinds (any kind when none given). */
export function isPublicKey(text: unknown, ...kinds: KeyKind[]): text is string {
  // Most texts asked about on hot paths (call aliases) fail here, without building an error to catch.
  if (typeof text !== 'string' || text.length !== ENCODED_KEY_LENGTH) return false;
  try {
    decodePublicKey(text, ...kinds);
    return true;
  } catch {
    return false;
  }
}

function describeText(text: unknown): string {
  if (typeof text !== 'string') return typeof text;
  return text.length === 0 ? 'an empty string' : `${text.length} characters`;
}

// ---- Ed25519 through node:crypto ----

// DER prefixes that wrap 32 raw bytes into PKCS#8 (private) and SPKI (public) Ed25519 keys.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

const MAX_CACHED_VERIFIERS = 4096;
const verifierCache = new Map<string, KeyObject>();

function publicKeyObject(publicKey: string): KeyObject {
  let keyObject = verifierCache.get(publicKey);
  if (!keyObject) {
    const { raw } = decodePublicKey(publicKey);
    keyObject = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
    // Keys come from the network: bound the cache so a flood of strangers cannot grow it forever.
    if (verifierCache.size >= MAX_CACHED_VERIFIERS) verifierCache.clear();
    verifierCache.set(publicKey, keyObject);
  }
  return keyObject;
}

/** How many public keys have a KeyObject cached now (at most MAX_CACHED_VERIFIERS); for tests. */
export function cachedVerifierCount(): number {
  return verifierCache.size;
}

/** Verifies an Ed25519 signature made by `publicKey` (any kind). Throws KeyError if the key is malformed. */
export function verifySignature(publicKey: string, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  return verify(null, data, publicKeyObject(publicKey), signature);
}

/** An Ed25519 key pair of one kind, with its seed. Built once; signing reuses the KeyObject. */
export class KeyPair {
  readonly kind: KeyKind;
  readonly publicKey: string;
  readonly seed: string;
  readonly #privateKey: KeyObject;

  private constructor(kind: KeyKind, rawSeed: Uint8Array) {
    this.kind = kind;
    this.#privateKey = createPrivateKey({
      key: Buffer.concat([PKCS8_PREFIX, rawSeed]),
      format: 'der',
      type: 'pkcs8',
    });
    const spki = createPublicKey(this.#privateKey).export({ format: 'der', type: 'spki' });
    this.publicKey = encodePublicKey(kind, spki.subarray(spki.length - 32));
    this.seed = encodeSeed(kind, rawSeed);
  }

  /** A new random key pair of the given kind. */
  static create(kind: KeyKind): KeyPair {
    return new KeyPair(kind, randomBytes(32));
  }

  /** The key pair of an S… seed; `expected` restricts the kinds accepted. */
  static fromSeed(seed: string, ...expected: KeyKind[]): KeyPair {
    const { kind, raw } = decodeSeed(seed.trim(), ...expected);
    return new KeyPair(kind, raw);
  }

  sign(data: Uint8Array): Uint8Array {
    return sign(null, data, this.#privateKey);
  }

  verify(data: Uint8Array, signature: Uint8Array): boolean {
    return verifySignature(this.publicKey, data, signature);
  }
}
