// The example actors built by `npm run build` (the test script builds them first), and ways
// to re-sign their bytes with other claims for tests.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newJti, signActorClaims } from '../../lattice/claims.ts';
import { signJwt } from '../../lattice/jwt.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { embedClaims, extractClaimsToken, moduleHash, wasmSections } from '../../lattice/wasm.ts';
import { REPO_ROOT } from './fixtures.ts';

const BUILD_DIR = join(REPO_ROOT, 'actors', 'build');

/** The signed build of an example actor (actors/{name}). */
export function builtActor(name: string): Uint8Array {
  return readFileSync(join(BUILD_DIR, `${name}_s.wasm`));
}

/** The unsigned build of an example actor. */
export function unsignedActor(name: string): Uint8Array {
  return readFileSync(join(BUILD_DIR, `${name}.wasm`));
}

export interface TestClaims {
  caps?: string[];
  name?: string;
  callAlias?: string;
  expiresAt?: number;
  notBefore?: number;
  subject?: KeyPair;
}

/** Signs unsigned bytes with test claims; returns the signed bytes and the actor's key. */
export function signForTest(bytes: Uint8Array, claims: TestClaims = {}): { bytes: Uint8Array; id: string } {
  const subject = claims.subject ?? KeyPair.create('module');
  const token = signActorClaims(
    {
      name: claims.name ?? 'test',
      hash: moduleHash(bytes),
      caps: claims.caps ?? [],
      call_alias: claims.callAlias,
    },
    { issuer: KeyPair.create('account'), subject, expiresAt: claims.expiresAt, notBefore: claims.notBefore },
  );
  return { bytes: embedClaims(bytes, token), id: subject.publicKey };
}

/**
 * Signs unsigned bytes as wash signed actors in 2022 (wascap 0.8): the payload of the `echo.jwt`
 * fixture (../shared/fixtures/claims), with no `wascap_revision`. The actor keeps its key.
 */
export function sign2022ForTest(
  bytes: Uint8Array,
  claims: TestClaims = {},
): { bytes: Uint8Array; id: string } {
  const issuer = KeyPair.create('account');
  const subject = claims.subject ?? KeyPair.create('module');
  const token = signJwt(
    {
      jti: newJti(),
      iat: Math.floor(Date.now() / 1000),
      iss: issuer.publicKey,
      sub: subject.publicKey,
      wascap: {
        name: claims.name ?? 'test',
        hash: moduleHash(bytes),
        tags: [],
        caps: claims.caps ?? [],
        rev: 4,
        ver: '0.3.4',
        prov: false,
      },
    },
    issuer,
  );
  const signed = embedClaims(bytes, token);
  if (extractClaimsToken(signed)?.includes('wascap_revision')) throw new Error('not a 2022-shaped token');
  return { bytes: signed, id: subject.publicKey };
}

/**
 * The signed bytes with one byte changed in the module's data section (the last byte of its last
 * data segment): the framing stays intact and the module still compiles, only its hash differs.
 */
export function tamperDataByte(signed: Uint8Array): Uint8Array {
  const data = wasmSections(signed).sections.find((section) => section.id === 11);
  if (data === undefined) throw new Error('the module has no data section to tamper with');
  const tampered = Uint8Array.from(signed);
  tampered[data.end - 1]! ^= 0x01;
  return tampered;
}
