// The example actors built by `npm run build` (the test script builds them first), and ways
// to re-sign their bytes with other claims for tests.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signActorClaims } from '../../lattice/claims.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { embedClaims, moduleHash } from '../../lattice/wasm.ts';
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
