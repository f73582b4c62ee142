// componentize-js's steps for a TypeScript actor, run the way a long-lived `wash dev` process can
// afford: what depends only on the WIT world (the spliced engine, compiled once by V8) is kept, and
// what depends on the source is redone per build. Per build, componentize() runs wizer as a new
// process (1.2–2.3 s here) and stubWasi, componentNew and metadataAdd (1.5–2 s); here the engine is
// pre-initialized in this process (wasm-snapshot.ts, ~0.1–0.4 s) and, from the second build on, the
// new memory is put into the last component (component-transplant.ts) instead of running the last
// steps again. The steps are componentize-js 0.23's (src/componentize.js) with every WASI feature
// disabled, as our toolchain builds actors; anything this cannot do falls back to componentize().

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { BuildContext } from '../../actors/build-context.ts';
import { buildTypeScriptComponent, stripSources } from '../../actors/toolchains/typescript.ts';
import { transplantSnapshot } from './component-transplant.ts';
import { cacheSplicedBindings, type Splicer, witDigest } from './splice-cache.ts';
import { SnapshotInitError, SnapshotUnsupportedError, WasmSnapshotter } from './wasm-snapshot.ts';

/** How long each step of a build took, in order: [name, ms]. */
export type BuildSteps = Array<[string, number]>;

/** componentize-js's check_init() results (CHECK_INIT_RETURN_*). */
const CHECK_INIT_ERRORS: Record<number, string> = {
  1: 'Unable to extract expected exports list',
  2: 'Unable to parse the core ABI export types',
};
const INIT_FUNCTION = 'componentize.wizer';

/** One WIT world's engine, spliced and compiled, and the last build made with it. */
interface WorldEngine {
  key: string;
  splicer: Splicer;
  witDir: string;
  world: string;
  jsBindings: string;
  env: Record<string, string>;
  snapshotter: WasmSnapshotter;
  last: { core: Uint8Array; component: Uint8Array } | undefined;
}

/** The wizer environment componentize() passes: the exports' and imports' core signatures. */
export function initEnvironment(splice: ReturnType<Splicer['spliceBindings']>): Record<string, string> {
  const env: Record<string, string> = {
    DEBUG: '',
    SOURCE_NAME: 'source.js',
    EXPORT_CNT: String(splice.exports.length),
    FEATURE_CLOCKS: '',
  };
  for (const [index, [name, spec]] of splice.exports.entries()) {
    env[`EXPORT${index}_NAME`] = name;
    env[`EXPORT${index}_ARGS`] = (spec.paramptr ? '*' : '') + spec.params.join(',');
    env[`EXPORT${index}_RET`] = (spec.retptr ? '*' : '') + (spec.ret ?? '');
    env[`EXPORT${index}_RETSIZE`] = String(spec.retsize);
  }
  for (const [index, [, name, argumentCount]] of splice.imports.entries()) {
    env[`IMPORT${index}_NAME`] = name;
    env[`IMPORT${index}_ARGCNT`] = String(argumentCount);
  }
  env.IMPORT_CNT = String(splice.imports.length);
  return env;
}

let engine: Promise<WorldEngine | undefined> | undefined;

async function prepareEngine(key: string, witDir: string, world: string): Promise<WorldEngine | undefined> {
  const splicer = await cacheSplicedBindings();
  if (splicer === undefined) return undefined;
  const componentizeJs = import.meta.resolve('@bytecodealliance/componentize-js');
  const engineBytes = await readFile(new URL('../lib/starlingmonkey_embedding.wasm', componentizeJs));
  const splice = splicer.spliceBindings(engineBytes, [], undefined, witDir, world, false);
  try {
    const snapshotter = await WasmSnapshotter.compile(splice.wasm);
    const env = initEnvironment(splice);
    return { key, splicer, witDir, world, jsBindings: splice.jsBindings, env, snapshotter, last: undefined };
  } catch (error) {
    if (error instanceof SnapshotUnsupportedError) return undefined;
    throw error;
  }
}

