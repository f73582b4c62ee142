// Keeps the host's watch of the lattice data bucket alive for as long as the host runs (issue 19):
// the bucket opened (created or raised to the lattice's replicas), then watched; a failure to open
// it, a first read that stalls, or a watch that ends (its stream's servers gone) is tried again
// with back-off, resuming after the last revision read. A warning says so when it lasts, an info
// line when the bucket is back. JetStream's advisory of a new stream leader restarts the watch at
// once, rather than after the client misses its consumer's idle heartbeats.

import { errorFields, errorMessage } from '../lattice/errors.ts';
import type { Logger } from '../lattice/log.ts';
import type { KV, KvEntry, NatsConnection } from '../lattice/nats.ts';
import { HostError } from './errors.ts';

export interface BucketWatchOptions {
  nc: NatsConnection;
  /** The bucket's stream (`KV_{bucket}`), whose leader elections restart the watch. */
  stream: string;
  /** Opens (creating or raising) the bucket; called until it succeeds. */
  open(): Promise<KV>;
  /** Each entry read, in order. */
  apply(entry: KvEntry): void;
  /** Each time the bucket has been read in full again (to write what waited for it). */
  onAvailable(): void;
  /** What the bucket held when it came back, for the log line ("3 links, 2 claims"). */
  describe(): string;
  log: Logger;
}

/** Between attempts: doubling from the first to the most. */
const RETRY_FIRST_MS = 250;
const RETRY_MOST_MS = 500;
/** A first read that gets no entry for this long is a failed attempt (tried again at once). */
const STALL_MS = 3_000;
/** Failing this long is worth a warning, then again every WARN_AGAIN_MS while it lasts. */
const WARN_AFTER_MS = 3_000;
const WARN_AGAIN_MS = 30_000;

export class BucketWatch {
  readonly #options: BucketWatchOptions;
  readonly #log: Logger;
  /** Resolves the first time the bucket has been read in full. */
  readonly loaded: Promise<void>;
  #markLoaded: () => void = () => {};
  #kv: KV | undefined;
  #stopWatcher: (() => void) | undefined;
  /** The last revision applied: a watch started again resumes after it. */
  #revision = 0;
  #lastFailure: unknown;
  /** Since when the bucket has been unavailable, and when a warning last said so. */
  #failingSince: number | undefined;
  #warnedAt: number | undefined;
  /** The watch was stopped because its stream elected a new leader, not because it failed. */
  #newLeader = false;
  #stopped = false;
  #wake: (() => void) | undefined;
  readonly #unsubscribe: () => void;

  constructor(options: BucketWatchOptions) {
    this.#options = options;
    this.#log = options.log;
    this.loaded = new Promise<void>((resolve) => {
      this.#markLoaded = resolve;
    });
    const advisories = options.nc.subscribe(`$JS.EVENT.ADVISORY.STREAM.LEADER_ELECTED.${options.stream}`, {
      callback: () => {
        if (this.#stopWatcher === undefined) return;
        this.#newLeader = true;
        this.#stopWatcher();
      },
    });
    this.#unsubscribe = () => advisories.unsubscribe();
    void this.#run();
  }

  /** The bucket once opened (writes go to it); undefined until then. */
  get kv(): KV | undefined {
    return this.#kv;
  }

  /** Why the bucket could not be opened or read, the last time it failed. */
  get lastFailure(): unknown {
    return this.#lastFailure;
  }

  /** The start has warned that it goes on without the bucket: the next warning only after a while. */
  warned(): void {
    this.#failingSince ??= Date.now();
    this.#warnedAt = Date.now();
  }

  stop(): void {
    this.#stopped = true;
    this.#unsubscribe();
    this.#wake?.();
    this.#stopWatcher?.();
  }

  async #run(): Promise<void> {
    let delayMs = RETRY_FIRST_MS;
    while (!this.#stopped && !this.#options.nc.isClosed()) {
      try {
        const { ended } = await this.#openAndWatch();
        this.#available();
        delayMs = RETRY_FIRST_MS;
        const why = await ended;
        if (this.#stopped) return;
        if (this.#newLeader) {
          this.#newLeader = false;
          this.#log.info(
            `the lattice data bucket has a new leader: watching it again after revision ${this.#revision}`,
          );
          delayMs = 0;
        } else {
          this.#log.warn(
            `the lattice data watch ended (${errorMessage(why ?? 'its consumer is gone')}): watching it again after revision ${this.#revision}`,
          );
          this.warned();
        }
      } catch (error) {
        this.#failed(error);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      delayMs = Math.max(RETRY_FIRST_MS, Math.min(delayMs * 2, RETRY_MOST_MS));
    }
  }

