import * as nkeys from 'nkeys.js';
import { describe, expect, it } from 'vitest';
import { KeyError } from '../../lattice/errors.ts';
import {
  cachedVerifierCount,
  decodePublicKey,
  decodeSeed,
  isPublicKey,
  KEY_LETTER,
  type KeyKind,
  KeyPair,
  verifySignature,
} from '../../lattice/keys.ts';

const KINDS: KeyKind[] = ['account', 'cluster', 'module', 'server', 'operator', 'user', 'service', 'curve'];
const data = new TextEncoder().encode('the lattice');

describe('keys', () => {
  it.each(KINDS)('creates %s keys with the right letters, and round-trips the seed', (kind) => {
    const keyPair = KeyPair.create(kind);
    expect(keyPair.publicKey).toHaveLength(56);
    expect(keyPair.publicKey[0]).toBe(KEY_LETTER[kind]);
    expect(keyPair.seed).toHaveLength(58);
    expect(keyPair.seed.slice(0, 2)).toBe(`S${KEY_LETTER[kind]}`);
    const again = KeyPair.fromSeed(keyPair.seed);
    expect(again.publicKey).toBe(keyPair.publicKey);
    expect(again.kind).toBe(kind);
    expect(decodePublicKey(keyPair.publicKey).kind).toBe(kind);
    expect(decodeSeed(keyPair.seed).kind).toBe(kind);
  });

  it('matches nkeys.js byte for byte on the prefixes nkeys.js knows', () => {
    for (const create of [
      nkeys.createAccount,
      nkeys.createCluster,
      nkeys.createServer,
      nkeys.createUser,
      nkeys.createOperator,
    ]) {
      const theirs = create();
      const seed = new TextDecoder().decode(theirs.getSeed());
      const ours = KeyPair.fromSeed(seed);
      expect(ours.publicKey).toBe(theirs.getPublicKey());
      expect(ours.seed).toBe(seed);
      // Signatures interoperate both ways.
      expect(nkeys.fromPublic(ours.publicKey).verify(data, ours.sign(data))).toBe(true);
      expect(ours.verify(data, theirs.sign(data))).toBe(true);
    }
  });

  it('signs with node:crypto and verifies; a changed byte or another key fails', () => {
    const keyPair = KeyPair.create('cluster');
    const signature = keyPair.sign(data);
    expect(signature).toHaveLength(64);
    expect(verifySignature(keyPair.publicKey, data, signature)).toBe(true);
    const altered = Uint8Array.from(data);
    altered[0]! ^= 1;
    expect(verifySignature(keyPair.publicKey, altered, signature)).toBe(false);
    expect(verifySignature(KeyPair.create('cluster').publicKey, data, signature)).toBe(false);
    expect(verifySignature(keyPair.publicKey, data, signature.subarray(0, 63))).toBe(false);
  });

  it('refuses keys with a bad checksum, bad characters, wrong length or wrong kind', () => {
    const key = KeyPair.create('module').publicKey;
    const flipped = `${key.slice(0, 10)}${key[10] === 'A' ? 'B' : 'A'}${key.slice(11)}`;
    expect(() => decodePublicKey(flipped)).toThrow(expect.objectContaining({ code: 'KEY_BAD_CHECKSUM' }));
    expect(() => decodePublicKey(`${key.slice(0, 55)}1`)).toThrow(KeyError);
    expect(() => decodePublicKey(key.slice(1))).toThrow(/56-character public key/);
    expect(() => decodePublicKey(key, 'service')).toThrow(/is a module key; expected service \(V…\)/);
    expect(() => decodePublicKey('')).toThrow(/an empty string/);
    expect(isPublicKey(key, 'module')).toBe(true);
    expect(isPublicKey(key, 'server')).toBe(false);
    expect(isPublicKey(42)).toBe(false);
  });

  it('refuses seeds that are malformed or of the wrong kind', () => {
    const seed = KeyPair.create('account').seed;
    expect(() => KeyPair.fromSeed(seed, 'module')).toThrow(
      expect.objectContaining({ code: 'KEY_WRONG_KIND' }),
    );
    expect(() => KeyPair.fromSeed(KeyPair.create('account').publicKey)).toThrow(/seed starting with S/);
    expect(() =>
      KeyPair.fromSeed(`${seed.slice(0, 30)}${seed[30] === 'A' ? 'B' : 'A'}${seed.slice(31)}`),
    ).toThrow(expect.objectContaining({ code: 'KEY_BAD_CHECKSUM' }));
    // The last character carries two unused bits; setting one is refused, not silently ignored.
    const lastValue = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(seed[57]!);
    const padded = `${seed.slice(0, 57)}${'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[lastValue | 1]}`;
    expect(() => KeyPair.fromSeed(padded)).toThrow(KeyError);
    expect(KeyPair.fromSeed(`  ${seed}\n`).seed).toBe(seed);
  });
});

describe('the verifier cache', () => {
  it('stays bounded however many distinct keys the network sends (issue 12)', () => {
    const signature = new Uint8Array(64);
    for (let i = 0; i < 5000; i++) {
      // Each key is new; the signature is wrong, which is what a flood of strangers looks like.
      expect(verifySignature(KeyPair.create('module').publicKey, new Uint8Array([i]), signature)).toBe(false);
    }
    expect(cachedVerifierCount()).toBeGreaterThan(0);
    expect(cachedVerifierCount()).toBeLessThanOrEqual(4096);
  });
});
