// Whole sections of a module or component, and a module remade with some of its sections taken from
// another. What wash dev changes between two builds of an actor (the pre-initialized memory: the
// memory, data and data count sections) is swapped this way by wash (component-transplant.ts) and
// by the host (runtime/transpile-cache.ts), instead of remaking everything around it.

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

/**
 * `target` with each section whose id is in `ids` replaced by `donor`'s section of that id; undefined
 * unless each such id appears exactly once in both.
 */
export function withSectionsFrom(
  target: Uint8Array,
  donor: Uint8Array,
  ids: ReadonlySet<number>,
): Uint8Array | undefined {
  const given = new Map<number, Uint8Array>();
  for (const section of framedSections(donor)) {
    if (!ids.has(section.id)) continue;
    if (given.has(section.id)) return undefined;
    given.set(section.id, section.bytes);
  }
  const parts: Uint8Array[] = [target.subarray(0, 8)];
  const used = new Set<number>();
  for (const section of framedSections(target)) {
    if (!ids.has(section.id)) {
      parts.push(section.bytes);
      continue;
    }
    const replacement = given.get(section.id);
    if (replacement === undefined || used.has(section.id)) return undefined;
    used.add(section.id);
    parts.push(replacement);
  }
  return used.size === given.size ? Buffer.concat(parts) : undefined;
}
