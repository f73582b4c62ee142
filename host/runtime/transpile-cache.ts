// jco's transpile of a component (0.7–3.7 s for a 12 MB StarlingMonkey actor here) is kept for the
// next component of the same shape: the same bytes except the initial memory of its core modules
// (their memory, data and data count sections), which is all that changes between two builds of a
// JS actor whose source was edited (`wash dev`'s live updates). jco copies those sections into its
// core .wasm files as they are, so the kept files with the new sections are what a transpile would
// write; a component whose files do not hold its modules' sections verbatim is never kept. One
// shape is kept, and let go after a few idle minutes, so a host that does not update pays nothing.

import { createHash } from 'node:crypto';
import { stripClaims } from '../../lattice/wasm.ts';
import {
  framedSections,
  MEMORY_IMAGE_SECTIONS,
  sameBytes,
  withSectionsFrom,
} from '../../lattice/wasm-sections.ts';

const CORE_MODULE_SECTION = 1;
const KEEP_MS = 5 * 60_000;

export interface TranspiledFiles {
  files: Record<string, Uint8Array>;
}

interface Kept<T extends TranspiledFiles> {
  shape: string;
  transpiled: T;
  /** For each core .wasm file, the index of the component's core module it was made from. */
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

function memoryImage(module: Uint8Array): Uint8Array[] {
  return framedSections(module)
    .filter((section) => MEMORY_IMAGE_SECTIONS.has(section.id))
    .map((section) => section.bytes);
}

/** Which core module each .wasm file was made from, or undefined if one does not hold its image verbatim. */
function sourcesOf(
  files: Record<string, Uint8Array>,
  modules: Uint8Array[],
): Map<string, number> | undefined {
  const images = modules.map(memoryImage);
  const sources = new Map<string, number>();
  for (const [name, file] of Object.entries(files)) {
    if (!name.endsWith('.wasm')) continue;
    const image = memoryImage(file);
    if (image.length === 0) continue; // no initial memory: nothing to replace
    const index = images.findIndex(
      (candidate) =>
        candidate.length === image.length && candidate.every((part, at) => sameBytes(part, image[at]!)),
    );
    if (index < 0 || [...sources.values()].includes(index)) return undefined;
    sources.set(name, index);
  }
  return sources;
}

export class TranspileCache<T extends TranspiledFiles> {
  #kept: Kept<T> | undefined;
  #timer: NodeJS.Timeout | undefined;

  /** The transpile of `component`: the kept one remade with its memory, or `transpile(component)`. */
  async transpile(component: Uint8Array, transpile: (bytes: Uint8Array) => Promise<T>): Promise<T> {
    const shape = shapeOf(component);
    const kept = this.#kept;
    if (kept?.shape === shape) {
      const remade = this.#remade(kept, coreModules(component));
      if (remade !== undefined) {
        this.#keep(kept);
        return remade;
      }
    }
    const transpiled = await transpile(component);
    const sources = sourcesOf(transpiled.files, coreModules(component));
    if (sources !== undefined) this.#keep({ shape, transpiled, sources });
    return transpiled;
  }

  #remade(kept: Kept<T>, modules: Uint8Array[]): T | undefined {
    const files = { ...kept.transpiled.files };
    for (const [name, index] of kept.sources) {
      const module = modules[index];
      const file = files[name];
      if (module === undefined || file === undefined) return undefined;
      const remade = withSectionsFrom(file, module, MEMORY_IMAGE_SECTIONS);
      if (remade === undefined) return undefined;
      files[name] = remade;
    }
    return { ...kept.transpiled, files };
  }

  #keep(kept: Kept<T>): void {
    this.#kept = kept;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#kept = undefined;
    }, KEEP_MS).unref();
  }
}
