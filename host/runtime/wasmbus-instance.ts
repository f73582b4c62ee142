// One instance of a 2022 wasmbus module, speaking the waPC-style ABI of design.md. The guest's
// `__host_call` is synchronous to it; JSPI suspends the whole wasm stack while the host call
// awaits the lattice, so the worker keeps serving other instances meanwhile. A module with yield
// points (yield-points.ts) also suspends every few milliseconds and stops at its deadline
// (interrupt.ts); every export is entered through JSPI, as the yield import needs.

import { errorMessage } from '../../lattice/errors.ts';
import { HostError } from '../errors.ts';
import { type ActorContext, callOut } from './actor-context.ts';
import { CallClock } from './interrupt.ts';
import { YIELD_MODULE, YIELD_NAME } from './yield-points.ts';

const utf8 = new TextDecoder();
const EMPTY = new Uint8Array(0);

/** What the guest handed back from `__guest_call`. */
export class GuestError extends HostError {}

export class WasmbusInstance {
  readonly #context: ActorContext;
  readonly #memory: WebAssembly.Memory;
  readonly #guestCall: (opLength: number, msgLength: number) => Promise<number>;
  readonly #init: (() => Promise<unknown>) | undefined;
  readonly #clock = new CallClock();
  // The call in progress: what __guest_request copies in, and what the guest answered.
  #operation: Uint8Array = EMPTY;
  #message: Uint8Array = EMPTY;
  #response: Uint8Array = EMPTY;
  #guestError = '';
  // The last host call's outcome, read back by __host_response / __host_error.
  #hostResponse: Uint8Array = EMPTY;
  #hostError: Uint8Array = EMPTY;

  /** A new instance, initialised (`wapc_init` or `_start`) within `deadline` (ms since the epoch). */
  static async create(
    module: WebAssembly.Module,
    context: ActorContext,
    deadline: number,
  ): Promise<WasmbusInstance> {
    const instance = new WasmbusInstance(module, context);
    if (instance.#init) await instance.#timed(deadline, instance.#init);
    return instance;
  }

  private constructor(module: WebAssembly.Module, context: ActorContext) {
    this.#context = context;
    let memory: WebAssembly.Memory | undefined;
    const bytesAt = (ptr: number, len: number) => new Uint8Array(memory!.buffer, ptr, len);
    const text = (ptr: number, len: number) => utf8.decode(bytesAt(ptr, len));
    const wasmbus = {
      __guest_request: (opPtr: number, msgPtr: number) => {
        bytesAt(opPtr, this.#operation.length).set(this.#operation);
        bytesAt(msgPtr, this.#message.length).set(this.#message);
      },
      __guest_response: (ptr: number, len: number) => {
        this.#response = bytesAt(ptr, len).slice();
      },
      __guest_error: (ptr: number, len: number) => {
        this.#guestError = text(ptr, len);
      },
      __host_call: new WebAssembly.Suspending(
        async (
          bdPtr: number,
          bdLen: number,
          nsPtr: number,
          nsLen: number,
          opPtr: number,
          opLen: number,
          ptr: number,
          len: number,
        ) => {
          const binding = text(bdPtr, bdLen);
          const namespace = text(nsPtr, nsLen);
          const operation = text(opPtr, opLen);
          const payload = bytesAt(ptr, len).slice();
          try {
            this.#hostResponse = await callOut(this.#context, binding, namespace, operation, payload);
            this.#hostError = EMPTY;
            return 1;
          } catch (error) {
            this.#hostResponse = EMPTY;
            this.#hostError = Buffer.from(errorMessage(error));
            return 0;
          }
        },
      ),
      __host_response_len: () => this.#hostResponse.length,
      __host_response: (ptr: number) => bytesAt(ptr, this.#hostResponse.length).set(this.#hostResponse),
      __host_error_len: () => this.#hostError.length,
      __host_error: (ptr: number) => bytesAt(ptr, this.#hostError.length).set(this.#hostError),
      __console_log: (ptr: number, len: number) => this.#context.log('info', text(ptr, len)),
    };
    const imports = { wasmbus, [YIELD_MODULE]: { [YIELD_NAME]: this.#clock.import } };
    const instance = new WebAssembly.Instance(module, imports as unknown as WebAssembly.Imports);
    const exports = instance.exports as Record<string, unknown>;
    if (!(exports.memory instanceof WebAssembly.Memory))
      throw new HostError('ACTOR_NOT_WASMBUS', 'the module exports no memory');
    if (typeof exports.__guest_call !== 'function')
      throw new HostError('ACTOR_NOT_WASMBUS', 'the module exports no __guest_call');
    memory = exports.memory;
    this.#memory = memory;
    this.#guestCall = WebAssembly.promising(exports.__guest_call as (op: number, msg: number) => number) as (
      op: number,
      msg: number,
    ) => Promise<number>;
    // wapc_init (or _start) runs once, before the first call (see create).
    const init = exports.wapc_init ?? exports._start;
    this.#init = typeof init === 'function' ? WebAssembly.promising(init as () => unknown) : undefined;
  }

  /** Runs `run` against `deadline`; a call stopped at a yield point rejects with ActorTimeoutError. */
  async #timed<T>(deadline: number, run: () => Promise<T>): Promise<T> {
    this.#clock.start(deadline);
    try {
      const result = await run();
      // A guest that caught the interruption (exception handling) still timed out.
      if (this.#clock.interrupted) throw this.#clock.interrupted;
      return result;
    } catch (error) {
      throw this.#clock.interrupted ?? error;
    } finally {
      this.#clock.stop();
    }
  }

  /** Bytes of linear memory in use, for the memory report. */
  get memoryBytes(): number {
    return this.#memory.buffer.byteLength;
  }

  /**
   * Runs one operation, to end by `deadline` (ms since the epoch); resolves with the guest's
   * response, rejects with GuestError, a trap, or ActorTimeoutError.
   */
  async invoke(operation: string, payload: Uint8Array, deadline: number): Promise<Uint8Array> {
    this.#operation = Buffer.from(operation);
    this.#message = payload;
    this.#response = EMPTY;
    this.#guestError = '';
    try {
      const ok = await this.#timed(deadline, () => this.#guestCall(this.#operation.length, payload.length));
      if (ok !== 1)
        throw new GuestError(
          'ACTOR_ERROR',
          this.#guestError || `the actor failed ${operation} without saying why`,
        );
      return this.#response;
    } finally {
      this.#operation = EMPTY;
      this.#message = EMPTY;
    }
  }
}
