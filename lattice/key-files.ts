// Key pairs kept as seed files the way wash keeps its keys, `{directory}/{name}_{kind}.nk`: read
// when the file is there, else created and saved (owner-only), so what is signed with it keeps its
// public key from one build to the next. The example builds (actors/build.ts, providers/build.ts)
// share it: it sits here, beside KeyPair, because both already build on lattice/ and neither may
// import the other's room.

import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type KeyKind, KeyPair } from './keys.ts';

/** The `kind` key pair named `name` in `directory`, created there on first use. */
export async function loadOrCreateKeyPair(directory: string, name: string, kind: KeyKind): Promise<KeyPair> {
  const path = join(directory, `${name}_${kind}.nk`);
  if (existsSync(path)) return KeyPair.fromSeed(await readFile(path, 'utf8'), kind);
  const created = KeyPair.create(kind);
  await mkdir(directory, { recursive: true });
  await writeFile(path, `${created.seed}\n`, { mode: 0o600 });
  return created;
}
