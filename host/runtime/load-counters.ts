// Per-actor call counters of one worker, in memory it shares with the main thread: calls waiting
// for an instance (queued), calls running on one (in flight), calls ever taken, and when the last
// one came. The worker counts as it runs calls (a few typed-array writes per call, no message);
// the main thread reads the table when asked for the host's load (`get.{host}.load`), summing
// the workers. Only the worker writes; an entry it is (re)writing is skipped by the reader.
//
// An entry is claimed for an actor on its first call in this worker and kept while the worker
// lives. With more actors than entries, the idle entry called longest ago is reused (its actor's
// counts start again from zero); a call that finds no idle entry at all runs uncounted.

const ENTRY_COUNT = 256;
/** An actor key is 56 characters; room for any reasonable id. */
const ID_BYTES = 64;
/** Int32 fields per entry: version (odd while the worker writes the entry), id length, in flight, queued. */
const INT_FIELDS = 4;
const VERSION = 0;
const ID_LENGTH = 1;
const IN_FLIGHT = 2;
const QUEUED = 3;
/** Float64 fields per entry: calls taken, time of the last (ms since the epoch). */
const FLOAT_FIELDS = 2;
const CALLS_TOTAL = 0;
const LAST_CALL_AT = 1;

export interface ActorCallLoad {
  actorId: string;
  inFlight: number;
  queued: number;
  callsTotal: number;
  /** ms since the epoch; 0 = never. */
  lastCallAt: number;
}

/** One call being counted: the entry it counts in (-1: uncounted) and whether it got an instance. */
export interface CountedCall {
  entry: number;
  started: boolean;
}

export function createLoadCountersBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(
    ENTRY_COUNT *
      (FLOAT_FIELDS * Float64Array.BYTES_PER_ELEMENT + INT_FIELDS * Int32Array.BYTES_PER_ELEMENT + ID_BYTES),
  );
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class LoadCounters {
  readonly #floats: Float64Array;
  readonly #ints: Int32Array;
  readonly #ids: Uint8Array;
  /** Worker side: the entry of each actor counted here. */
  readonly #entries = new Map<string, number>();

  constructor(buffer: SharedArrayBuffer) {
    let offset = 0;
    this.#floats = new Float64Array(buffer, offset, ENTRY_COUNT * FLOAT_FIELDS);
    offset += ENTRY_COUNT * FLOAT_FIELDS * Float64Array.BYTES_PER_ELEMENT;
    this.#ints = new Int32Array(buffer, offset, ENTRY_COUNT * INT_FIELDS);
    offset += ENTRY_COUNT * INT_FIELDS * Int32Array.BYTES_PER_ELEMENT;
    this.#ids = new Uint8Array(buffer, offset, ENTRY_COUNT * ID_BYTES);
  }

  // ---- worker side ----

  /** A call of `actorId` arrived: counted as queued until it gets an instance. */
  enter(actorId: string): CountedCall {
    const entry = this.#entries.get(actorId) ?? this.#claim(actorId);
    if (entry >= 0) {
      Atomics.add(this.#ints, entry * INT_FIELDS + QUEUED, 1);
      this.#floats[entry * FLOAT_FIELDS + CALLS_TOTAL]! += 1;
      this.#floats[entry * FLOAT_FIELDS + LAST_CALL_AT] = Date.now();
    }
    return { entry, started: false };
  }

  /** The call got an instance and runs. */
  started(call: CountedCall): void {
    if (call.entry < 0 || call.started) return;
    call.started = true;
    Atomics.sub(this.#ints, call.entry * INT_FIELDS + QUEUED, 1);
    Atomics.add(this.#ints, call.entry * INT_FIELDS + IN_FLIGHT, 1);
  }

  /** The call ended (answered, failed, or never got an instance). */
  leave(call: CountedCall): void {
    if (call.entry < 0) return;
    Atomics.sub(this.#ints, call.entry * INT_FIELDS + (call.started ? IN_FLIGHT : QUEUED), 1);
  }

  /** A free entry, else the idle one called longest ago; -1 when every entry is busy. */
  #claim(actorId: string): number {
    const idBytes = encoder.encode(actorId);
    if (idBytes.length > ID_BYTES) return -1;
    let chosen = -1;
    for (let entry = 0; entry < ENTRY_COUNT; entry++) {
      if (Atomics.load(this.#ints, entry * INT_FIELDS + VERSION) === 0) {
        chosen = entry;
        break;
      }
      if (this.#busy(entry)) continue;
      const at = this.#floats[entry * FLOAT_FIELDS + LAST_CALL_AT]!;
      if (chosen < 0 || at < this.#floats[chosen * FLOAT_FIELDS + LAST_CALL_AT]!) chosen = entry;
    }
    if (chosen < 0) return -1;
    for (const [id, entry] of this.#entries) if (entry === chosen) this.#entries.delete(id);
    const version = chosen * INT_FIELDS + VERSION;
    Atomics.add(this.#ints, version, 1); // odd: being written
    this.#ids.set(idBytes, chosen * ID_BYTES);
    this.#ints[chosen * INT_FIELDS + ID_LENGTH] = idBytes.length;
    this.#floats[chosen * FLOAT_FIELDS + CALLS_TOTAL] = 0;
    this.#floats[chosen * FLOAT_FIELDS + LAST_CALL_AT] = 0;
    Atomics.add(this.#ints, version, 1); // even again: readable
    this.#entries.set(actorId, chosen);
    return chosen;
  }

  #busy(entry: number): boolean {
    return (
      Atomics.load(this.#ints, entry * INT_FIELDS + IN_FLIGHT) > 0 ||
      Atomics.load(this.#ints, entry * INT_FIELDS + QUEUED) > 0
    );
  }

  // ---- main-thread side ----

  /** Every actor counted in this worker (an entry being rewritten at this moment is left out). */
  read(): ActorCallLoad[] {
    const loads: ActorCallLoad[] = [];
    for (let entry = 0; entry < ENTRY_COUNT; entry++) {
      const version = Atomics.load(this.#ints, entry * INT_FIELDS + VERSION);
      if (version === 0 || version % 2 === 1) continue;
      const length = this.#ints[entry * INT_FIELDS + ID_LENGTH]!;
      const load: ActorCallLoad = {
        actorId: decoder.decode(this.#ids.slice(entry * ID_BYTES, entry * ID_BYTES + length)),
        inFlight: Math.max(0, Atomics.load(this.#ints, entry * INT_FIELDS + IN_FLIGHT)),
        queued: Math.max(0, Atomics.load(this.#ints, entry * INT_FIELDS + QUEUED)),
        callsTotal: this.#floats[entry * FLOAT_FIELDS + CALLS_TOTAL]!,
        lastCallAt: this.#floats[entry * FLOAT_FIELDS + LAST_CALL_AT]!,
      };
      if (Atomics.load(this.#ints, entry * INT_FIELDS + VERSION) === version) loads.push(load);
    }
    return loads;
  }
}

/** The loads of several workers, summed per actor (the latest last call wins). */
export function sumLoads(perWorker: readonly (readonly ActorCallLoad[])[]): Map<string, ActorCallLoad> {
  const sums = new Map<string, ActorCallLoad>();
  for (const loads of perWorker)
    for (const load of loads) {
      const sum = sums.get(load.actorId);
      if (sum === undefined) sums.set(load.actorId, { ...load });
      else {
        sum.inFlight += load.inFlight;
        sum.queued += load.queued;
        sum.callsTotal += load.callsTotal;
        sum.lastCallAt = Math.max(sum.lastCallAt, load.lastCallAt);
      }
    }
  return sums;
}
