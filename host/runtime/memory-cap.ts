// Caps the linear memory of a core module by rewriting the maximum of each memory it defines,
// so `memory.grow` past the cap fails inside the guest (returns -1) instead of taking the
// host's memory. Works on plain core modules and on the core modules inside a component.

import { encodeU32Leb, readU32Leb, wasmSections } from '../../lattice/wasm.ts';
import { HostError } from '../errors.ts';

export const WASM_PAGE_BYTES = 65_536;
const MEMORY_SECTION = 5;

/** An actor whose memory must start above the cap cannot run under it. */
export class MemoryCapError extends HostError {}

/** Returns the module with every defined memory's maximum set to at most `maxPages`. */
export function capMemory(bytes: Uint8Array, maxPages: number): Uint8Array {
  const { sections } = wasmSections(bytes);
  const memory = sections.find((s) => s.id === MEMORY_SECTION);
  if (!memory) return bytes;
  const size = readU32Leb(bytes, memory.start + 1);
  const count = readU32Leb(bytes, size.next);
  let offset = count.next;
  const entries: number[] = [...encodeU32Leb(count.value)];
  for (let i = 0; i < count.value; i++) {
    const flags = bytes[offset]!;
    if (flags & 0x04) throw new MemoryCapError('ACTOR_MEMORY_CAP', '64-bit memories are not supported');
    const min = readU32Leb(bytes, offset + 1);
    let next = min.next;
    let max = Number.POSITIVE_INFINITY;
    if (flags & 0x01) {
      const declared = readU32Leb(bytes, next);
      max = declared.value;
      next = declared.next;
    }
    if (min.value > maxPages) {
      throw new MemoryCapError(
        'ACTOR_MEMORY_CAP',
        `the module needs ${min.value * (WASM_PAGE_BYTES / 1024)} KiB of memory at start, above the cap of ${(maxPages * WASM_PAGE_BYTES) / 1024} KiB`,
      );
    }
    // Keep the shared bit (0x02); always write a maximum (0x01).
    entries.push((flags & 0x02) | 0x01, ...encodeU32Leb(min.value), ...encodeU32Leb(Math.min(max, maxPages)));
    offset = next;
  }
  const section = [MEMORY_SECTION, ...encodeU32Leb(entries.length), ...entries];
  return Buffer.concat([
    bytes.subarray(0, memory.start),
    Uint8Array.from(section),
    bytes.subarray(memory.end),
  ]);
}
