// The built-in providers' names and keys (lattice/builtin-providers.ts): the key derivation against
// HKDF-SHA256 computed independently (Python's hmac, RFC 5869), the same key for the same seed and
// name and a different one otherwise, claims that verify and are issued by the derived account key,
// and the refusals of unknown and reserved names.

import { describe, expect, test } from 'vitest';
import {
  BUILTIN_PROVIDERS,
  builtinIssuerKey,
  builtinProviderClaims,
  builtinProviderKey,
  isBuiltinRef,
  resolveBuiltinRef,
} from '../../lattice/builtin-providers.ts';
import { decodeSeed, encodeSeed, KeyPair } from '../../lattice/keys.ts';

const SEED = encodeSeed('cluster', new Uint8Array(32).fill(7));
const hex = (seed: string) => Buffer.from(decodeSeed(seed).raw).toString('hex');

describe('key derivation', () => {
  test('HKDF-SHA256 over the raw cluster seed, as computed by an independent implementation', () => {
    // python3: hkdf(ikm=bytes([7])*32, salt=b'', info=b'wasmcloud-ts builtin provider httpserver')
    expect(hex(builtinProviderKey(SEED, 'httpserver').seed)).toBe(
      '04e8f6cbbd7d22f4f138ea71570e7bd82388e63301ccc706df4ab0353af37e84',
    );
    expect(hex(builtinIssuerKey(SEED).seed)).toBe(
      '7f1b77286a19937ae3d5ed513fc5af4ecb103bc934a74d7154c010c674cfb6b2',
    );
    expect(builtinProviderKey(SEED, 'httpserver').kind).toBe('service');
    expect(builtinIssuerKey(SEED).kind).toBe('account');
  });

  test('the same seed and name give the same key; another seed or name another key', () => {
    const other = KeyPair.create('cluster').seed;
    const key = (seed: string, name: string) => builtinProviderKey(seed, name).publicKey;
    expect(key(SEED, 'httpserver')).toBe(key(SEED, 'httpserver'));
    expect(key(SEED, 'httpserver')).toMatch(/^V[A-Z2-7]{55}$/);
    expect(key(SEED, 'keyvalue')).not.toBe(key(SEED, 'httpserver'));
    expect(key(other, 'httpserver')).not.toBe(key(SEED, 'httpserver'));
  });

  test('only a cluster seed is accepted', () => {
    expect(() => builtinProviderKey(KeyPair.create('account').seed, 'httpserver')).toThrow(
      expect.objectContaining({ code: 'KEY_WRONG_KIND' }),
    );
  });
});

describe('claims and names', () => {
  test('claims verify, name the contract and are issued by the derived account key', () => {
    const info = resolveBuiltinRef('wasmcloud+builtin://httpserver');
    const claims = builtinProviderClaims(SEED, info);
    expect(claims.sub).toBe(builtinProviderKey(SEED, 'httpserver').publicKey);
    expect(claims.iss).toBe(builtinIssuerKey(SEED).publicKey);
    expect(claims.wascap).toMatchObject({ capid: 'wasmcloud:httpserver', name: 'HTTP Server (built-in)' });
  });

  test('unknown names are refused with their code; every listed built-in is available', () => {
    expect(isBuiltinRef('wasmcloud+builtin://httpserver')).toBe(true);
    expect(isBuiltinRef('ghcr.io/x/httpserver:1')).toBe(false);
    expect(() => resolveBuiltinRef('wasmcloud+builtin://blobstore')).toThrow(
      expect.objectContaining({ code: 'BUILTIN_UNKNOWN' }),
    );
    for (const name of ['keyvalue', 'messaging'])
      expect(resolveBuiltinRef(`wasmcloud+builtin://${name}`).contractId).toBe(`wasmcloud:${name}`);
    expect(BUILTIN_PROVIDERS.filter((info) => info.available).map((info) => info.name)).toEqual([
      'httpserver',
      'keyvalue',
      'messaging',
    ]);
  });
});
