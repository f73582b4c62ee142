// Whole sections of a module or component, as wash dev's rebuilds compare and swap them: what
// changes between two builds of a JS actor is the pre-initialized memory (the memory, data and data
// count sections). wash swaps them into the last component (component-transplant.ts) and the host
// reuses the last transpile when nothing else changed (runtime/transpile-cache.ts).

import { encodeU32Leb, readU32Leb, wasmSections } from './wasm.ts';

export interface FramedSection {
  id: number;
  /** The whole section: id, size and content. */
  bytes: Uint8Array;
  /** Where the content starts inside `bytes`. */
  contentAt: number;
}

/** The sections of a pre-initialized module that hold its initial memory: memory, data, data count. */
export const MEMORY_IMAGE_SECTIONS: ReadonlySet<number> = new Set([5, 11, 12]);

export function framedSections(bytes: Uint8Array): FramedSection[] {
  return wasmSections(bytes).sections.map(({ id, start, end }) => ({
    id,
    bytes: bytes.subarray(start, end),
    contentAt: readU32Leb(bytes, start + 1).next - start,
  }));
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/** A section with id `id` around `content`. */
export function frameSection(id: number, content: Uint8Array): Uint8Array {
  return Buffer.concat([Uint8Array.of(id, ...encodeU32Leb(content.length)), content]);
}
