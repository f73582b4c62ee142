// Inside a worker: one actor's instances and the bounded queue in front of them — the one place
// every call of the actor waits for an instance, whichever path it came by (NATS, the main thread,
// the built-in httpserver, another actor in this worker or a peer worker). Up to `maxConcurrency`
// instances run calls at once (the actor's instance count); further calls wait in arrival order, up
// to `queueSize` of them; one more is refused at once with ACTOR_QUEUE_FULL (HTTP: 503 with
// Retry-After) rather than left to time out. A resize takes effect in place: growing serves waiting
// calls at once, shrinking drops idle instances and lets busy ones go as they finish, so the
// capacity a scale down takes away is really gone. At 0 (a dormant actor, scaled to zero) calls wait
// in the same queue, and the first asks for an instance to be started (`wake`).

import { INVOCATION_ERROR_CODES, InvocationFailedError } from './errors.ts';

export interface ActorSlotOptions<Instance> {
  actorId: string;
  /** Makes an instance, initialised by the call's deadline. */
  create: (deadline: number) => Promise<Instance>;
  maxConcurrency: number;
  /** Calls that may wait for an instance; one more is refused with ACTOR_QUEUE_FULL. */
  queueSize: number;
  /** Called when a call arrives while the actor has no instances (dormant): start one. */
  wake?: (() => void) | undefined;
}

interface Waiter<Instance> {
  resolve: (instance: Instance) => void;
  reject: (error: unknown) => void;
  deadline: number;
  /** Answered already: given an instance, refused, or failed at its deadline by its timer. */
  settled: boolean;
}

/** A waiting call that reached its deadline: its caller has given up, so it gives up its turn. */
function deadlineError(actorId: string): InvocationFailedError {
  return new InvocationFailedError(
    INVOCATION_ERROR_CODES.timeout,
    `a call of actor ${actorId} waited for an instance until its deadline`,
  );
}

export class ActorSlot<Instance> {
  readonly #options: ActorSlotOptions<Instance>;
  readonly #idle: Instance[] = [];
  readonly #waiting: Waiter<Instance>[] = [];
  #maxConcurrency: number;
  /** Instances made and not dropped (idle or running a call). */
  #live = 0;
  /** Whether a wake was asked for since the actor was last at 0. */
  #woken = false;

  constructor(options: ActorSlotOptions<Instance>) {
    this.#options = options;
    this.#maxConcurrency = options.maxConcurrency;
  }

  get maxConcurrency(): number {
    return this.#maxConcurrency;
  }

  /** Calls waiting for an instance now. */
  get queued(): number {
    this.#dropSettled();
    return this.#waiting.length;
  }

