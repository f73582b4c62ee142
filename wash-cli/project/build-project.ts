// `wash build` (and each rebuild of `wash dev`), in this process: compile the project, sign it with
// the claims from wasmcloud.toml, and write build/{name}_s.wasm (an actor) or build/{name}.par.gz
// (a provider). The compilers are the ones the example actors and providers use (actors/toolchains:
// componentize-js's steps for TypeScript, kept warm between builds by warm-componentize.ts, and
// clang-14 for C; providers/packaging: esbuild into a js-node provider archive). A compiler's error is passed on as it wrote it (file and line), and the signed
// output is written by rename, so a failed build never leaves a half-built file signed.

import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { signActorClaims } from '../../lattice/claims.ts';
import { errorMessage } from '../../lattice/errors.ts';
import { embedClaims, moduleHash } from '../../lattice/wasm.ts';
import { WashError } from '../errors.ts';
import { resolveKeyPair } from '../keys-directory.ts';
import type { ActorProject, Project, ProviderProject } from './project-file.ts';
import { checkTypeScriptSyntax } from './syntax-check.ts';
import { type BuildSteps, componentizeWarm } from './warm-componentize.ts';

export interface BuiltProject {
  /** The signed artifact: build/{name}_s.wasm or build/{name}.par.gz. */
  path: string;
  /** The actor's (M…) or provider's (V…) public key. */
  publicKey: string;
  bytes: number;
  ms: number;
  /** Each step's time, for `wash dev --timings` (TypeScript actors: the componentize steps too). */
  steps: BuildSteps;
}

/** Where the keys are: the project's key_directory (relative to it), else ~/.wash/keys. */
function keyDirectory(project: Project): string | undefined {
  const configured = project.type === 'actor' ? project.actor.key_directory : project.provider.key_directory;
  return configured === undefined ? undefined : join(project.dir, configured);
}

/** Writes `bytes` to `path` through a temporary file and a rename: never a partial file. */
async function writeWhole(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  const partial = `${path}.partial`;
  await writeFile(partial, bytes);
  await rename(partial, path);
}

/** A compiler failure as the compiler wrote it, with the scratch paths put back to the project's. */
function buildFailed(project: Project, error: unknown, scratch: string, sourceDir: string): WashError {
  const text = errorMessage(error)
    .replaceAll(`${scratch}/`, `${relative(process.cwd(), sourceDir) || '.'}/`)
    .replace(/\.js\b/g, '.ts');
  return new WashError('WASH_BUILD_FAILED', `build of ${project.name} failed:\n${text}`, { cause: error });
}

async function compileC(project: ActorProject, scratch: string): Promise<Uint8Array> {
  // Loaded only for C projects: clang is a separate toolchain.
  const { compileC: clang } = await import('../../actors/toolchains/c.ts');
  const source = join(project.dir, project.actor.source);
  try {
    // The headers wash new copied beside the source.
    return await clang(source, join(scratch, `${project.name}.wasm`), dirname(source));
  } catch (error) {
    const message = errorMessage(error);
    if (/not found: install|to link wasm/.test(message))
      throw new WashError('WASH_TOOLCHAIN_MISSING', message, { cause: error });
    throw new WashError('WASH_BUILD_FAILED', `build of ${project.name} failed:\n${message}`, {
      cause: error,
    });
  }
}

async function compileTypeScript(
  project: ActorProject,
  scratch: string,
  steps: BuildSteps,
): Promise<Uint8Array> {
  const sourceDir = join(project.dir, project.actor.source, '..');
  const started = performance.now();
  await checkTypeScriptSyntax(sourceDir, project.name);
  steps.push(['syntax check', performance.now() - started]);
  try {
    return await componentizeWarm(
      { actorDir: sourceDir, workDir: scratch, witDir: join(project.dir, 'wit'), buildDir: scratch },
      basename(project.actor.source),
      project.actor.wit_world ?? project.name,
      steps,
    );
  } catch (error) {
    throw buildFailed(project, error, scratch, sourceDir);
  }
}

async function buildActor(project: ActorProject): Promise<BuiltProject> {
  const started = Date.now();
  const scratch = await mkdtemp(join(tmpdir(), `wash-build-${project.name}-`));
  const steps: BuildSteps = [];
  try {
    const bytes =
      project.language === 'c'
        ? await compileC(project, scratch)
        : await compileTypeScript(project, scratch, steps);
    const signing = performance.now();
    const directory = keyDirectory(project);
    const subject = resolveKeyPair({ name: project.name, kind: 'module', directory });
    const issuer = resolveKeyPair({ name: '', kind: 'account', directory });
    const token = signActorClaims(
      {
        name: project.name,
        hash: moduleHash(bytes),
        caps: project.actor.claims,
        ver: project.version,
        rev: project.revision,
        call_alias: project.actor.call_alias,
        tags: [],
      },
      { issuer, subject },
    );
    const file = project.actor.filename ?? `${project.name}.wasm`;
    const path = join(project.dir, 'build', file.replace(/\.wasm$/, '_s.wasm'));
    const signed = embedClaims(bytes, token);
    await writeWhole(path, signed);
    steps.push(['sign + write', performance.now() - signing]);
    return { path, publicKey: subject.publicKey, bytes: signed.length, ms: Date.now() - started, steps };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function buildProvider(project: ProviderProject): Promise<BuiltProject> {
  const started = Date.now();
  const { buildJsProviderArchive } = await import('../../providers/packaging/mod.ts');
  const directory = keyDirectory(project);
  const path = join(project.dir, 'build', `${project.name}.par.gz`);
  const partial = join(project.dir, 'build', `${project.name}.partial.par.gz`);
  try {
    const built = await buildJsProviderArchive({
      entry: join(project.dir, project.provider.source),
      capabilityId: project.provider.capability_id,
      name: project.name,
      vendor: project.provider.vendor,
      version: project.version,
      revision: project.revision,
      issuer: resolveKeyPair({ name: '', kind: 'account', directory }),
      subject: resolveKeyPair({ name: project.name, kind: 'service', directory }),
      out: partial,
      compress: true,
    });
    await rename(partial, path);
    const ms = Date.now() - started;
    return { path, publicKey: built.providerKey, bytes: built.archive.length, ms, steps: [['pack', ms]] };
  } catch (error) {
    await rm(partial, { force: true });
    if (error instanceof WashError) throw error;
    throw new WashError('WASH_BUILD_FAILED', `build of ${project.name} failed:\n${errorMessage(error)}`, {
      cause: error,
    });
  }
}

export function buildProject(project: Project): Promise<BuiltProject> {
  return project.type === 'actor' ? buildActor(project) : buildProvider(project);
}
