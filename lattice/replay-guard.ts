// Replay protection for signed invocations: the window in which an invocation is accepted at all
// (its token's `iat`), and a fixed-size table of the invocations accepted within it, so a second
// copy is refused. The table lives in one SharedArrayBuffer, so every worker thread of a host
// shares it (a replay may reach any worker: they all join the actor's queue group), and it is
// bounded: a full region refuses rather than forgets (docs/host.md, "Replay protection").
//
// Key: the first 64 bits of the token's Ed25519 signature (its R half). R is fixed by the signed
// message and the key, so every copy of one signed invocation has it however the copy is re-wrapped
// (another `id`, which no signature covers; other padding bits in the base64url text), nobody
// without the cluster key can make another, and as a SHA-512 output it needs no hashing of ours.
//
// Layout (Int32 words): a header, then per region a lock and its entry count, then the entries
// (fingerprint high, low, accept second). A region keeps its live entries at its front in accept
// order, so expired ones are always first and are dropped by moving the rest down. The entries
// are stored in rows of 8 per region: the first 8 of every region, then the next 8, … So the
// memory a host touches (and the OS commits) follows its busiest moment, not the table's size:
// with at most 8 live entries in any region only the first 16th is ever written.

import { DecodeError } from './errors.ts';

/** Seconds an invocation's `iat` may be older than now, at least. */
export const MIN_REPLAY_WINDOW_SECONDS = 30;
/** The window is this many RPC timeouts when that is longer than the minimum. */
export const REPLAY_WINDOW_RPC_TIMEOUTS = 3;
/** How far a token's `iat` may be ahead of this clock (the sender's clock runs ahead). */
export const CLOCK_SKEW_SECONDS = 10;
/** The highest sustained rate of accepted invocations per thread the table is sized for. */
export const PLAUSIBLE_CALLS_PER_SECOND_PER_THREAD = 10_000;
/** Entries per region: a call scans only the live entries of its region. */
export const REGION_ENTRIES = 128;
/** Capacity never exceeds this many entries (192 MiB). */
export const MAX_REPLAY_GUARD_ENTRIES = 2 ** 24;
/** A region lock unchanged this long belongs to a thread that was terminated while holding it. */
const STALE_LOCK_MS = 1_000;

const MAGIC = 0x52504c31; // "RPL1"
const HEADER_WORDS = 8;
const H_MAGIC = 0;
const H_REGIONS = 1;
const H_REMEMBER = 2;
const H_BASE = 3;
const REGION_WORDS = 2; // lock, count
/** Entries of one region stored side by side before the next region's (a row holds 8 each). */
const ROW_ENTRIES = 8;
const ENTRY_WORDS = 3; // fingerprint high, fingerprint low, accept second (relative to the base)

export interface ReplayWindow {
  /** An invocation whose token was issued longer ago than this is refused. */
  maxAgeSeconds: number;
  /** An invocation whose token was issued further ahead than this is refused. */
  clockSkewSeconds: number;
}

/** The window for a lattice whose RPC timeout is `rpcTimeoutMs`: max(30 s, 3 RPC timeouts). */
export function replayWindowFor(rpcTimeoutMs: number): ReplayWindow {
  return {
    maxAgeSeconds: Math.max(
      MIN_REPLAY_WINDOW_SECONDS,
      Math.ceil((REPLAY_WINDOW_RPC_TIMEOUTS * rpcTimeoutMs) / 1000),
    ),
    clockSkewSeconds: CLOCK_SKEW_SECONDS,
  };
}

/**
 * How long an accepted invocation is remembered: as long as a copy of it could pass the `iat`
 * check (issued up to the skew ahead, accepted until it is the maximum age), plus a second for
 * the rounding of `iat` and of our clock to whole seconds.
 */
export function rememberSecondsFor(window: ReplayWindow): number {
  return window.maxAgeSeconds + window.clockSkewSeconds + 1;
}

/** Entries for `threads` threads accepting at the plausible rate: at most half full, a power of two. */
export function replayGuardCapacity(threads: number, window: ReplayWindow): number {
  const needed =
    2 * Math.max(1, threads) * PLAUSIBLE_CALLS_PER_SECOND_PER_THREAD * rememberSecondsFor(window);
  let capacity = REGION_ENTRIES;
  while (capacity < needed && capacity < MAX_REPLAY_GUARD_ENTRIES) capacity *= 2;
  return capacity;
}