  #available(): void {
    if (this.#warnedAt !== undefined && this.#failingSince !== undefined) {
      const seconds = Math.round((Date.now() - this.#failingSince) / 1000);
      this.#log.info(
        `the lattice data bucket is available again after ${seconds} s: ${this.#options.describe()}`,
      );
    }
    this.#failingSince = undefined;
    this.#warnedAt = undefined;
    this.#markLoaded();
    this.#options.onAvailable();
  }

  #failed(error: unknown): void {
    this.#lastFailure = error;
    const now = Date.now();
    this.#failingSince ??= now;
    this.#log.debug(`the lattice data bucket: ${errorMessage(error)}`);
    const due =
      this.#warnedAt === undefined
        ? now - this.#failingSince >= WARN_AFTER_MS
        : now - this.#warnedAt >= WARN_AGAIN_MS;
    if (!due) return;
    this.#log.warn(
      `the lattice data bucket has not been available for ${Math.round((now - this.#failingSince) / 1000)} s (${errorMessage(error)}): retrying`,
      errorFields(error),
    );
    this.#warnedAt = now;
  }

  /**
   * Opens the bucket (once) and starts a watch from after the last revision applied; resolves once
   * the watch has read what the bucket holds, with a promise of the watch's end (and why).
   */
  async #openAndWatch(): Promise<{ ended: Promise<unknown> }> {
    this.#kv ??= await this.#options.open();
    let markLoaded: () => void = () => {};
    const loaded = new Promise<void>((resolve) => {
      markLoaded = resolve;
    });
    const watcher = await this.#kv.watch({
      key: '>',
      initializedFn: () => markLoaded(),
      ...(this.#revision > 0 ? { resumeFromRevision: this.#revision + 1 } : {}),
    });
    let lastEntryAt = Date.now();
    const ended = (async () => {
      try {
        for await (const entry of watcher) {
          lastEntryAt = Date.now();
          this.#revision = Math.max(this.#revision, entry.revision);
          this.#options.apply(entry);
        }
        return undefined;
      } catch (error) {
        return error;
      } finally {
        this.#stopWatcher = undefined;
      }
    })();
    this.#stopWatcher = () => watcher.stop();
    // A watch made while its stream changes leader can stay silent until the client's idle
    // heartbeats reset it (10 s): one that reads nothing for a while is a failed attempt instead.
    let stallTimer: NodeJS.Timeout | undefined;
    const stalled = new Promise<'stalled'>((resolve) => {
      const check = () => {
        if (Date.now() - lastEntryAt >= STALL_MS) resolve('stalled');
        else stallTimer = setTimeout(check, STALL_MS / 4);
      };
      stallTimer = setTimeout(check, STALL_MS / 4);
    });
    const first = await Promise.race([loaded.then(() => 'loaded' as const), ended, stalled]);
    clearTimeout(stallTimer);
    // Wrapped: an async function returning a promise would wait for it (the watch's end).
    if (first === 'loaded') return { ended };
    watcher.stop();
    await ended;
    if (first === 'stalled')
      throw new HostError('LATTICE_DATA_UNAVAILABLE', `the watch read nothing for ${STALL_MS} ms`);
    throw first ?? new HostError('LATTICE_DATA_UNAVAILABLE', 'the watch ended before it had read the bucket');
  }
}
