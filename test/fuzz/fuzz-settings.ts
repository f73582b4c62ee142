// Settings and checks shared by the property-based fuzz tests in test/fuzz/: how many cases each
// property runs (FUZZ_RUNS), from which seed (FUZZ_SEED, fixed so CI is reproducible), and the one
// property they all assert: a decoder given bytes from outside returns a value or throws a named,
// coded error, never anything else (a TypeError, a RangeError, a raw zod error) and never stalls.
//
// A failure prints fast-check's counterexample with `seed` and `path`; to replay exactly that case:
//   FUZZ_SEED=<seed> FUZZ_PATH=<path> npx vitest run test/fuzz/<file>.test.ts -t '<property>'

import type fc from 'fast-check';
import { LatticeError } from '../../lattice/errors.ts';

const DEFAULT_RUNS = 2_000;
const DEFAULT_SEED = 12_009;

function integerFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value))
    throw new Error(`${name} must be an integer, not ${JSON.stringify(text)}`);
  return value;
}

/** Cases per property: a few thousand in the suite, 100,000 under `npm run fuzz`. */
export const FUZZ_RUNS = Math.max(1, integerFromEnv('FUZZ_RUNS', DEFAULT_RUNS));
/** The seed every property starts from. */
export const FUZZ_SEED = integerFromEnv('FUZZ_SEED', DEFAULT_SEED);
const FUZZ_PATH = process.env.FUZZ_PATH || undefined;

/** A single case slower than this counts as a hang (generous: the CI machine is shared and has 2 cores). */
export const SLOW_CASE_MS = integerFromEnv('FUZZ_SLOW_MS', 3_000);

/**
 * The vitest timeout of one property: room for FUZZ_RUNS cases at `msPerCase` each, and never less
 * than the suite's default, so `npm run fuzz` does not time out where the suite's count passes.
 */
export function fuzzTimeout(msPerCase = 10): number {
  return Math.max(30_000, Math.ceil(FUZZ_RUNS * msPerCase) + 10_000);
}

/** fast-check's parameters for one property; `scale` runs a costly property on fewer cases. */
export function fuzzParameters<T>(scale = 1): fc.Parameters<T> {
  return {
    seed: FUZZ_SEED,
    numRuns: Math.max(1, Math.round(FUZZ_RUNS * scale)),
    ...(FUZZ_PATH === undefined ? {} : { path: FUZZ_PATH }),
  };
}

/** An error class outside lattice/ that a decoder may throw (a provider's settings error, …). */
// biome-ignore lint/suspicious/noExplicitAny: error classes take any constructor arguments
export type NamedErrorClass = abstract new (...args: any[]) => Error;

/** A coded error: a LatticeError (or subclass) with a code, or one of `also` that carries a code. */
export function isNamedError(error: unknown, also: readonly NamedErrorClass[] = []): error is Error {
  const known = error instanceof LatticeError || also.some((kind) => error instanceof kind);
  if (!known || !(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code) && error.message !== '';
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error & { code: string } };

function unexpected(error: unknown): Error {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : `a thrown ${typeof error}`;
  return new Error(`the decoder threw something other than a named error: ${text}`, { cause: error });
}

function checkDuration(started: number): void {
  const elapsed = performance.now() - started;
  if (elapsed > SLOW_CASE_MS)
    throw new Error(`the decoder took ${Math.round(elapsed)} ms on one input (limit ${SLOW_CASE_MS} ms)`);
}

/**
 * Runs a decoder on one input: its value, or the named error it threw. Anything else it throws, or
 * taking longer than SLOW_CASE_MS, fails the property (fast-check then shrinks and prints the case).
 */
export function outcomeOf<T>(decode: () => T, also: readonly NamedErrorClass[] = []): Outcome<T> {
  const started = performance.now();
  let outcome: Outcome<T>;
  try {
    outcome = { ok: true, value: decode() };
  } catch (error) {
    if (!isNamedError(error, also)) throw unexpected(error);
    outcome = { ok: false, error: error as Error & { code: string } };
  }
  checkDuration(started);
  return outcome;
}

/** outcomeOf for an async decoder. */
export async function asyncOutcomeOf<T>(
  decode: () => Promise<T>,
  also: readonly NamedErrorClass[] = [],
): Promise<Outcome<T>> {
  const started = performance.now();
  let outcome: Outcome<T>;
  try {
    outcome = { ok: true, value: await decode() };
  } catch (error) {
    if (!isNamedError(error, also)) throw unexpected(error);
    outcome = { ok: false, error: error as Error & { code: string } };
  }
  checkDuration(started);
  return outcome;
}

/** Runs a decoder that answers `{ok, …}` instead of throwing: it must not throw at all, nor stall. */
export function resultOf<T>(decode: () => T): T {
  const started = performance.now();
  let result: T;
  try {
    result = decode();
  } catch (error) {
    throw unexpected(error);
  }
  checkDuration(started);
  return result;
}