/** Bytes of a table of `capacity` entries (rounded up to whole regions). */
export function replayGuardBytes(capacity: number): number {
  const regions = Math.max(1, Math.ceil(capacity / REGION_ENTRIES));
  return (HEADER_WORDS + regions * REGION_WORDS + regions * REGION_ENTRIES * ENTRY_WORDS) * 4;
}

const BASE64URL_VALUES = (() => {
  const values = new Int8Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  for (let i = 0; i < alphabet.length; i++) values[alphabet.charCodeAt(i)] = i;
  return values;
})();

/** The six bits of the base64url character at `index`. */
function sextet(token: string, index: number): number {
  const value = BASE64URL_VALUES[token.charCodeAt(index) & 0x7f]!;
  if (value < 0) throw new DecodeError('INVOCATION_TOKEN_MALFORMED', 'the token signature is not base64url');
  return value;
}

/** Characters of base64url read for the 64-bit fingerprint (11 × 6 bits; the last 2 are dropped). */
const FINGERPRINT_CHARS = 11;

export interface InvocationFingerprint {
  high: number;
  low: number;
}

/**
 * The first 64 bits of a JWT's signature. Call it on a token whose signature has verified: it
 * then has three segments and a signature of 86 base64url characters.
 */
export function tokenFingerprint(token: string): InvocationFingerprint {
  const start = token.lastIndexOf('.') + 1;
  if (start === 0 || token.length - start < FINGERPRINT_CHARS) {
    throw new DecodeError(
      'INVOCATION_TOKEN_MALFORMED',
      'the token has no signature segment to take a fingerprint of',
    );
  }
  const c0 = sextet(token, start);
  const c5 = sextet(token, start + 5);
  // Six bits a character: characters 0–5 give the first 32 bits (4 bits of c5 left), 5–10 the next.
  const high =
    ((c0 << 26) |
      (sextet(token, start + 1) << 20) |
      (sextet(token, start + 2) << 14) |
      (sextet(token, start + 3) << 8) |
      (sextet(token, start + 4) << 2) |
      (c5 >>> 4)) >>>
    0;
  const low =
    (((c5 & 0xf) << 28) |
      (sextet(token, start + 6) << 22) |
      (sextet(token, start + 7) << 16) |
      (sextet(token, start + 8) << 10) |
      (sextet(token, start + 9) << 4) |
      (sextet(token, start + 10) >>> 2)) >>>
    0;
  return { high, low };
}

export type ReplayAdmission = 'accepted' | 'replayed' | 'full';

export interface ReplayGuardOptions {
  window: ReplayWindow;
  /** Entries; rounded up to a whole number of regions. Default: sized for one thread. */
  capacity?: number;
  /** Seconds since the epoch; now by default (tests move it). */
  now?: number;
}

/**
 * The table of accepted invocations. `ReplayGuard.create` allocates it (the host's main thread,
 * or a provider process); `new ReplayGuard(buffer)` attaches to it from another thread.
 */
export class ReplayGuard {
  readonly buffer: SharedArrayBuffer;
  readonly #words: Int32Array;
  readonly #regionMask: number;
  readonly #regions: number;
  readonly #remember: number;
  readonly #base: number;
  readonly #entriesStart: number;
  /** What this thread writes into a lock it holds (odd, so never 0). */
  readonly #owner = ((Math.random() * 0x3fffffff) << 1) | 1;

