import { describe, expect, it } from 'vitest';
import {
  signActorClaims,
  verifyActorClaims,
  verifyProviderClaims,
  verifySignedWasm,
  WASCAP_REVISION,
} from '../../lattice/claims.ts';
import { ClaimsError } from '../../lattice/errors.ts';
import { signJwt } from '../../lattice/jwt.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { embedClaims, moduleHash } from '../../lattice/wasm.ts';
import { sign2022ForTest, tamperDataByte, unsignedActor } from '../helpers/actors.ts';
import { claimsFixtures, claimsFixtureToken } from '../helpers/fixtures.ts';
import { ANSWER_MODULE, EMPTY_COMPONENT, runAnswer } from '../helpers/wasm-fixtures.ts';

const issuer = KeyPair.create('account');
const subject = KeyPair.create('module');

function sign(bytes: Uint8Array, extra: { expiresAt?: number; notBefore?: number } = {}): Uint8Array {
  const token = signActorClaims(
    {
      name: 'answer',
      hash: moduleHash(bytes),
      caps: ['wasmcloud:httpserver'],
      rev: 1,
      ver: '0.1.0',
      call_alias: 'test/answer',
    },
    { issuer, subject, ...extra },
  );
  return embedClaims(bytes, token);
}

describe('2022 claims fixtures', () => {
  it.each(claimsFixtures())(
    '$file decodes, verifies against its issuer and matches the manifest',
    (fixture) => {
      const claims = verifyActorClaims(claimsFixtureToken(fixture.file));
      expect(claims.sub).toBe(fixture.subject);
      expect(claims.iss).toBe(fixture.issuer);
      expect(claims.wascap.name).toBe(fixture.name);
      expect(claims.wascap.hash).toBe(fixture.module_hash);
      expect(claims.wascap.caps).toEqual(fixture.caps);
      expect(claims.wascap.call_alias ?? null).toBe(fixture.call_alias);
      expect(claims.wascap_revision).toBeUndefined();
      expect(fixture.signature_valid).toBe(true);
    },
  );

  it('detects a forged payload on a real 2022 token', () => {
    const [header, payload, signature] = claimsFixtureToken('kvcounter_unpriv_s.jwt').split('.') as [
      string,
      string,
      string,
    ];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    claims.wascap.caps.push('wasmcloud:keyvalue'); // try to grant the missing capability
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    expect(() => verifyActorClaims(forged)).toThrow(
      expect.objectContaining({ code: 'CLAIMS_BAD_SIGNATURE' }),
    );
  });
});

