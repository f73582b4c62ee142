// The replay guard's share of a call (issue 12: at most 5 µs), measured alone for the lattice
// bench: checkNotReplayed (the token's fingerprint, then the table) on a table of the size a
// one-worker host makes, in the steady state of the rate it is sized for: a clock that moves
// 1/10,000 s a call, so the table holds 41 s of calls and each call also drops the ones that
// expire (moving its region's live entries down). Each call is a new invocation decoded from
// its bytes, as on the wire.

import { decodeInvocation, encodeInvocation, type Invocation } from '../lattice/invocation.ts';
import { checkNotReplayed } from '../lattice/invocation-validation.ts';
import {
  PLAUSIBLE_CALLS_PER_SECOND_PER_THREAD,
  ReplayGuard,
  replayGuardBytes,
  replayGuardCapacity,
  replayWindowFor,
} from '../lattice/replay-guard.ts';
import { measure } from './harness.ts';

const ROUNDS = 15;
const ITERATIONS = 200;

export interface ReplayGuardCost {
  microseconds: number;
  /** What the table held while measured. */
  note: string;
}

export function measureReplayGuard(sign: () => Invocation, rpcTimeoutMs = 2_000): ReplayGuardCost {
  const window = replayWindowFor(rpcTimeoutMs);
  const guard = ReplayGuard.create({ window, capacity: replayGuardCapacity(1, window) });
  const live = PLAUSIBLE_CALLS_PER_SECOND_PER_THREAD * guard.rememberSeconds;
  let clock = Date.now() / 1000;
  const tick = () => {
    clock += 1 / PLAUSIBLE_CALLS_PER_SECOND_PER_THREAD;
    return clock;
  };
  for (let i = 0; i < live; i++) {
    guard.admit({ high: (Math.random() * 2 ** 32) >>> 0, low: (Math.random() * 2 ** 32) >>> 0 }, tick());
  }
  // measure() runs 2 rounds' worth as warm-up, then ROUNDS rounds: one new invocation each, read
  // from its bytes as a worker reads it.
  const invocations = Array.from({ length: (ROUNDS + 2) * ITERATIONS }, () =>
    decodeInvocation(encodeInvocation(sign())),
  );
  let next = 0;
  const { microseconds } = measure(
    'replay guard',
    () => checkNotReplayed(invocations[next++]!, guard, tick()),
    {
      rounds: ROUNDS,
      iterationsPerRound: ITERATIONS,
    },
  );
  const mib = (replayGuardBytes(guard.capacity) / 2 ** 20).toFixed(0);
  return {
    microseconds,
    note: `${live.toLocaleString('en')} live of ${guard.capacity.toLocaleString('en')} entries, ${mib} MiB, 10,000 calls/s`,
  };
}