  /** Forgets waiting calls their timers already failed. */
  #dropSettled(): void {
    for (let index = this.#waiting.length - 1; index >= 0; index--)
      if (this.#waiting[index]!.settled) this.#waiting.splice(index, 1);
  }

  /**
   * An instance for one call: an idle one, a new one under the limit, or the next one freed (in
   * arrival order). Rejects with ACTOR_QUEUE_FULL at once when `queueSize` calls wait already.
   */
  acquire(deadline = Number.POSITIVE_INFINITY): Promise<Instance> {
    const idle = this.#idle.pop();
    if (idle !== undefined) return Promise.resolve(idle);
    if (this.#live < this.#maxConcurrency) return this.#make(deadline);
    if (this.queued >= this.#options.queueSize) return Promise.reject(this.#queueFull());
    if (this.#maxConcurrency === 0 && !this.#woken) {
      this.#woken = true;
      this.#options.wake?.();
    }
    return new Promise((resolve, reject) => this.#waiting.push(this.#waiter(resolve, reject, deadline)));
  }

  /**
   * A waiting call that fails by itself at its deadline, even when no instance frees before then
   * (all busy, or it moved to the slot of a reloaded actor): the queue never holds a call nobody
   * waits for, and the host's queued count (the autoscaler's demand) goes back down.
   */
  #waiter(
    resolve: (instance: Instance) => void,
    reject: (error: unknown) => void,
    deadline: number,
  ): Waiter<Instance> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waiter: Waiter<Instance> = {
      settled: false,
      deadline,
      resolve: (instance) => {
        waiter.settled = true;
        clearTimeout(timer);
        resolve(instance);
      },
      reject: (error) => {
        waiter.settled = true;
        clearTimeout(timer);
        reject(error);
      },
    };
    if (Number.isFinite(deadline)) {
      timer = setTimeout(
        () => {
          if (!waiter.settled) waiter.reject(deadlineError(this.#options.actorId));
        },
        Math.max(0, deadline - Date.now()),
      );
    }
    return waiter;
  }

  /** Whether a call would get an instance now (an idle one, or room for one more) instead of waiting. */
  get hasRoom(): boolean {
    return this.#idle.length > 0 || this.#live < this.#maxConcurrency;
  }

  /** The call on `instance` ended and left it sound: the next waiting call gets it, or it idles. */
  release(instance: Instance): void {
    if (this.#live > this.#maxConcurrency) {
      // Scaled down: this instance is one too many.
      this.#live--;
      return;
    }
    const next = this.#nextWaiting();
    if (next) next.resolve(instance);
    else this.#idle.push(instance);
  }

  /**
   * The oldest waiting call whose deadline has not passed. The others are failed with ACTOR_TIMEOUT
   * (their callers have given up, or are told so from the main thread) instead of taking an instance.
   */
  #nextWaiting(): Waiter<Instance> | undefined {
    const now = Date.now();
    for (;;) {
      const next = this.#waiting.shift();
      if (next?.settled) continue;
      if (next === undefined || next.deadline > now) return next;
      next.reject(deadlineError(this.#options.actorId));
    }
  }

  /** A trapped instance may be corrupt: drop it; the next waiting call gets a fresh one. */
  discard(): void {
    this.#live--;
    this.#serveWaiting();
  }

  /** Lets `maxConcurrency` calls run at once from now on (the instance count changed). */
  resize(maxConcurrency: number): void {
    this.#maxConcurrency = maxConcurrency;
    if (maxConcurrency > 0) this.#woken = false;
    while (this.#live > maxConcurrency && this.#idle.length > 0) {
      this.#idle.pop();
      this.#live--;
    }
    this.#serveWaiting();
  }

  /**
   * The actor was loaded again (a live update, a start while dormant): the calls still waiting in the
   * slot it replaces wait here instead, in their order, and run the new code.
   */
  takeWaitingFrom(previous: ActorSlot<Instance>): void {
    this.#waiting.push(...previous.#waiting.splice(0));
    this.#serveWaiting();
    if (this.#maxConcurrency === 0 && this.#waiting.length > 0 && !this.#woken) {
      this.#woken = true;
      this.#options.wake?.();
    }
  }

  /** The actor is unloaded or replaced: calls still waiting fail as if it had never been here. */
  close(error: unknown): void {
    for (const waiter of this.#waiting.splice(0)) waiter.reject(error);
  }

  /** Makes instances for waiting calls while there is room. */
  #serveWaiting(): void {
    while (this.#live < this.#maxConcurrency) {
      const next = this.#nextWaiting();
      if (next === undefined) return;
      this.#make(next.deadline).then(next.resolve, next.reject);
    }
  }

  async #make(deadline: number): Promise<Instance> {
    this.#live++;
    try {
      return await this.#options.create(deadline);
    } catch (error) {
      this.#live--;
      this.#serveWaiting();
      throw error;
    }
  }

  #queueFull(): InvocationFailedError {
    const { actorId, queueSize } = this.#options;
    return new InvocationFailedError(
      INVOCATION_ERROR_CODES.queueFull,
      `actor ${actorId} has ${this.#maxConcurrency} instance(s) busy and ${queueSize} call(s) waiting (the queue is full); retry later`,
    );
  }
}