describe('signing and verifying wasm', () => {
  it('round-trips a core module, which still runs', () => {
    const signed = sign(ANSWER_MODULE);
    const verified = verifySignedWasm(signed);
    expect(verified.kind).toBe('module');
    expect(verified.hash).toBe(moduleHash(ANSWER_MODULE));
    expect(verified.claims.sub).toBe(subject.publicKey);
    expect(verified.claims.iss).toBe(issuer.publicKey);
    expect(verified.claims.wascap).toMatchObject({
      name: 'answer',
      caps: ['wasmcloud:httpserver'],
      rev: 1,
      ver: '0.1.0',
      call_alias: 'test/answer',
      prov: false,
    });
    expect(verified.claims.wascap_revision).toBe(WASCAP_REVISION);
    expect(runAnswer(signed)).toBe(42);
  });

  it('round-trips a component', () => {
    const verified = verifySignedWasm(sign(EMPTY_COMPONENT));
    expect(verified.kind).toBe('component');
    expect(verified.hash).toBe(moduleHash(EMPTY_COMPONENT));
  });

  it('detects one flipped byte anywhere in the code of a signed module or component', () => {
    for (const original of [ANSWER_MODULE, EMPTY_COMPONENT]) {
      const signed = sign(original);
      for (let at = 8; at < original.length; at++) {
        const tampered = Uint8Array.from(signed);
        tampered[at]! ^= 0x01;
        // Either the framing breaks (a WasmFormatError) or the hash no longer matches.
        expect(() => verifySignedWasm(tampered), `byte ${at}`).toThrow();
      }
      const tampered = Uint8Array.from(signed);
      tampered[original.length - 1]! ^= 0x40; // a byte that keeps the framing intact
      expect(() => verifySignedWasm(tampered)).toThrow(
        expect.objectContaining({ code: 'CLAIMS_HASH_MISMATCH' }),
      );
    }
  });

  it('refuses unsigned, expired and not-yet-valid modules with clear messages', () => {
    expect(() => verifySignedWasm(ANSWER_MODULE)).toThrow(/no claims found in this module/);
    const now = Math.floor(Date.now() / 1000);
    expect(() => verifySignedWasm(sign(ANSWER_MODULE, { expiresAt: now - 10 }))).toThrow(
      expect.objectContaining({ code: 'CLAIMS_EXPIRED' }),
    );
    expect(() => verifySignedWasm(sign(ANSWER_MODULE, { notBefore: now + 3600 }))).toThrow(
      expect.objectContaining({ code: 'CLAIMS_NOT_YET_VALID' }),
    );
    expect(
      verifySignedWasm(sign(ANSWER_MODULE, { expiresAt: now + 3600, notBefore: now - 10 })).claims.sub,
    ).toBe(subject.publicKey);
  });

  it('refuses a hash mismatch for a 2022 token (no wascap revision) too, naming both hashes', () => {
    const legacy = signJwt(
      {
        jti: 'x',
        iat: 1,
        iss: issuer.publicKey,
        sub: subject.publicKey,
        wascap: { name: 'old', hash: '00'.repeat(32), prov: false },
      },
      issuer,
    );
    expect(() => verifySignedWasm(embedClaims(ANSWER_MODULE, legacy))).toThrow(
      expect.objectContaining({
        code: 'CLAIMS_HASH_MISMATCH',
        message: `the module has been changed since it was signed: its hash is ${moduleHash(ANSWER_MODULE)}, the claims say ${'00'.repeat(32)}`,
      }),
    );
  });

  it('verifies a 2022-signed wasmbus echo, and refuses it once one byte of its data is edited', () => {
    const signed = sign2022ForTest(unsignedActor('wasmbus-echo'), { name: 'Echo' });
    const verified = verifySignedWasm(signed.bytes);
    expect(verified.claims.wascap_revision).toBeUndefined();
    expect(verified.claims.sub).toBe(signed.id);
    const tampered = tamperDataByte(signed.bytes);
    expect(() => verifySignedWasm(tampered)).toThrow(
      expect.objectContaining({
        code: 'CLAIMS_HASH_MISMATCH',
        message: expect.stringContaining(moduleHash(tampered)),
      }),
    );
  });

  it('refuses claims signed by the wrong kinds of keys, or about the wrong kind of subject', () => {
    const hash = moduleHash(ANSWER_MODULE);
    expect(() => signActorClaims({ hash }, { issuer: subject, subject })).toThrow(/issued by an account key/);
    expect(() => signActorClaims({ hash }, { issuer, subject: KeyPair.create('service') })).toThrow(
      /about a module key/,
    );
    const token = signJwt(
      { jti: 'x', iat: 1, iss: issuer.publicKey, sub: KeyPair.create('server').publicKey, wascap: { hash } },
      issuer,
    );
    expect(() => verifyActorClaims(token)).toThrow(expect.objectContaining({ code: 'CLAIMS_WRONG_SUBJECT' }));
    expect(() => verifyProviderClaims(token)).toThrow(/not provider claims/);
  });

  it('refuses malformed tokens', () => {
    expect(() => verifyActorClaims('only.two')).toThrow(ClaimsError);
    expect(() => verifyActorClaims('!!.??.**')).toThrow(/header/);
    const noWascap = signJwt({ jti: 'x', iat: 1, iss: issuer.publicKey, sub: subject.publicKey }, issuer);
    expect(() => verifyActorClaims(noWascap)).toThrow(/not actor claims/);
    const badIat = signJwt(
      { jti: 'x', iat: 'yesterday', iss: issuer.publicKey, sub: subject.publicKey, wascap: {} },
      issuer,
    );
    expect(() => verifyActorClaims(badIat)).toThrow(/iat/);
  });
});
