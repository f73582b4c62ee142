// `npm run build`: builds every example actor (each folder here with a build.ts), signs it
// with the claims in its actor.json, and writes actors/build/{name}.wasm (unsigned) and
// {name}_s.wasm (signed). An actor whose inputs have not changed since its last build is
// skipped. Keys live in actors/build/keys, so an actor keeps its public key across builds.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { signActorClaims } from '../lattice/claims.ts';
import { loadOrCreateKeyPair } from '../lattice/key-files.ts';
import { embedClaims, moduleHash } from '../lattice/wasm.ts';
import {
  ACTORS_DIR,
  BUILD_DIR,
  type BuildContext,
  CONTRACTS_DIR,
  readManifest,
  withBuildContext,
} from './build-context.ts';

const KEYS_DIR = join(BUILD_DIR, 'keys');

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((path) => !path.includes(`${BUILD_DIR}/`))
    .sort();
}

/** A digest of everything a build depends on: the actor's files, the contracts and this script. */
async function inputDigest(actorDir: string): Promise<string> {
  const hash = createHash('sha256');
  const inputs = [
    ...(await filesUnder(actorDir)),
    ...(await filesUnder(CONTRACTS_DIR)),
    ...(await filesUnder(join(ACTORS_DIR, 'toolchains'))),
    join(ACTORS_DIR, 'build.ts'),
    join(ACTORS_DIR, 'build-context.ts'),
  ];
  for (const path of inputs) hash.update(relative(ACTORS_DIR, path)).update(await readFile(path));
  return hash.digest('hex');
}

export interface BuiltActor {
  name: string;
  signedPath: string;
  publicKey: string;
}

async function buildActor(folder: string, force: boolean): Promise<BuiltActor> {
  const actorDir = join(ACTORS_DIR, folder);
  const manifest = await readManifest(actorDir);
  const signedPath = join(BUILD_DIR, `${folder}_s.wasm`);
  const stampPath = join(BUILD_DIR, `${folder}.stamp`);
  const subject = await loadOrCreateKeyPair(KEYS_DIR, folder, 'module');
  const digest = await inputDigest(actorDir);
  const stamp = existsSync(stampPath) ? await readFile(stampPath, 'utf8') : '';
  if (!force && stamp === digest && existsSync(signedPath)) {
    console.log(`${folder}: up to date (${relative(process.cwd(), signedPath)})`);
    return { name: folder, signedPath, publicKey: subject.publicKey };
  }
  const started = Date.now();
  process.stdout.write(`${folder}: building…`);
  const { build } = (await import(join(actorDir, 'build.ts'))) as {
    build: (context: BuildContext) => Promise<Uint8Array>;
  };
  const bytes = await withBuildContext(actorDir, build);
  const token = signActorClaims(
    {
      name: manifest.name,
      hash: moduleHash(bytes),
      caps: manifest.caps,
      ver: manifest.version,
      rev: manifest.revision,
      call_alias: manifest.callAlias,
      tags: [],
    },
    { issuer: await loadOrCreateKeyPair(KEYS_DIR, 'wasmcloud-ts-examples', 'account'), subject },
  );
  await writeFile(join(BUILD_DIR, `${folder}.wasm`), bytes);
  await writeFile(signedPath, embedClaims(bytes, token));
  await writeFile(stampPath, digest);
  console.log(
    ` ${(bytes.length / 1024).toFixed(0)} KiB in ${((Date.now() - started) / 1000).toFixed(1)} s → ${relative(process.cwd(), signedPath)} (${subject.publicKey})`,
  );
  return { name: folder, signedPath, publicKey: subject.publicKey };
}

/** Builds the named actors (all when none are named). */
export async function buildActors(only: string[] = [], force = false): Promise<BuiltActor[]> {
  const folders: string[] = [];
  for (const entry of await readdir(ACTORS_DIR, { withFileTypes: true })) {
    if (entry.isDirectory() && existsSync(join(ACTORS_DIR, entry.name, 'build.ts'))) folders.push(entry.name);
  }
  const unknown = only.filter((name) => !folders.includes(name));
  if (unknown.length > 0)
    throw new Error(`no such actor: ${unknown.join(', ')} (actors: ${folders.join(', ')})`);
  const built: BuiltActor[] = [];
  for (const folder of folders.sort()) {
    if (only.length === 0 || only.includes(folder)) built.push(await buildActor(folder, force));
  }
  return built;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  try {
    await buildActors(
      args.filter((a) => a !== '--force'),
      force,
    );
  } catch (error) {
    console.error(`\nbuild failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
