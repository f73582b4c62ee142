// A table, shared by one worker and the main thread, of the NATS calls the worker is running: the
// reply subject, invocation id, actor, operation and deadline of each. Only the worker reads NATS,
// so only it knows where to answer; when it is stuck past a call's deadline (code without yield
// points, such as a component in a loop), the main thread reads the call here and answers the
// caller with ACTOR_TIMEOUT itself, through the host's connection. Whoever takes a call first —
// the worker finishing it, or the main thread answering for it — answers; the other does not.
//
// A slot's state goes FREE → WRITING → RUNNING (worker), then RUNNING → FREE (worker: finished)
// or RUNNING → READING → TAKEN (main: answered) → FREE (worker, when it finishes after all).
// Every change is a compare-and-swap. A call that finds no free slot, or whose texts do not fit, runs untracked.

const SLOT_COUNT = 256;
/** Room per slot for the reply subject, invocation id, actor key and operation together. */
const TEXT_BYTES = 512;
/** Kept of an operation name (it is only logged); the other fields must fit whole. */
const OPERATION_BYTES = 96;
const FIELDS = 4;

const FREE = 0;
const WRITING = 1;
const RUNNING = 2;
const READING = 3;
const TAKEN = 4;

export interface TrackedCall {
  replySubject: string;
  invocationId: string;
  actorId: string;
  operation: string;
  /** ms since the epoch */
  deadline: number;
}

export function createInFlightBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(
    SLOT_COUNT * (Int32Array.BYTES_PER_ELEMENT * (1 + FIELDS) + Float64Array.BYTES_PER_ELEMENT + TEXT_BYTES),
  );
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class InFlightCalls {
  readonly #states: Int32Array;
  readonly #lengths: Int32Array;
  readonly #deadlines: Float64Array;
  readonly #text: Uint8Array;
  #cursor = 0;

  constructor(buffer: SharedArrayBuffer) {
    let offset = 0;
    this.#deadlines = new Float64Array(buffer, offset, SLOT_COUNT);
    offset += SLOT_COUNT * Float64Array.BYTES_PER_ELEMENT;
    this.#states = new Int32Array(buffer, offset, SLOT_COUNT);
    offset += SLOT_COUNT * Int32Array.BYTES_PER_ELEMENT;
    this.#lengths = new Int32Array(buffer, offset, SLOT_COUNT * FIELDS);
    offset += SLOT_COUNT * FIELDS * Int32Array.BYTES_PER_ELEMENT;
    this.#text = new Uint8Array(buffer, offset, SLOT_COUNT * TEXT_BYTES);
  }

  /** Worker: records a call about to run; its slot, or -1 when it runs untracked. */
  track(call: TrackedCall): number {
    for (let tries = 0; tries < SLOT_COUNT; tries++) {
      const slot = this.#cursor;
      this.#cursor = (this.#cursor + 1) % SLOT_COUNT;
      if (Atomics.compareExchange(this.#states, slot, FREE, WRITING) !== FREE) continue;
      if (!this.#write(slot, call)) {
        Atomics.store(this.#states, slot, FREE);
        return -1;
      }
      this.#deadlines[slot] = call.deadline;
      Atomics.store(this.#states, slot, RUNNING);
      return slot;
    }
    return -1;
  }

  #write(slot: number, call: TrackedCall): boolean {
    const area = this.#text.subarray(slot * TEXT_BYTES, (slot + 1) * TEXT_BYTES);
    let used = 0;
    const fields = [call.replySubject, call.invocationId, call.actorId, call.operation];
    for (let i = 0; i < FIELDS; i++) {
      const room = i === FIELDS - 1 ? Math.min(OPERATION_BYTES, area.length - used) : area.length - used;
      const { read, written } = encoder.encodeInto(fields[i]!, area.subarray(used, used + room));
      if (i < FIELDS - 1 && read !== fields[i]!.length) return false;
      this.#lengths[slot * FIELDS + i] = written;
      used += written;
    }
    return true;
  }

  /** Worker: the call in `slot` finished; true when the worker should answer it (nobody did yet). */
  finish(slot: number): boolean {
    if (slot < 0) return true;
    for (;;) {
      const state = Atomics.compareExchange(this.#states, slot, RUNNING, FREE);
      if (state === RUNNING) return true;
      if (state === TAKEN) {
        Atomics.store(this.#states, slot, FREE); // the main thread answered
        return false;
      }
      if (state !== READING) return true;
      Atomics.wait(this.#states, slot, READING, 1); // the main thread is reading it, for microseconds
    }
  }

  /** Main thread: takes every running call whose deadline is at or before `before` (all with Infinity). */
  takeOverdue(before: number): TrackedCall[] {
    const taken: TrackedCall[] = [];
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      if (Atomics.load(this.#states, slot) !== RUNNING || this.#deadlines[slot]! > before) continue;
      if (Atomics.compareExchange(this.#states, slot, RUNNING, READING) !== RUNNING) continue;
      taken.push(this.#read(slot));
      Atomics.store(this.#states, slot, TAKEN);
      Atomics.notify(this.#states, slot);
    }
    return taken;
  }

  #read(slot: number): TrackedCall {
    const texts: string[] = [];
    let at = slot * TEXT_BYTES;
    for (let i = 0; i < FIELDS; i++) {
      const length = this.#lengths[slot * FIELDS + i]!;
      texts.push(decoder.decode(this.#text.slice(at, at + length)));
      at += length;
    }
    const [replySubject = '', invocationId = '', actorId = '', operation = ''] = texts;
    return { replySubject, invocationId, actorId, operation, deadline: this.#deadlines[slot]! };
  }
}
