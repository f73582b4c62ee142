// Where wash keeps the keys it generates (as wash 0.1x): `$WASH_KEYS`, else `~/.wash/keys`.
// A key is given as a seed or a path to a file holding one; when none is given, wash reuses
// `{dir}/{name}_{kind}.nk`, or creates it there on first use and says so.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { errorMessage } from '../lattice/errors.ts';
import { type KeyKind, KeyPair } from '../lattice/keys.ts';
import { WashError } from './errors.ts';
import { warn } from './output.ts';

export function keysDirectory(explicit?: string): string {
  return explicit ?? process.env.WASH_KEYS ?? join(homedir(), '.wash', 'keys');
}

function currentUser(): string {
  try {
    return process.env.USER ?? userInfo().username;
  } catch {
    return 'user';
  }
}

export interface KeySource {
  /** A seed (S…) or a path to a file holding one, from a flag. */
  given?: string | undefined;
  /** The name the key file is kept under: the module's file stem; accounts use the user name. */
  name: string;
  kind: KeyKind;
  directory?: string | undefined;
  disableKeygen?: boolean | undefined;
}

/** The key pair a command should sign with, following wash's rules above. */
export function resolveKeyPair(source: KeySource): KeyPair {
  if (source.given) {
    const isFile = existsSync(source.given);
    const seed = isFile ? readFileSync(source.given, 'utf8').trim() : source.given.trim();
    try {
      return KeyPair.fromSeed(seed, source.kind);
    } catch (error) {
      const what = isFile ? `the file ${source.given}` : 'the given seed';
      throw new WashError('WASH_BAD_SEED', `${what} is not a ${source.kind} seed: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }
  const directory = keysDirectory(source.directory);
  const name = source.kind === 'account' ? currentUser() : source.name;
  const path = join(directory, `${name}_${source.kind}.nk`);
  if (existsSync(path)) {
    try {
      return KeyPair.fromSeed(readFileSync(path, 'utf8'), source.kind);
    } catch (error) {
      throw new WashError(
        'WASH_BAD_SEED',
        `the key file ${path} does not hold a ${source.kind} seed: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }
  if (source.disableKeygen) {
    throw new WashError(
      'WASH_NO_SEED',
      `no ${source.kind} key given and none found at ${path} (key generation is disabled)`,
    );
  }
  const keyPair = KeyPair.create(source.kind);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  writeFileSync(path, `${keyPair.seed}\n`, { mode: 0o600 });
  warn(`No ${source.kind} key found at ${path}: generated one and saved it there.`);
  return keyPair;
}
