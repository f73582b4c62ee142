// Turns signed actor bytes into something a worker can instantiate: verify the claims,
// cap the memory, add yield points to wasmbus modules (so a call stops at its timeout without
// blocking its worker), compile once per module hash (a cache keyed by hash), and for components
// transpile jco's glue (kept for the next build of the same component: transpile-cache.ts) and
// check that every import is one this host provides. jco is loaded with
// the first component: it costs a host ~40 MB of RSS that one running only wasmbus modules never needs.

import type { transpileBytes } from '@bytecodealliance/jco-transpile';
import { type VerifiedWasm, verifySignedWasm } from '../../lattice/claims.ts';
import { errorMessage, LatticeError } from '../../lattice/errors.ts';
import { asyncFunctions } from './component-instance.ts';
import { ACTOR_CALL_INTERFACE, IMPORTED_OPERATIONS } from './contracts.ts';
import { ActorLoadError } from './errors.ts';
import { capMemory, MemoryCapError } from './memory-cap.ts';
import { TranspileCache } from './transpile-cache.ts';
import type { LoadedActor } from './types.ts';
import { WASI_INTERFACES } from './wasi-sandbox.ts';
import { WasmDecodeError } from './wasm-reader.ts';
import type { ActorDefinition } from './worker-protocol.ts';
import { addYieldPoints, YIELD_MODULE, YIELD_NAME } from './yield-points.ts';

/** The imports a wasmbus module may ask for (module `wasmbus`). */
const WASMBUS_IMPORTS = new Set([
  '__guest_request',
  '__guest_response',
  '__guest_error',
  '__host_call',
  '__host_response',
  '__host_response_len',
  '__host_error',
  '__host_error_len',
  '__console_log',
]);

/** The interfaces a component may import (without versions). */
const COMPONENT_IMPORTS = new Set<string>([
  ...WASI_INTERFACES,
  ...IMPORTED_OPERATIONS.map((spec) => spec.witInterface),
  'wasmcloud:builtin/logging',
  'wasmcloud:builtin/numbergen',
  ACTOR_CALL_INTERFACE,
]);

const withoutVersion = (name: string) => name.replace(/@[^@/]*$/, '');

async function compileModule(
  bytes: Uint8Array,
  maxPages: number,
  rewrite: (bytes: Uint8Array) => Uint8Array = (capped) => capped,
): Promise<WebAssembly.Module> {
  let capped: Uint8Array;
  try {
    capped = capMemory(bytes, maxPages);
    // A copy of its own (slice is one memcpy; Uint8Array.from iterated, 60 ms for 12 MB).
    return await WebAssembly.compile(rewrite(capped).slice());
  } catch (error) {
    if (error instanceof MemoryCapError) throw new ActorLoadError('ACTOR_MEMORY_CAP', error.message);
    if (error instanceof WasmDecodeError) {
      // Bytes the module itself cannot compile with are an invalid module, not an instrumenting problem.
      await WebAssembly.compile(Uint8Array.from(bytes)).catch((invalid: unknown) => {
        throw new ActorLoadError(
          'ACTOR_INVALID_WASM',
          `the module does not compile: ${errorMessage(invalid)}`,
        );
      });
      throw new ActorLoadError(
        'ACTOR_NOT_INTERRUPTIBLE',
        `the host cannot add yield points (how it stops a call at its timeout) to the module: ${error.message}`,
      );
    }
    throw new ActorLoadError('ACTOR_INVALID_WASM', `the module does not compile: ${errorMessage(error)}`);
  }
}

async function prepareModule(
  bytes: Uint8Array,
  maxPages: number,
  yieldPoints: boolean,
): Promise<ActorDefinition> {
  const module = await compileModule(
    bytes,
    maxPages,
    yieldPoints ? (capped) => addYieldPoints(capped) : undefined,
  );
  for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
    if (yieldPoints && from === YIELD_MODULE && name === YIELD_NAME && kind === 'function') continue; // ours
    if (from !== 'wasmbus' || !WASMBUS_IMPORTS.has(name)) {
      throw new ActorLoadError(
        'ACTOR_UNKNOWN_IMPORT',
        `the module imports ${from}.${name}, which the wasmbus ABI does not provide`,
      );
    }
  }
  const exports = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  for (const required of ['__guest_call', 'memory']) {
    if (!exports.has(required))
      throw new ActorLoadError(
        'ACTOR_NOT_WASMBUS',
        `the module does not export ${required}: it is not a wasmbus actor`,
      );
  }
  return { kind: 'module', module };
}

