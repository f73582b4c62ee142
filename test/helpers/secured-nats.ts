// A secured nats-server for tests, as an operator would run one for a lattice: operator mode with
// a system account and one lattice account (JetStream on), TLS with a CA of the test's own, and
// user credentials both ways the host takes them — JWT + seed, and `.creds` files. Also the
// wrong credentials the failure tests need: a creds file of an account the server does not know.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createAccount,
  createOperator,
  createUser,
  credsFileText,
  type NatsAccount,
  type NatsUser,
} from './nats-auth.ts';
import { type NatsServer, startNatsServer } from './nats-server.ts';
import { createTlsFiles, type TlsFiles } from './tls-certs.ts';

export interface SecuredNats {
  server: NatsServer;
  tls: TlsFiles;
  /** The account the lattice lives in. */
  account: NatsAccount;
  /** A new user of the lattice account. */
  user(name: string): NatsUser;
  /** Writes `{name}.creds` for `user` into the test's directory; its path. */
  credsFile(name: string, user: NatsUser): string;
  /** A creds file of a user whose account the server has never heard of. */
  strangerCredsFile(): string;
}

/** Starts the server; its certificates and creds files go into `dir` (the caller removes it). */
export async function startSecuredNats(dir: string): Promise<SecuredNats> {
  const tls = createTlsFiles(dir);
  const operator = createOperator('wasmcloud-ts-test');
  const system = createAccount(operator, 'SYS', { jetstream: false });
  const account = createAccount(operator, 'LATTICE', { jetstream: true });
  const server = await startNatsServer({
    operator: {
      operatorJwt: operator.jwt,
      systemAccount: system.key.publicKey,
      accounts: { [system.key.publicKey]: system.jwt, [account.key.publicKey]: account.jwt },
    },
    tls,
  });
  const credsFile = (name: string, user: NatsUser) => {
    const path = join(dir, `${name}.creds`);
    writeFileSync(path, credsFileText(user), { mode: 0o600 });
    return path;
  };
  return {
    server,
    tls,
    account,
    user: (name) => createUser(account, name),
    credsFile,
    strangerCredsFile: () =>
      credsFile('stranger', createUser(createAccount(operator, 'UNKNOWN', { jetstream: true }), 'stranger')),
  };
}
