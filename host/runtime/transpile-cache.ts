// jco's transpile of a component (0.7–3.7 s for a 12 MB StarlingMonkey actor here) is kept for the
// next component of the same shape: the same bytes except the initial memory of its core modules
// (their memory, data and data count sections) and its claims, which is all that changes between
// two builds of a JS actor whose source was edited (`wash dev`'s live updates). jco writes each
// core module out as it is in the component, so the next component's transpile is the kept glue
// with its own core modules; a transpile whose .wasm files are not the component's modules byte for
// byte is not kept. Only the glue is held (the .wasm files are the next component's own bytes).

import { createHash } from 'node:crypto';
import { stripClaims } from '../../lattice/wasm.ts';
import { framedSections, MEMORY_IMAGE_SECTIONS, sameBytes } from '../../lattice/wasm-sections.ts';

const CORE_MODULE_SECTION = 1;

export interface TranspiledFiles {
  files: Record<string, Uint8Array>;
}

interface Kept<T extends TranspiledFiles> {
  shape: string;
  /** The transpile without its .wasm files. */
  transpiled: T;
  /** Each .wasm file's core module: its index among the component's top-level core modules. */
  sources: Map<string, number>;
}

/** The component's top-level core modules, in order. */
function coreModules(component: Uint8Array): Uint8Array[] {
  return framedSections(component)
    .filter((section) => section.id === CORE_MODULE_SECTION)
    .map((section) => section.bytes.subarray(section.contentAt));
}

/** A digest of everything but the core modules' initial memory and the claims (signed per build). */
function shapeOf(component: Uint8Array): string {
  const hash = createHash('sha256');
  for (const section of framedSections(stripClaims(component))) {
    if (section.id !== CORE_MODULE_SECTION) {
      hash.update(section.bytes);
      continue;
    }
    hash.update(Uint8Array.of(CORE_MODULE_SECTION));
    for (const inner of framedSections(section.bytes.subarray(section.contentAt)))
      hash.update(MEMORY_IMAGE_SECTIONS.has(inner.id) ? Uint8Array.of(inner.id) : inner.bytes);
  }
  return hash.digest('hex');
}

/** Which core module each .wasm file is, or undefined if one is not a module of the component as it is. */
function sourcesOf(
  files: Record<string, Uint8Array>,
  modules: Uint8Array[],
): Map<string, number> | undefined {
  const sources = new Map<string, number>();
  for (const [name, file] of Object.entries(files)) {
    if (!name.endsWith('.wasm')) continue;
    const index = modules.findIndex((module) => sameBytes(module, file));
    if (index < 0) return undefined;
    sources.set(name, index);
  }
  return sources;
}

export class TranspileCache<T extends TranspiledFiles> {
  #kept: Kept<T> | undefined;

  /** The transpile of `component`: the kept glue with its core modules, or `transpile(component)`. */
  async transpile(component: Uint8Array, transpile: (bytes: Uint8Array) => Promise<T>): Promise<T> {
    const shape = shapeOf(component);
    const modules = coreModules(component);
    const kept = this.#kept;
    if (kept?.shape === shape) {
      const files = { ...kept.transpiled.files };
      for (const [name, index] of kept.sources) files[name] = modules[index]!;
      return { ...kept.transpiled, files };
    }
    const transpiled = await transpile(component);
    const sources = sourcesOf(transpiled.files, modules);
    if (sources !== undefined) {
      const glue = Object.fromEntries(
        Object.entries(transpiled.files).filter(([name]) => !sources.has(name)),
      );
      this.#kept = { shape, transpiled: { ...transpiled, files: glue }, sources };
    }
    return transpiled;
  }
}
