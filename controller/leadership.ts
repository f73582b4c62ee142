// Which replica leads (runs the reconciler): a lease in the JetStream KV bucket `wadm_leases`, key
// `{lattice}`, whose value names the holder. Every write of it is revision-checked (create when
// absent, renew by update with the revision the holder wrote, take over by update with the
// revision a follower read), so of two replicas writing at once exactly one wins.
//
// Time is never compared across machines. The holder renews every ~2 s and counts itself leader
// only until TTL minus a margin after it *sent* its last successful renewal; a follower takes over
// only once it has seen the same revision for a whole TTL on its own monotonic clock (so after the
// holder's own deadline, whatever the machines' clocks say). The value's `expires_at` says when
// the lease runs out by the holder's clock, for people and tools reading the bucket. On shutdown
// the holder first stops leading, then deletes the key (revision-checked): a follower watching it
// takes over at once. A holder whose renewal is refused (someone else took the lease) stops
// leading immediately.

import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { errorFields, errorMessage } from '../lattice/errors.ts';
import { encodeJsonMessage, parseJsonMessage } from '../lattice/json-message.ts';
import type { Logger } from '../lattice/log.ts';
import type { KV, KvEntry } from '../lattice/nats.ts';
import { ControllerError } from './errors.ts';
import { isRevisionConflict } from './kv-buckets.ts';

export const DEFAULT_LEASE_TTL_MS = 6000;
export const DEFAULT_RENEW_EVERY_MS = 2000;
export const DEFAULT_CHECK_EVERY_MS = 500;
/** The holder stops leading this long before a follower may take over (timers fire late). */
const SAFETY_MARGIN_MS = 1000;

const leaseValueSchema = z
  .object({
    holder: z.string(),
    ttl_ms: z.number().int().positive(),
    acquired_at: z.string(),
    renewed_at: z.string(),
    expires_at: z.string(),
  })
  .describe('leadership lease');
export type LeaseValue = z.output<typeof leaseValueSchema>;

export interface LeaseOptions {
  kv: KV;
  latticePrefix: string;
  replicaId: string;
  log: Logger;
  ttlMs?: number | undefined;
  renewEveryMs?: number | undefined;
  checkEveryMs?: number | undefined;
  /** This replica now leads. */
  onElected(): void;
  /** This replica no longer leads (`reason` says why); the returned promise settles once it has stopped. */
  onDeposed(reason: string): void | Promise<void>;
}

/** What a follower last saw of the lease: a revision and when (monotonic) it first saw it. */
interface Observed {
  revision: number;
  since: number;
  holder: string | undefined;
  ttlMs: number;
}

export class LeadershipLease {
  readonly #options: LeaseOptions;
  readonly #key: string;
  readonly #ttlMs: number;
  readonly #renewEveryMs: number;
  readonly #checkEveryMs: number;
  #leading = false;
  /** The lease's revision as this replica last wrote it (while leading). */
  #revision = 0;
  #acquiredAt = '';
  #observed: Observed | undefined;
  #tickTimer: NodeJS.Timeout | undefined;
  #deadlineTimer: NodeJS.Timeout | undefined;
  #busy = false;
  #again = false;
  #stopped = false;
  #stopWatch: (() => void) | undefined;
  #deposing: Promise<void> = Promise.resolve();

  constructor(options: LeaseOptions) {
    this.#options = options;
    this.#key = options.latticePrefix;
    this.#ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    this.#renewEveryMs = options.renewEveryMs ?? DEFAULT_RENEW_EVERY_MS;
    this.#checkEveryMs = options.checkEveryMs ?? DEFAULT_CHECK_EVERY_MS;
    if (this.#ttlMs <= SAFETY_MARGIN_MS + this.#renewEveryMs) {
      throw new ControllerError(
        'CONTROLLER_LEASE_TIMINGS_INVALID',
        `lease TTL ${this.#ttlMs} ms leaves no time to renew every ${this.#renewEveryMs} ms with a ${SAFETY_MARGIN_MS} ms margin`,
      );
    }
  }

  get leading(): boolean {
    return this.#leading;
  }

