// The replay guard (lattice/replay-guard.ts) and the checks built on it: the window, the
// fingerprint of a token, the shared table (accept, repeat, expiry on a moved clock, full
// regions, two threads racing for one fingerprint), and the `iat` and replay rejections.

import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { actorEntity, providerEntity } from '../../lattice/invocation.ts';
import { InvocationSigner } from '../../lattice/invocation-signer.ts';
import {
  checkNotReplayed,
  InvocationIssuedInFutureError,
  InvocationReplayedError,
  InvocationStaleError,
  ReplayGuardFullError,
  validateInvocation,
} from '../../lattice/invocation-validation.ts';
import { signJwt } from '../../lattice/jwt.ts';
import { KeyPair } from '../../lattice/keys.ts';
import {
  CLOCK_SKEW_SECONDS,
  REGION_ENTRIES,
  ReplayGuard,
  replayGuardBytes,
  replayGuardCapacity,
  replayWindowFor,
  tokenFingerprint,
} from '../../lattice/replay-guard.ts';
import { eventuallyPasses } from '../helpers/eventually.ts';

const WINDOW = replayWindowFor(2_000);
const NOW = 1_800_000_000; // seconds; tables are made "now" and moved from there
const cluster = KeyPair.create('cluster');
const signer = new InvocationSigner(cluster, KeyPair.create('server').publicKey);
const issuers = new Set([cluster.publicKey]);

function invocation() {
  return signer.sign({
    origin: providerEntity(KeyPair.create('service').publicKey, 'wasmcloud:httpserver', 'default'),
    target: actorEntity(KeyPair.create('module').publicKey),
    operation: 'HttpServer.HandleRequest',
    msg: new Uint8Array([1, 2, 3]),
  });
}

/** The same invocation with its token signed again with `iat` set (or removed). */
function withIssuedAt(original: ReturnType<typeof invocation>, iat: number | undefined) {
  const payload = JSON.parse(Buffer.from(original.encoded_claims.split('.')[1]!, 'base64url').toString());
  payload.iat = iat;
  return { ...original, encoded_claims: signJwt(payload, cluster) };
}

describe('the window', () => {
  it('is 30 s for RPC timeouts up to 10 s, three timeouts above, with 10 s of clock skew', () => {
    expect(replayWindowFor(2_000)).toEqual({ maxAgeSeconds: 30, clockSkewSeconds: CLOCK_SKEW_SECONDS });
    expect(replayWindowFor(10_000).maxAgeSeconds).toBe(30);
    expect(replayWindowFor(20_000).maxAgeSeconds).toBe(60);
  });

  it('sizes the table for 10,000 calls a second per thread for as long as it remembers, half full', () => {
    // 41 s remembered × 10,000/s × 2 = 820,000 → 2^20 entries, 12 MiB and a little for one worker.
    expect(replayGuardCapacity(1, WINDOW)).toBe(2 ** 20);
    expect(replayGuardCapacity(4, WINDOW)).toBe(2 ** 22);
    expect(replayGuardBytes(2 ** 20)).toBeLessThan(12.2 * 2 ** 20);
  });
});

describe('tokenFingerprint', () => {
  it('is the first 64 bits of the signature, the same for every copy of one token', () => {
    const token = invocation().encoded_claims;
    const signature = Buffer.from(token.split('.')[2]!, 'base64url');
    expect(tokenFingerprint(token)).toEqual({
      high: signature.readUInt32BE(0),
      low: signature.readUInt32BE(4),
    });
    // The last character's low bits are padding that base64url decoding ignores: a copy with
    // other padding bits still verifies, and still has the same fingerprint.
    const last = token.at(-1)!;
    const repadded = `${token.slice(0, -1)}${last === 'A' ? 'B' : 'A'}`;
    expect(tokenFingerprint(repadded)).toEqual(tokenFingerprint(token));
    expect(tokenFingerprint(invocation().encoded_claims)).not.toEqual(tokenFingerprint(token));
  });
});