/** The last component's transpile, remade for the next one of its shape (a live update's new build). */
const transpiles = new TranspileCache<Awaited<ReturnType<typeof transpileBytes>>>();

async function prepareComponent(bytes: Uint8Array, maxPages: number): Promise<ActorDefinition> {
  const asyncMode = asyncFunctions();
  let transpiled: Awaited<ReturnType<typeof transpileBytes>>;
  try {
    const jco = await import('@bytecodealliance/jco-transpile');
    transpiled = await transpiles.transpile(bytes, (component) =>
      jco.transpileBytes(component, {
        name: 'actor',
        instantiation: { tag: 'async' },
        asyncMode: 'jspi',
        asyncImports: asyncMode.imports,
        asyncExports: asyncMode.exports,
      }),
    );
  } catch (error) {
    throw new ActorLoadError(
      'ACTOR_INVALID_COMPONENT',
      `the component cannot be loaded: ${errorMessage(error)}`,
      { cause: error },
    );
  }
  const unknown = transpiled.imports.map(withoutVersion).filter((name) => !COMPONENT_IMPORTS.has(name));
  if (unknown.length > 0) {
    throw new ActorLoadError(
      'ACTOR_UNKNOWN_IMPORT',
      `the component imports ${unknown.join(', ')}, which this host does not provide`,
    );
  }
  const coreModules: Record<string, WebAssembly.Module> = {};
  for (const [name, file] of Object.entries(transpiled.files)) {
    if (name.endsWith('.wasm')) coreModules[name] = await compileModule(file, maxPages);
  }
  const glue = transpiled.files['actor.js'];
  if (!glue) throw new ActorLoadError('ACTOR_INVALID_COMPONENT', 'jco produced no glue for the component');
  const exportedInterfaces = transpiled.exports
    .map(([name]) => withoutVersion(name))
    .filter((name) => name.includes('/'));
  return { kind: 'component', glue: Buffer.from(glue).toString('utf8'), coreModules, exportedInterfaces };
}

export interface PreparedActor {
  actor: LoadedActor;
  definition: ActorDefinition;
}

/** Compiled definitions by module hash, memory cap and yield points: each module is compiled once. */
const compiled = new Map<string, Promise<ActorDefinition>>();

/** How many compiled definitions are kept (the test of forgetCompiledExcept reads it). */
export function compiledDefinitions(): number {
  return compiled.size;
}

/**
 * Lets go of the definitions of modules no longer loaded (a live update's old version): each holds
 * its wire bytes and all the code workers compiled for it, ~13 MB a version for a JS component.
 */
export function forgetCompiledExcept(hashesInUse: ReadonlySet<string>): void {
  for (const key of compiled.keys())
    if (!hashesInUse.has(key.slice(0, key.indexOf('/')))) compiled.delete(key);
}

/** The bytes' claims, verified (an Ed25519 signature and a SHA-256 of the module): once per load. */
function verify(bytes: Uint8Array): VerifiedWasm {
  try {
    return verifySignedWasm(bytes);
  } catch (error) {
    if (error instanceof LatticeError) throw new ActorLoadError(error.code, error.message, { cause: error });
    throw error;
  }
}

/**
 * Compiles the signed bytes for the workers. `alreadyVerified`: what verifySignedWasm said of these
 * very bytes, when the caller had to verify them first (the actor supervisor, to learn the key).
 */
export async function prepareActor(
  bytes: Uint8Array,
  maxPages: number,
  yieldPoints = true,
  alreadyVerified?: VerifiedWasm,
): Promise<PreparedActor> {
  const verified = alreadyVerified ?? verify(bytes);
  const key = `${verified.hash}/${maxPages}/${yieldPoints}`;
  let definition = compiled.get(key);
  if (!definition) {
    definition =
      verified.kind === 'module'
        ? prepareModule(bytes, maxPages, yieldPoints)
        : prepareComponent(bytes, maxPages);
    compiled.set(key, definition);
    definition.catch(() => compiled.delete(key)); // a failure is not cached
  }
  const actor: LoadedActor = {
    id: verified.claims.sub,
    kind: verified.kind,
    hash: verified.hash,
    claims: verified.claims,
  };
  return { actor, definition: await definition };
}
