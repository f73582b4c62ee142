// NATS decentralized auth for tests, made without `nsc`: an operator, accounts (JetStream on or
// off) and users as nats-server 2.9 reads them — v2 JWTs with header {"typ":"JWT","alg":"ed25519-nkey"}
// signed over `header.payload` by the issuer's nkey, a `nats` claim object naming the type — and
// `.creds` files. The server takes the operator JWT and preloads the account JWTs
// (`resolver: MEMORY`, see nats-server.ts); clients present a user JWT and sign the server's nonce
// with the user seed.

import { createHash } from 'node:crypto';
import { KeyPair } from '../../lattice/keys.ts';

const HEADER = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' })).toString('base64url');

/** Signs NATS claims; `jti`, the token's unique id, is a SHA-512/256 of the claims without it. */
function encodeNatsJwt(claims: Record<string, unknown>, signer: KeyPair): string {
  const withoutId = { ...claims, jti: '', iat: Math.floor(Date.now() / 1000) };
  const jti = createHash('sha512-256').update(JSON.stringify(withoutId)).digest().toString('base64url');
  const payload = Buffer.from(JSON.stringify({ ...withoutId, jti })).toString('base64url');
  const body = `${HEADER}.${payload}`;
  return `${body}.${Buffer.from(signer.sign(Buffer.from(body, 'latin1'))).toString('base64url')}`;
}

/** "No limit" for every account limit nats-server 2.9 reads (JetStream on: storage -1). */
function accountLimits(jetstream: boolean): Record<string, number | boolean> {
  const storage = jetstream ? -1 : 0;
  return {
    subs: -1,
    data: -1,
    payload: -1,
    imports: -1,
    exports: -1,
    wildcards: true,
    conn: -1,
    leaf: -1,
    mem_storage: storage,
    disk_storage: storage,
    streams: jetstream ? -1 : 0,
    consumer: jetstream ? -1 : 0,
  };
}

export interface NatsOperator {
  key: KeyPair;
  jwt: string;
}

export interface NatsAccount {
  key: KeyPair;
  name: string;
  jwt: string;
}

export interface NatsUser {
  key: KeyPair;
  /** The user JWT, issued by its account. */
  jwt: string;
  /** The user's nkey seed (SU…). */
  seed: string;
}

export function createOperator(name: string): NatsOperator {
  const key = KeyPair.create('operator');
  const jwt = encodeNatsJwt(
    { iss: key.publicKey, sub: key.publicKey, name, nats: { type: 'operator', version: 2 } },
    key,
  );
  return { key, jwt };
}

/** An account signed by the operator; `jetstream` gives it unlimited JetStream storage. */
export function createAccount(
  operator: NatsOperator,
  name: string,
  options: { jetstream: boolean },
): NatsAccount {
  const key = KeyPair.create('account');
  const jwt = encodeNatsJwt(
    {
      iss: operator.key.publicKey,
      sub: key.publicKey,
      name,
      nats: {
        limits: accountLimits(options.jetstream),
        default_permissions: { pub: {}, sub: {} },
        type: 'account',
        version: 2,
      },
    },
    operator.key,
  );
  return { key, name, jwt };
}

/** A user of `account` with no permission limits. */
export function createUser(account: NatsAccount, name: string): NatsUser {
  const key = KeyPair.create('user');
  const jwt = encodeNatsJwt(
    {
      iss: account.key.publicKey,
      sub: key.publicKey,
      name,
      nats: { pub: {}, sub: {}, subs: -1, data: -1, payload: -1, type: 'user', version: 2 },
    },
    account.key,
  );
  return { key, jwt, seed: key.seed };
}

/** A `.creds` file's text, as `nsc generate creds` writes it. */
export function credsFileText(user: NatsUser): string {
  return [
    '-----BEGIN NATS USER JWT-----',
    user.jwt,
    '------END NATS USER JWT------',
    '',
    '************************* IMPORTANT *************************',
    'NKEY Seed printed below can be used to sign and prove identity.',
    'NKEYs are sensitive and should be treated as secrets.',
    '',
    '-----BEGIN USER NKEY SEED-----',
    user.seed,
    '------END USER NKEY SEED------',
    '',
    '*************************************************************',
    '',
  ].join('\n');
}
