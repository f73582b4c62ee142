import { describe, expect, it } from 'vitest';
import {
  actorEntity,
  decodeInvocation,
  encodeInvocation,
  type Invocation,
  invocationHash,
  providerEntity,
} from '../../lattice/invocation.ts';
import { InvocationSigner } from '../../lattice/invocation-signer.ts';
import {
  checkActorCapability,
  checkProviderInvocation,
  InvocationBadHostIdError,
  InvocationExpiredError,
  InvocationHashMismatchError,
  InvocationMissingCapabilityError,
  InvocationMissingMetadataError,
  InvocationNotLinkedError,
  InvocationNotYetValidError,
  InvocationOriginMismatchError,
  type InvocationRejectedError,
  InvocationSignatureError,
  InvocationTargetMismatchError,
  InvocationTokenMalformedError,
  InvocationUnknownIssuerError,
  InvocationWrongProviderError,
  validateInvocation,
} from '../../lattice/invocation-validation.ts';
import { signJwt } from '../../lattice/jwt.ts';
import { KeyPair } from '../../lattice/keys.ts';

const cluster = KeyPair.create('cluster');
const host = KeyPair.create('server');
const actor = KeyPair.create('module').publicKey;
const provider = KeyPair.create('service').publicKey;
const signer = new InvocationSigner(cluster, host.publicKey);
const trusted = { clusterIssuers: new Set([cluster.publicKey]) };

function fromProvider(msg = Buffer.from('hello')): Invocation {
  return signer.sign({
    origin: providerEntity(provider, 'wasmcloud:httpserver', 'default'),
    target: actorEntity(actor),
    operation: 'HttpServer.HandleRequest',
    msg,
  });
}

/** Re-signs a token payload with the cluster key, to test checks that come after the signature. */
function withPayload(invocation: Invocation, change: (payload: Record<string, unknown>) => void): Invocation {
  const payload = JSON.parse(Buffer.from(invocation.encoded_claims.split('.')[1]!, 'base64url').toString());
  change(payload);
  return { ...invocation, encoded_claims: signJwt(payload, cluster) };
}