  static create(options: ReplayGuardOptions): ReplayGuard {
    const capacity = options.capacity ?? replayGuardCapacity(1, options.window);
    let regions = 1;
    while (regions * REGION_ENTRIES < capacity) regions *= 2;
    const buffer = new SharedArrayBuffer(replayGuardBytes(regions * REGION_ENTRIES));
    const header = new Int32Array(buffer, 0, HEADER_WORDS);
    header[H_REGIONS] = regions;
    header[H_REMEMBER] = rememberSecondsFor(options.window);
    // Accept seconds are stored relative to just before now, so they stay small and positive.
    header[H_BASE] = Math.floor(options.now ?? Date.now() / 1000) - 1;
    Atomics.store(header, H_MAGIC, MAGIC);
    return new ReplayGuard(buffer);
  }

  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.#words = new Int32Array(buffer);
    if (Atomics.load(this.#words, H_MAGIC) !== MAGIC)
      throw new DecodeError('REPLAY_GUARD_BAD_TABLE', 'not a replay guard table');
    const regions = this.#words[H_REGIONS]!;
    this.#regionMask = regions - 1;
    this.#regions = regions;
    this.#remember = this.#words[H_REMEMBER]!;
    this.#base = this.#words[H_BASE]!;
    this.#entriesStart = HEADER_WORDS + regions * REGION_WORDS;
  }

  /** Entries the table holds. */
  get capacity(): number {
    return (this.#regionMask + 1) * REGION_ENTRIES;
  }

  /** Seconds an accepted invocation is remembered. */
  get rememberSeconds(): number {
    return this.#remember;
  }

  /**
   * Remembers `fingerprint` as accepted at `nowSeconds`, unless it was accepted within the last
   * `rememberSeconds` ('replayed') or its region holds only live entries ('full'). Atomic across
   * threads: of two threads admitting one fingerprint at once, exactly one gets 'accepted'.
   */
  admit(fingerprint: InvocationFingerprint, nowSeconds: number = Date.now() / 1000): ReplayAdmission {
    const words = this.#words;
    const { high, low } = fingerprint;
    const region = (low ^ (high >>> 7)) & this.#regionMask;
    const meta = HEADER_WORDS + region * REGION_WORDS;
    const now = Math.floor(nowSeconds) - this.#base;
    this.#lock(meta);
    try {
      let count = words[meta + 1]!;
      // Accepted earliest, the expired entries are the first ones: move the others down over them.
      let expired = 0;
      while (expired < count && now - words[this.#entry(region, expired) + 2]! > this.#remember) expired++;
      if (expired > 0) {
        for (let k = expired; k < count; k++) {
          const from = this.#entry(region, k);
          const to = this.#entry(region, k - expired);
          words[to] = words[from]!;
          words[to + 1] = words[from + 1]!;
          words[to + 2] = words[from + 2]!;
        }
        count -= expired;
        words[meta + 1] = count;
      }
      const highSigned = high | 0;
      const lowSigned = low | 0;
      for (let k = 0; k < count; k++) {
        const entry = this.#entry(region, k);
        if (words[entry] === highSigned && words[entry + 1] === lowSigned) {
          // A clock set back can leave an expired entry behind a live one: only live ones count.
          if (now - words[entry + 2]! <= this.#remember) return 'replayed';
        }
      }
      if (count === REGION_ENTRIES) return 'full';
      const entry = this.#entry(region, count);
      words[entry] = highSigned;
      words[entry + 1] = lowSigned;
      words[entry + 2] = now;
      words[meta + 1] = count + 1;
      return 'accepted';
    } finally {
      Atomics.store(words, meta, 0);
    }
  }

  /** The first word of a region's entry `slot`: rows of 8 entries per region, region by region. */
  #entry(region: number, slot: number): number {
    const row = slot >>> 3;
    return (
      this.#entriesStart +
      ((row * this.#regions + region) * ROW_ENTRIES + (slot & (ROW_ENTRIES - 1))) * ENTRY_WORDS
    );
  }

  #lock(meta: number): void {
    if (Atomics.compareExchange(this.#words, meta, 0, this.#owner) === 0) return;
    // Held by another thread for the few hundred nanoseconds of an admit: spin, then sleep a
    // little. A holder terminated mid-admit never releases: its lock is taken over once stale.
    let seen = Atomics.load(this.#words, meta);
    let seenSince = Date.now();
    for (let spins = 1; ; spins++) {
      const current = Atomics.compareExchange(this.#words, meta, 0, this.#owner);
      if (current === 0) return;
      if (spins < 64) continue;
      if (current !== seen) {
        seen = current;
        seenSince = Date.now();
      } else if (Date.now() - seenSince > STALE_LOCK_MS) {
        if (Atomics.compareExchange(this.#words, meta, seen, this.#owner) === seen) return;
      }
      Atomics.wait(this.#words, meta, current, 1);
    }
  }
}
