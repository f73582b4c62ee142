// What every example actor's build.ts receives and returns. Each actor folder holds
// `world.wit` (its world, using the contracts in actors/wit), its sources, `actor.json`
// (name and claims to sign with) and `build.ts` exporting `build(context)`.

import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export const ACTORS_DIR = import.meta.dirname;
export const CONTRACTS_DIR = join(ACTORS_DIR, 'wit');
export const BUILD_DIR = join(ACTORS_DIR, 'build');

export interface BuildContext {
  /** The actor's folder, e.g. actors/echo. */
  actorDir: string;
  /** A scratch folder for this build, removed afterwards. */
  workDir: string;
  /** A WIT folder ready for tools: the actor's world.wit plus every contract under deps/. */
  witDir: string;
  /** Where build output goes (actors/build), for intermediate files worth keeping. */
  buildDir: string;
}

/** What `build()` returns: the unsigned core module or component. */
export type BuildResult = Uint8Array;

/** The claims an actor is signed with, from its actor.json. */
export interface ActorManifest {
  name: string;
  caps: string[];
  version: string;
  revision: number;
  callAlias?: string;
}

export async function readManifest(actorDir: string): Promise<ActorManifest> {
  return JSON.parse(await readFile(join(actorDir, 'actor.json'), 'utf8')) as ActorManifest;
}

/** Lays out `world.wit` + `deps/{contract}/{contract}.wit` the way wit-parser expects. */
async function assembleWitDir(actorDir: string, workDir: string): Promise<string> {
  const witDir = join(workDir, 'wit');
  await mkdir(join(witDir, 'deps'), { recursive: true });
  await cp(join(actorDir, 'world.wit'), join(witDir, 'world.wit'));
  const { readdir } = await import('node:fs/promises');
  for (const file of await readdir(CONTRACTS_DIR)) {
    if (!file.endsWith('.wit')) continue;
    const contract = basename(file, '.wit');
    await mkdir(join(witDir, 'deps', contract), { recursive: true });
    await cp(join(CONTRACTS_DIR, file), join(witDir, 'deps', contract, file));
  }
  return witDir;
}

export async function withBuildContext<T>(
  actorDir: string,
  run: (context: BuildContext) => Promise<T>,
): Promise<T> {
  const workDir = await mkdtemp(join(tmpdir(), `actor-${basename(actorDir)}-`));
  try {
    const witDir = await assembleWitDir(actorDir, workDir);
    await mkdir(BUILD_DIR, { recursive: true });
    return await run({ actorDir, workDir, witDir, buildDir: BUILD_DIR });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