  /** Starts competing: tries at once, then on every check and every change of the lease. */
  async start(): Promise<void> {
    const watcher = await this.#options.kv.watch({ key: this.#key });
    this.#stopWatch = () => watcher.stop();
    void (async () => {
      for await (const entry of watcher) this.#onLeaseChange(entry);
    })().catch((error: unknown) =>
      this.#options.log.warn(
        `the watch of the leadership lease ended: ${errorMessage(error)}`,
        errorFields(error),
      ),
    );
    this.#tick();
  }

  /** Stops competing; a leader stops leading (awaiting onDeposed) and then releases the lease. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#tickTimer);
    this.#stopWatch?.();
    const held = this.#leading ? this.#revision : 0;
    this.#depose('shutting down');
    await this.#deposing;
    if (held > 0) await this.#release(held);
  }

  #value(): Uint8Array {
    const now = Date.now();
    const value: LeaseValue = {
      holder: this.#options.replicaId,
      ttl_ms: this.#ttlMs,
      acquired_at: this.#acquiredAt || new Date(now).toISOString(),
      renewed_at: new Date(now).toISOString(),
      expires_at: new Date(now + this.#ttlMs).toISOString(),
    };
    return encodeJsonMessage(value);
  }

  #onLeaseChange(entry: KvEntry): void {
    if (this.#stopped) return;
    // Our own renewals come back here too: reacting to them would renew again, for ever.
    if (entry.operation === 'PUT' && this.#holderOf(entry)?.holder === this.#options.replicaId) return;
    this.#tick();
  }

  #holderOf(entry: KvEntry): LeaseValue | undefined {
    const parsed = parseJsonMessage(leaseValueSchema, entry.value);
    return parsed.ok ? parsed.value : undefined;
  }

  /** Runs one step now, or right after the one running; then schedules the next. */
  #tick = (): void => {
    if (this.#stopped) return;
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = true;
    clearTimeout(this.#tickTimer);
    const step = this.#leading ? this.#renew() : this.#contend();
    void step
      .catch((error: unknown) =>
        this.#options.log.warn(`leadership: ${errorMessage(error)}`, errorFields(error)),
      )
      .finally(() => {
        this.#busy = false;
        if (this.#stopped) return;
        const delay = this.#again ? 0 : this.#leading ? this.#renewEveryMs : this.#checkEveryMs;
        this.#again = false;
        this.#tickTimer = setTimeout(this.#tick, delay);
      });
  };

  /** A follower's step: take the lease if nobody holds it or its holder stopped renewing. */
  async #contend(): Promise<void> {
    const { kv, log } = this.#options;
    const entry = await kv.get(this.#key);
    const now = performance.now();
    if (entry === null || entry.operation !== 'PUT') {
      await this.#acquire(entry?.revision ?? 0, 'no replica held the lease');
      return;
    }
    if (entry.revision !== this.#observed?.revision) {
      const value = this.#holderOf(entry);
      if (value?.holder !== this.#observed?.holder) {
        log.info(`leadership: ${value?.holder ?? 'an unreadable lease'} holds the lease`, {
          revision: entry.revision,
        });
      }
      // A holder announcing a longer TTL than ours is waited for as long as it announced.
      const ttlMs = Math.max(this.#ttlMs, value?.ttl_ms ?? 0);
      this.#observed = { revision: entry.revision, since: now, holder: value?.holder, ttlMs };
      return;
    }
    if (now - this.#observed.since < this.#observed.ttlMs) return;
    await this.#acquire(
      entry.revision,
      `the lease of ${this.#observed.holder ?? 'an unreadable holder'} was not renewed for ${Math.round(now - this.#observed.since)} ms`,
    );
  }

  async #acquire(expectedRevision: number, why: string): Promise<void> {
    const sentAt = performance.now();
    this.#acquiredAt = new Date().toISOString();
    let revision: number;
    try {
      revision = await this.#options.kv.put(this.#key, this.#value(), { previousSeq: expectedRevision });
    } catch (error) {
      if (isRevisionConflict(error)) return; // another replica was quicker
      throw error;
    }
    if (this.#stopped) {
      await this.#release(revision);
      return;
    }
    this.#observed = undefined;
    this.#revision = revision;
    this.#leading = true;
    this.#armDeadline(sentAt);
    this.#options.log.info(`leadership: this replica leads lattice ${this.#options.latticePrefix} (${why})`, {
      replica: this.#options.replicaId,
      revision,
    });
    this.#options.onElected();
  }

  /** A leader's step: renew, expecting the revision it wrote last. */
  async #renew(): Promise<void> {
    const sentAt = performance.now();
    let revision: number;
    try {
      revision = await this.#options.kv.put(this.#key, this.#value(), { previousSeq: this.#revision });
    } catch (error) {
      if (isRevisionConflict(error)) {
        this.#depose('another replica holds the lease now (the renewal was refused)');
        return;
      }
      this.#options.log.warn(
        `leadership: could not renew the lease: ${errorMessage(error)}`,
        errorFields(error),
      );
      return; // tried again at the next step; the deadline ends leadership if it never works
    }
    if (!this.#leading) {
      // The deadline passed while the renewal was on its way: what it wrote is released.
      await this.#release(revision);
      return;
    }
    this.#revision = revision;
    this.#armDeadline(sentAt);
  }

  #armDeadline(sentAt: number): void {
    clearTimeout(this.#deadlineTimer);
    const remaining = sentAt + this.#ttlMs - SAFETY_MARGIN_MS - performance.now();
    this.#deadlineTimer = setTimeout(
      () => this.#depose(`the lease could not be renewed within ${this.#ttlMs - SAFETY_MARGIN_MS} ms`),
      Math.max(0, remaining),
    );
  }

  #depose(reason: string): void {
    if (!this.#leading) return;
    this.#leading = false;
    clearTimeout(this.#deadlineTimer);
    this.#options.log.info(`leadership: this replica stopped leading (${reason})`, {
      replica: this.#options.replicaId,
    });
    // Called right here, not later: the reconciler must stop issuing commands now.
    let stopping: void | Promise<void>;
    try {
      stopping = this.#options.onDeposed(reason);
    } catch (error) {
      stopping = Promise.reject(error);
    }
    this.#deposing = Promise.resolve(stopping).catch((error: unknown) =>
      this.#options.log.error(
        `leadership: stopping the leader's work failed: ${errorMessage(error)}`,
        errorFields(error),
      ),
    );
  }

  /** Deletes the lease this replica wrote at `revision`, so a follower takes over now. */
  async #release(revision: number): Promise<void> {
    try {
      await this.#options.kv.delete(this.#key, { previousSeq: revision });
      this.#options.log.info('leadership: lease released', { replica: this.#options.replicaId });
    } catch (error) {
      // Someone else holds it already (nothing to release), or NATS is gone: it runs out by itself.
      this.#options.log.debug(
        `leadership: the lease was not released: ${errorMessage(error)}`,
        errorFields(error),
      );
    }
  }
}
