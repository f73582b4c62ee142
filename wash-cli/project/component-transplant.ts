// A rebuild whose only change is the actor's JS changes only the pre-initialized engine's memory
// (its data, data count and memory size sections): code, types, imports and exports stay byte for
// byte the same. componentize-js's last steps (stubWasi, then jco's componentNew and metadataAdd,
// 1.5–2 s here) copy those sections through unchanged into the component's main core module, so the
// last component, with those sections swapped for the new ones, is the component those steps would
// make, but for one thing: stubWasi freezes the clock (the clocks feature is off) at the time it ran,
// so a transplanted component keeps the first build's time (the test checks the rest byte for byte).
// Anything else changed, or a section not found verbatim in the component, and this answers
// undefined: run the steps.

import {
  type FramedSection,
  framedSections,
  frameSection,
  MEMORY_IMAGE_SECTIONS,
  sameBytes,
} from '../../lattice/wasm-sections.ts';

const CORE_MODULE_SECTION = 1;

/** The changed sections of `next` against `previous`, by index, or undefined if more than memory changed. */
function snapshotChanges(
  previous: FramedSection[],
  next: FramedSection[],
): Map<number, FramedSection> | undefined {
  if (previous.length !== next.length) return undefined;
  const changed = new Map<number, FramedSection>();
  for (const [index, section] of previous.entries()) {
    const other = next[index]!;
    if (section.id !== other.id) return undefined;
    if (sameBytes(section.bytes, other.bytes)) continue;
    if (!MEMORY_IMAGE_SECTIONS.has(section.id)) return undefined;
    changed.set(index, other);
  }
  return changed;
}

/**
 * `component` made from the pre-initialized core module `previous`, remade for `next` (the same
 * engine initialized with another source); undefined when it cannot be.
 */
export function transplantSnapshot(
  component: Uint8Array,
  previous: Uint8Array,
  next: Uint8Array,
): Uint8Array | undefined {
  const before = framedSections(previous);
  const changes = snapshotChanges(before, framedSections(next));
  if (changes === undefined) return undefined;
  if (changes.size === 0) return component;
  const outer = framedSections(component);
  for (const [index, section] of outer.entries()) {
    if (section.id !== CORE_MODULE_SECTION) continue;
    const inner = framedSections(section.bytes.subarray(section.contentAt));
    const replaced = [...inner];
    let found = 0;
    for (const [at, change] of changes) {
      const old = before[at]!.bytes;
      const position = inner.findIndex((candidate) => sameBytes(candidate.bytes, old));
      if (position < 0) break;
      replaced[position] = change;
      found++;
    }
    if (found !== changes.size) continue;
    const header = section.bytes.subarray(section.contentAt, section.contentAt + 8); // \0asm and version
    const module = Buffer.concat([header, ...replaced.map((part) => part.bytes)]);
    const parts = outer.map((part, at) =>
      at === index ? frameSection(CORE_MODULE_SECTION, module) : part.bytes,
    );
    return Buffer.concat([component.subarray(0, 8), ...parts]);
  }
  return undefined;
}