describe('validateInvocation', () => {
  it('accepts a signed invocation after a trip through msgpack, and names the issuer', () => {
    const received = decodeInvocation(encodeInvocation(fromProvider()));
    expect(validateInvocation(received, trusted)).toEqual({ issuer: cluster.publicKey });
  });

  it('writes the token as the 2022 hosts do: sub = invocation id, wascap URLs and hash, no exp', () => {
    const invocation = fromProvider();
    const payload = JSON.parse(Buffer.from(invocation.encoded_claims.split('.')[1]!, 'base64url').toString());
    expect(payload).toMatchObject({
      iss: cluster.publicKey,
      sub: invocation.id,
      wascap: {
        origin_url: `wasmbus://wasmcloud/httpserver/default/${provider}`,
        target_url: `wasmbus://${actor}/HttpServer.HandleRequest`,
      },
    });
    expect(payload.exp).toBeUndefined();
    expect(payload.wascap.hash).toMatch(/^[0-9A-F]{64}$/);
  });

  const cases: Array<
    [string, () => Invocation, new (...args: never[]) => InvocationRejectedError, string, object?]
  > = [
    [
      'a token without three segments',
      () => ({ ...fromProvider(), encoded_claims: 'a.b' }),
      InvocationTokenMalformedError,
      'INVOCATION_TOKEN_MALFORMED',
    ],
    [
      'a token with another header',
      () => {
        const inv = fromProvider();
        const [, payload, signature] = inv.encoded_claims.split('.');
        return {
          ...inv,
          encoded_claims: `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.${signature}`,
        };
      },
      InvocationTokenMalformedError,
      'INVOCATION_TOKEN_MALFORMED',
    ],
    [
      'a signature by another key',
      () => {
        const inv = fromProvider();
        const [header, payload] = inv.encoded_claims.split('.');
        const forged = Buffer.from(
          KeyPair.create('cluster').sign(Buffer.from(`${header}.${payload}`)),
        ).toString('base64url');
        return { ...inv, encoded_claims: `${header}.${payload}.${forged}` };
      },
      InvocationSignatureError,
      'INVOCATION_BAD_SIGNATURE',
    ],
    [
      'an expired token',
      () =>
        withPayload(fromProvider(), (p) => {
          p.exp = 1000;
        }),
      InvocationExpiredError,
      'INVOCATION_EXPIRED',
    ],
    [
      'a token not valid yet',
      () =>
        withPayload(fromProvider(), (p) => {
          p.nbf = 4_000_000_000;
        }),
      InvocationNotYetValidError,
      'INVOCATION_NOT_YET_VALID',
    ],
    [
      'a token without wascap',
      () =>
        withPayload(fromProvider(), (p) => {
          delete p.wascap;
        }),
      InvocationMissingMetadataError,
      'INVOCATION_NO_METADATA',
    ],
    [
      'a changed payload',
      () => ({ ...fromProvider(), msg: Buffer.from('hellO') }),
      InvocationHashMismatchError,
      'INVOCATION_HASH_MISMATCH',
    ],
    [
      'a changed operation',
      () => ({ ...fromProvider(), operation: 'HttpServer.Other' }),
      InvocationHashMismatchError,
      'INVOCATION_HASH_MISMATCH',
    ],
    [
      'a bad host id',
      () => ({ ...fromProvider(), host_id: 'me' }),
      InvocationBadHostIdError,
      'INVOCATION_BAD_HOST_ID',
    ],
    [
      'an untrusted cluster key',
      () =>
        new InvocationSigner(KeyPair.create('cluster'), host.publicKey).sign({
          origin: actorEntity(actor),
          target: actorEntity(actor),
          operation: 'X',
          msg: Buffer.from(''),
        }),
      InvocationUnknownIssuerError,
      'INVOCATION_UNKNOWN_ISSUER',
    ],
  ];

  it.each(cases)('rejects %s', (_what, make, ErrorClass, code) => {
    const invocation = make();
    expect(() => validateInvocation(invocation, trusted)).toThrow(ErrorClass);
    expect(() => validateInvocation(invocation, trusted)).toThrow(expect.objectContaining({ code }));
    expect(() => validateInvocation(invocation, trusted)).toThrow(
      new RegExp(`invocation ${invocation.id.replaceAll('-', '\\-')} rejected`),
    );
  });

  it('rejects a token whose target URL differs even though its hash was computed for it', () => {
    const other = actorEntity(KeyPair.create('module').publicKey);
    const forOther = signer.sign({
      origin: actorEntity(actor),
      target: other,
      operation: 'Op',
      msg: Buffer.from('m'),
    });
    // Same hash inputs except the target URL in the token: move the token onto an invocation for `actor`.
    const moved = withPayload({ ...forOther, target: actorEntity(actor) }, (p) => {
      const wascap = p.wascap as Record<string, string>;
      wascap.hash = hashFor(`wasmbus://${actor}`, `wasmbus://${actor}/Op`, 'Op', 'm');
    });
    expect(() => validateInvocation(moved, trusted)).toThrow(InvocationTargetMismatchError);
  });

  it('rejects a token whose origin URL differs from the invocation origin', () => {
    const invocation = signer.sign({
      origin: actorEntity(actor),
      target: actorEntity(actor),
      operation: 'Op',
      msg: Buffer.from('m'),
    });
    const moved = withPayload(invocation, (p) => {
      (p.wascap as Record<string, string>).origin_url = `wasmbus://${KeyPair.create('module').publicKey}`;
    });
    expect(() => validateInvocation(moved, trusted)).toThrow(InvocationOriginMismatchError);
  });

  it('accepts the OTP habit of host_id = the cluster key', () => {
    const invocation = { ...fromProvider(), host_id: cluster.publicKey };
    expect(() => validateInvocation(invocation, trusted)).not.toThrow();
  });
});

describe('provider and actor checks', () => {
  it('a provider accepts only invocations for itself from linked actors', () => {
    const invocation = signer.sign({
      origin: actorEntity(actor),
      target: providerEntity(provider, 'wasmcloud:keyvalue', 'default'),
      operation: 'KeyValue.Get',
      msg: Buffer.from('k'),
    });
    expect(() => checkProviderInvocation(invocation, provider, (a) => a === actor)).not.toThrow();
    expect(() =>
      checkProviderInvocation(invocation, KeyPair.create('service').publicKey, () => true),
    ).toThrow(InvocationWrongProviderError);
    expect(() => checkProviderInvocation(invocation, provider, () => false)).toThrow(
      InvocationNotLinkedError,
    );
  });

  it('an actor is called by a provider only when its claims list the contract; actors may always call it', () => {
    const invocation = fromProvider();
    expect(() => checkActorCapability(invocation, ['wasmcloud:httpserver'])).not.toThrow();
    expect(() => checkActorCapability(invocation, ['wasmcloud:keyvalue'])).toThrow(
      InvocationMissingCapabilityError,
    );
    expect(() => checkActorCapability(invocation, [])).toThrow(
      /missing capability claim for wasmcloud:httpserver/,
    );
    const fromActor = signer.sign({
      origin: actorEntity(actor),
      target: actorEntity(actor),
      operation: 'Op',
      msg: Buffer.from(''),
    });
    expect(() => checkActorCapability(fromActor, [])).not.toThrow();
  });
});

function hashFor(origin: string, target: string, operation: string, msg: string): string {
  return invocationHash(origin, target, operation, Buffer.from(msg));
}
