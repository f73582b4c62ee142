// A table shared between the main thread and one worker that says, for each call in flight,
// whether the worker has started it. The main thread can then take back a call the worker
// has not started (its worker is stuck) and run it elsewhere, knowing it will not run twice.
//
// A slot holds 0 (free), +id (posted, not started) or -id (started). Both sides change it
// only with compare-and-swap, so exactly one of "worker starts it" and "main takes it back" wins.

export const SLOT_COUNT = 4096;

export function createSlotBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(SLOT_COUNT * Int32Array.BYTES_PER_ELEMENT);
}

/** Call ids as stored in slots: positive 31-bit integers. */
function tag(id: number): number {
  return (id % 0x7fffffff) + 1;
}

export class CallSlots {
  readonly #slots: Int32Array;
  constructor(buffer: SharedArrayBuffer) {
    this.#slots = new Int32Array(buffer);
  }

  /** Main thread: claims a slot for a call about to be posted; -1 when the slot is busy. */
  reserve(id: number): number {
    const slot = id % SLOT_COUNT;
    return Atomics.compareExchange(this.#slots, slot, 0, tag(id)) === 0 ? slot : -1;
  }

  /** Worker: marks the call started; false when the main thread took it back first. */
  start(slot: number, id: number): boolean {
    if (slot < 0) return true;
    return Atomics.compareExchange(this.#slots, slot, tag(id), -tag(id)) === tag(id);
  }

  /** Main thread: takes back a call not yet started; false if it has started. */
  takeBack(slot: number, id: number): boolean {
    if (slot < 0) return false;
    return Atomics.compareExchange(this.#slots, slot, tag(id), 0) === tag(id);
  }

  /** Worker: frees the slot of a finished call. */
  release(slot: number, id: number): void {
    if (slot >= 0) Atomics.compareExchange(this.#slots, slot, -tag(id), 0);
  }
}