/** The engine for this world: the one kept if the WIT files are unchanged, else a new one. */
async function engineFor(witDir: string, world: string): Promise<WorldEngine | undefined> {
  const key = `${world}\0${witDigest(witDir)}`;
  const kept = await engine?.catch(() => undefined);
  if (kept?.key === key) return kept;
  engine = prepareEngine(key, witDir, world);
  return engine;
}

function checkInit(exports: WebAssembly.Exports): void {
  const checkInitFunction = exports.check_init;
  if (typeof checkInitFunction !== 'function') throw new SnapshotUnsupportedError('no check_init export');
  const status = (checkInitFunction as () => number)();
  if (status === 0) return;
  throw new SnapshotInitError(CHECK_INIT_ERRORS[status] ?? `Unknown error during initialization: ${status}`);
}

/** stubWasi, componentNew and metadataAdd, as componentize() ends. */
export async function finishComponent(
  splicer: Splicer,
  witDir: string,
  world: string,
  core: Uint8Array,
): Promise<Uint8Array> {
  const jco = await import('@bytecodealliance/jco');
  const { version } = JSON.parse(
    await readFile(
      new URL('../package.json', import.meta.resolve('@bytecodealliance/componentize-js')),
      'utf8',
    ),
  ) as { version: string };
  const stubbed = splicer.stubWasi(core, [], undefined, witDir, world);
  const adapter = await readFile(jco.preview1AdapterReactorPath());
  const component = await jco.componentNew(stubbed, [['wasi_snapshot_preview1', adapter]]);
  return jco.metadataAdd(component, [
    ['language', [['JavaScript', '']]],
    ['processed-by', [['ComponentizeJS', version]]],
  ]);
}

/**
 * Builds the component of `entry` (an actor's .ts file) for `world`, as buildTypeScriptComponent
 * does, keeping what the next build of the same world can reuse.
 */
export async function componentizeWarm(
  context: BuildContext,
  entry: string,
  world: string,
  steps: BuildSteps = [],
): Promise<Uint8Array> {
  let at = performance.now();
  const step = (name: string) => {
    const now = performance.now();
    steps.push([name, now - at]);
    at = now;
  };
  const state = await engineFor(context.witDir, world);
  if (state === undefined) return buildTypeScriptComponent(context, entry, world);
  step('engine');
  const sourcePath = await stripSources(context, entry);
  step('strip types');
  const initDir = join(context.workDir, '.componentize');
  await mkdir(initDir, { recursive: true });
  await writeFile(join(initDir, 'initializer.js'), state.jsBindings);
  let core: Uint8Array;
  try {
    core = state.snapshotter.run(
      {
        initFunction: INIT_FUNCTION,
        env: state.env,
        // As componentize() preopens them for wizer: its own folder, and the source's as `/`.
        preopens: { [initDir]: initDir, '/': context.workDir },
        stdin: `--initializer-script-path ${join(initDir, 'initializer.js')} --strip-path-prefix ${context.workDir}/ ${basename(sourcePath)}`,
        stdinPath: join(initDir, 'stdin'),
        stderrPath: join(initDir, 'stderr'),
      },
      checkInit,
    );
  } catch (error) {
    if (error instanceof SnapshotUnsupportedError) return buildTypeScriptComponent(context, entry, world);
    if (error instanceof SnapshotInitError) {
      // The engine names the source as it sees it (`actor.js:23:20`); with the scratch folder in
      // front, as wizer's runs showed it, wash build puts the project's path and .ts back.
      const located = error.message.replace(/(^|[\s@(])([\w.-]+\.js:\d+)/gm, `$1${context.workDir}/$2`);
      throw new Error(`Failed to initialize component:\n${located}`, { cause: error });
    }
    throw error;
  } finally {
    await rm(initDir, { recursive: true, force: true });
  }
  step('pre-initialize');
  const previous = state.last;
  const swapped = previous && transplantSnapshot(previous.component, previous.core, core);
  const component = swapped ?? (await finishComponent(state.splicer, state.witDir, state.world, core));
  step(swapped ? 'memory into last component' : 'stubWasi + componentNew');
  state.last = { core, component };
  return component;
}