describe('ReplayGuard', () => {
  it('accepts a fingerprint once, refuses it while remembered, accepts it again after', () => {
    const guard = ReplayGuard.create({ window: WINDOW, capacity: 4096, now: NOW });
    const fingerprint = { high: 0xdeadbeef, low: 0x01234567 };
    expect(guard.rememberSeconds).toBe(30 + CLOCK_SKEW_SECONDS + 1);
    expect(guard.admit(fingerprint, NOW)).toBe('accepted');
    expect(guard.admit(fingerprint, NOW)).toBe('replayed');
    expect(guard.admit({ high: 0xdeadbeef, low: 0x01234568 }, NOW)).toBe('accepted');
    expect(guard.admit(fingerprint, NOW + guard.rememberSeconds)).toBe('replayed');
    expect(guard.admit(fingerprint, NOW + guard.rememberSeconds + 1)).toBe('accepted');
    expect(guard.admit(fingerprint, NOW + guard.rememberSeconds + 2)).toBe('replayed');
  });

  it('is shared by every thread that attaches to its buffer', () => {
    const guard = ReplayGuard.create({ window: WINDOW, capacity: 4096, now: NOW });
    const other = new ReplayGuard(guard.buffer);
    expect(guard.admit({ high: 1, low: 2 }, NOW)).toBe('accepted');
    expect(other.admit({ high: 1, low: 2 }, NOW + 1)).toBe('replayed');
    expect(() => new ReplayGuard(new SharedArrayBuffer(64))).toThrow(/not a replay guard table/);
  });

  it('refuses with "full" when a region holds only live entries, and takes more as they expire', () => {
    const guard = ReplayGuard.create({ window: WINDOW, capacity: REGION_ENTRIES, now: NOW });
    expect(guard.capacity).toBe(REGION_ENTRIES); // one region: every fingerprint lands in it
    for (let i = 0; i < REGION_ENTRIES; i++) {
      expect(guard.admit({ high: i, low: i * 7919 }, NOW + (i < 10 ? 0 : 5))).toBe('accepted');
    }
    expect(guard.admit({ high: 9999, low: 1 }, NOW + 5)).toBe('full');
    // A copy is still recognised when full.
    expect(guard.admit({ high: 3, low: 3 * 7919 }, NOW + 5)).toBe('replayed');
    // The ten accepted first expire first: ten more fit, the eleventh does not.
    const later = NOW + guard.rememberSeconds + 1;
    for (let i = 0; i < 10; i++) expect(guard.admit({ high: 5000 + i, low: i }, later)).toBe('accepted');
    expect(guard.admit({ high: 6000, low: 0 }, later)).toBe('full');
  });

  it('takes over a region lock left held by a thread terminated while holding it', () => {
    const guard = ReplayGuard.create({ window: WINDOW, capacity: REGION_ENTRIES, now: NOW });
    // One region; its lock is the word after the 8-word header. Another thread held it and died.
    Atomics.store(new Int32Array(guard.buffer), 8, 12345);
    const started = Date.now();
    expect(guard.admit({ high: 1, low: 1 }, NOW)).toBe('accepted');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000); // waited for it to be stale first
    expect(guard.admit({ high: 1, low: 1 }, NOW)).toBe('replayed'); // and released it after
  });

  it('lets exactly one of two threads admitting the same fingerprints at once accept each', async () => {
    const count = 20_000;
    const guard = ReplayGuard.create({ window: WINDOW, capacity: 2 ** 16, now: NOW });
    const start = new SharedArrayBuffer(8);
    const gate = new Int32Array(start);
    const racers = [0, 1].map(() => {
      const won = new SharedArrayBuffer(count);
      const worker = new Worker(new URL('../fixtures/replay-guard-racer.ts', import.meta.url), {
        workerData: { table: guard.buffer, start, won, count, now: NOW },
      });
      const done = new Promise<void>((resolve, reject) => {
        worker.once('error', reject);
        worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`racer exited ${code}`))));
      });
      return { won: new Uint8Array(won), done };
    });
    await eventuallyPasses(async () => expect(await Atomics.load(gate, 1)).toBe(2), {
      what: 'Atomics.load(gate, 1) to be (2)',
      timeoutMs: 20_000,
    });
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    await Promise.all(racers.map((racer) => racer.done));
    const [first, second] = racers as [(typeof racers)[0], (typeof racers)[0]];
    // Each fingerprint accepted exactly once. How they split is up to the scheduler: on a loaded
    // machine one thread may admit all 20,000 before the other runs (the split is not asserted).
    for (let i = 0; i < count; i++) expect(first.won[i]! + second.won[i]!, `fingerprint ${i}`).toBe(1);
  });
});

describe('validateInvocation with a replay window', () => {
  it('refuses a token issued longer ago than the window, or further ahead than the skew', () => {
    const fresh = invocation();
    const options = { clusterIssuers: issuers, replayWindow: WINDOW, now: NOW };
    expect(() => validateInvocation(withIssuedAt(fresh, NOW - 30), options)).not.toThrow();
    expect(() => validateInvocation(withIssuedAt(fresh, NOW + 10), options)).not.toThrow();
    const old = withIssuedAt(fresh, NOW - 31);
    expect(() => validateInvocation(old, options)).toThrow(InvocationStaleError);
    expect(() => validateInvocation(old, options)).toThrow(/issued 31 s ago, more than the 30 s/);
    const ahead = withIssuedAt(fresh, NOW + 11);
    expect(() => validateInvocation(ahead, options)).toThrow(InvocationIssuedInFutureError);
    expect(() => validateInvocation(ahead, options)).toThrow(/11 s in the future/);
    const undated = withIssuedAt(fresh, undefined);
    expect(() => validateInvocation(undated, options)).toThrow(/has no issue time \(iat\)/);
    // Without a window (as before) the issue time is not looked at.
    expect(() => validateInvocation(old, { clusterIssuers: issuers, now: NOW })).not.toThrow();
  });
});

describe('checkNotReplayed', () => {
  it('refuses a copy, even one given another id (no signature covers the id)', () => {
    const guard = ReplayGuard.create({ window: WINDOW, capacity: 4096 });
    const original = invocation();
    checkNotReplayed(original, guard);
    let refusal: unknown;
    try {
      checkNotReplayed({ ...original, id: 'another-id' }, guard);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(InvocationReplayedError);
    expect(refusal).toMatchObject({
      code: 'INVOCATION_REPLAYED',
      message: `invocation another-id rejected: the same signed invocation was already accepted in the last 41 s (a replay)`,
    });
    expect(() => checkNotReplayed(invocation(), guard)).not.toThrow();
  });

  it('refuses with REPLAY_GUARD_FULL rather than run unguarded', () => {
    const guard = ReplayGuard.create({ window: WINDOW, capacity: REGION_ENTRIES });
    for (let i = 0; i < REGION_ENTRIES; i++) checkNotReplayed(invocation(), guard);
    expect(() => checkNotReplayed(invocation(), guard)).toThrow(ReplayGuardFullError);
    expect(() => checkNotReplayed(invocation(), guard)).toThrow(/the replay guard is full/);
  });
});
