// The actors running on this host: their instances (what the control interface counts and
// inventories), their RPC subscription, their claims in the lattice data. Start, stop, scale and
// live update all go through here; the runtime below does the loading and running.
//
// An "instance" is the 2022 host's unit of scale: `count` instances of an actor let that many of
// its calls run at once on this host (the runtime's per-worker concurrency).
//
// A dormant actor (scaled to zero: `scale` with `scale_to_zero: true`, a wasmcloud-ts addition) has
// no instances but stays loaded: its reference, compiled module, claims, RPC subscription, links and
// built-in httpserver listeners stay. Its calls wait in its bounded queue (runtime/actor-slot.ts) and
// the first one wakes it: one instance is started (`actor_started`), from the module already loaded.

import { randomUUID } from 'node:crypto';
import type { ActorClaims } from '../../lattice/claims.ts';
import { verifySignedWasm } from '../../lattice/claims.ts';
import type { ActorLoad } from '../../lattice/control.ts';
import { DISPLAY_ERROR_LIMIT, truncateForDisplay } from '../../lattice/display-text.ts';
import { errorMessage } from '../../lattice/errors.ts';
import type { Logger } from '../../lattice/log.ts';
import type { ArtifactSource } from '../artifacts.ts';
import { HostError } from '../errors.ts';
import type { EventPublisher } from '../events.ts';
import type { ClaimsRecord, LatticeData } from '../lattice-data.ts';
import type { ActorRuntime } from '../runtime/mod.ts';

export interface ActorInstance {
  instanceId: string;
  annotations: Record<string, string>;
  revision: number;
}

export interface RunningActor {
  id: string;
  name: string;
  imageRef: string;
  claims: ActorClaims;
  revision: number;
  instances: ActorInstance[];
  /** Scaled to zero: no instances, still loaded; the next call starts one. */
  dormant: boolean;
  /** The annotations an instance woken from dormancy gets: those of the `scale` that made it dormant. */
  wakeAnnotations: Record<string, string>;
}

/** A command on an actor that cannot be carried out (not running here, another key in the ref). */
export class ActorCommandError extends HostError {}

export interface ActorSupervisorContext {
  /** Given `rpc` settings: loading with `serve` joins the actor's RPC queue group from the workers. */
  runtime: ActorRuntime;
  data: LatticeData;
  events: EventPublisher;
  log: Logger;
  /** Reads files and pulls OCI references; records the refmap of those pulled. */
  artifacts: ArtifactSource;
}

/** Revision as OTP reports it: `rev`, or the token's issue time when `rev` is missing. */
function revisionOf(claims: ActorClaims): number {
  return claims.wascap.rev ?? claims.iat;
}

function humanTime(seconds: number | undefined): string {
  return seconds === undefined ? 'never' : new Date(seconds * 1000).toISOString();
}

/** The claims as `get.claims` and the KV bucket hold them: every value a string. */
export function actorClaimsRecord(claims: ActorClaims): ClaimsRecord {
  return {
    call_alias: claims.wascap.call_alias ?? '',
    iss: claims.iss,
    name: claims.wascap.name ?? '',
    caps: (claims.wascap.caps ?? []).join(','),
    rev: String(claims.wascap.rev ?? ''),
    tags: (claims.wascap.tags ?? []).join(','),
    version: claims.wascap.ver ?? '',
    sub: claims.sub,
  };
}

export class ActorSupervisor {
  readonly #context: ActorSupervisorContext;
  readonly #actors = new Map<string, RunningActor>();
  /** Serialises commands per actor, so a scale cannot interleave with a stop of the same actor. */
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(context: ActorSupervisorContext) {
    this.#context = context;
  }

  running(): RunningActor[] {
    return [...this.#actors.values()];
  }

  find(actorId: string): RunningActor | undefined {
    return this.#actors.get(actorId);
  }

  /**
   * Calls in flight and queued per running actor, from counters the runtime's workers keep as they
   * run calls (nothing is asked of them). An actor runs up to its instance count of calls at once in
   * each worker, so it can run `instances × workers` on this host.
   */
  load(): ActorLoad[] {
    const { runtime } = this.#context;
    const counted = runtime.callLoad();
    return this.running().map((actor) => {
      const calls = counted.get(actor.id);
      return {
        id: actor.id,
        instances: actor.instances.length,
        in_flight: calls?.inFlight ?? 0,
        queued: calls?.queued ?? 0,
        max_concurrency: actor.instances.length * runtime.workerCount,
        calls_total: calls?.callsTotal ?? 0,
        last_call_at: Math.round(calls?.lastCallAt ?? 0),
        scaled_to_zero: actor.dormant,
      };
    });
  }

  /** The actor key a reference names: a key itself, a running actor's image ref, or a refmap. */
  resolveKey(ref: string): string | undefined {
    if (this.#actors.has(ref)) return ref;
    for (const actor of this.#actors.values()) if (actor.imageRef === ref) return actor.id;
    return this.#context.data.publicKeyForRef(ref);
  }

  #serially<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    // The queue goes on after a failed task: its caller gets the failure from `next`.
    this.#queues.set(
      key,
      next.catch(() => undefined),
    );
    return next;
  }

  /** Fetches, verifies and runs `count` instances of the actor `ref` names (adding to any running). */
  async start(ref: string, count: number, annotations: Record<string, string>): Promise<RunningActor> {
    const fetched = await this.#context.artifacts.fetch(ref, 'actor');
    const { bytes } = fetched;
    const verified = verifySignedWasm(bytes);
    return this.#serially(verified.claims.sub, async () => {
      const existing = this.#actors.get(verified.claims.sub);
      const total = (existing?.instances.length ?? 0) + count;
      // Verified once: the runtime takes this verification instead of making its own.
      const loaded = await this.#context.runtime.load(bytes, {
        maxConcurrency: total,
        serve: true,
        verified,
      });
      const actor: RunningActor = existing ?? {
        id: loaded.id,
        name: loaded.claims.wascap.name ?? loaded.id,
        imageRef: ref,
        claims: loaded.claims,
        revision: revisionOf(loaded.claims),
        instances: [],
        dormant: false,
        wakeAnnotations: annotations,
      };
      actor.dormant = false;
      this.#actors.set(actor.id, actor);
      const added = this.#addInstances(actor, count, annotations);
      await this.#context.data.putClaims(actor.id, actorClaimsRecord(actor.claims));
      await this.#context.artifacts.recordStarted(fetched, actor.id);
      for (const instance of added) this.#publishStarted(actor, instance);
      this.#context.log.info(`actor ${truncateForDisplay(actor.name)} (${actor.id}) started`, {
        instances: actor.instances.length,
      });
      return actor;
    });
  }

  #publishStarted(actor: RunningActor, instance: ActorInstance): void {
    const { wascap } = actor.claims;
    this.#context.events.publish('actor_started', {
      public_key: actor.id,
      image_ref: actor.imageRef,
      api_version: 0,
      instance_id: instance.instanceId,
      annotations: instance.annotations,
      claims: {
        call_alias: wascap.call_alias ?? '',
        caps: wascap.caps ?? [],
        issuer: actor.claims.iss,
        tags: wascap.tags ?? [],
        name: wascap.name ?? '',
        version: wascap.ver ?? '',
        revision: actor.revision,
        not_before_human: humanTime(actor.claims.nbf),
        expires_human: humanTime(actor.claims.exp),
      },
    });
  }

  /**
   * Stops `count` instances (0 = all) of the actor `ref` names. With annotations, only instances
   * carrying every one of them are candidates (an application controller stops what it started and
   * never an instance someone started by hand, however large `count` is). Returns how many stopped.
   */
  stop(
    ref: string,
    count: number,
    annotations: Record<string, string> = {},
    toZero: 'remove' | 'dormant' = 'remove',
  ): Promise<number> {
    const actorId = this.resolveKey(ref);
    if (!actorId)
      return Promise.reject(
        new ActorCommandError('ACTOR_NOT_RUNNING', `actor ${ref} is not running on this host`),
      );
    return this.#serially(actorId, async () => {
      const actor = this.#actors.get(actorId);
      if (!actor)
        throw new ActorCommandError('ACTOR_NOT_RUNNING', `actor ${ref} is not running on this host`);
      const matches = (instance: ActorInstance) =>
        Object.entries(annotations).every(([key, value]) => instance.annotations[key] === value);
      const candidates = actor.instances.filter(matches);
      const stopping = count === 0 ? candidates : candidates.slice(0, count);
      await this.#remove(actor, stopping, toZero);
      return stopping.length;
    });
  }

  async #remove(actor: RunningActor, stopping: ActorInstance[], toZero: 'remove' | 'dormant'): Promise<void> {
    const gone = new Set(stopping.map((instance) => instance.instanceId));
    actor.instances = actor.instances.filter((instance) => !gone.has(instance.instanceId));
    if (actor.instances.length === 0 && toZero === 'dormant') {
      // Kept loaded, listening and linked; its calls now wait in its queue and wake it.
      actor.dormant = true;
      this.#context.runtime.setConcurrency(actor.id, 0);
    } else if (actor.instances.length === 0) {
      this.#actors.delete(actor.id);
      // The workers drain the actor's subscription: calls already delivered here still finish.
      this.#context.runtime.unload(actor.id);
    } else {
      // Fewer instances run fewer calls at once: the capacity stopped is given back.
      this.#context.runtime.setConcurrency(actor.id, actor.instances.length);
    }
    for (const instance of stopping) {
      this.#context.events.publish('actor_stopped', {
        public_key: actor.id,
        instance_id: instance.instanceId,
      });
    }
    const name = truncateForDisplay(actor.name);
    this.#context.log.info(`actor ${name} (${actor.id}) stopped ${stopping.length} instance(s)`, {
      remaining: actor.instances.length,
      ...(actor.dormant ? { scaled_to_zero: true } : {}),
    });
  }

  /**
   * A call came for a dormant actor: one instance starts, from the module already loaded, and the
   * calls waiting in its queue are served. Nothing when it is no longer dormant (another worker's
   * call woke it first, or it was scaled meanwhile).
   */
  wake(actorId: string): Promise<void> {
    return this.#serially(actorId, async () => {
      const actor = this.#actors.get(actorId);
      if (actor === undefined || !actor.dormant) return;
      actor.dormant = false;
      this.#context.runtime.setConcurrency(actor.id, 1);
      for (const instance of this.#addInstances(actor, 1, actor.wakeAnnotations))
        this.#publishStarted(actor, instance);
      this.#context.log.info(`actor ${truncateForDisplay(actor.name)} (${actor.id}) woken by a call`);
    });
  }

  /**
   * Sets the number of instances; starts the actor from `ref` when it is not running, 0 stops it —
   * or, with `scaleToZero`, keeps it dormant (loaded, linked, listening; the next call wakes it).
   */
  async scale(
    actorId: string,
    ref: string,
    count: number,
    annotations: Record<string, string>,
    scaleToZero = false,
  ): Promise<void> {
    const actor = this.#actors.get(actorId);
    const current = actor?.instances.length ?? 0;
    if (count === 0 && scaleToZero) {
      if (actor === undefined) await this.#startDormant(actorId, ref, annotations);
      else {
        // The instance a call wakes carries the annotations of the scale that put the actor to sleep.
        actor.wakeAnnotations = annotations;
        await this.stop(actorId, 0, annotations, 'dormant');
      }
      return;
    }
    if (count > current) {
      if (actor) await this.#grow(actor, count - current, annotations);
      else {
        const started = await this.start(ref, count, annotations);
        if (started.id !== actorId) {
          await this.stop(started.id, count);
          throw new ActorCommandError(
            'ACTOR_KEY_MISMATCH',
            `${ref} holds actor ${started.id}, not ${actorId}`,
          );
        }
      }
    } else if (count < current) {
      await this.stop(actorId, current - count, annotations);
    }
  }

  /** Loads the actor `ref` names with no instances: dormant until its first call. */
  async #startDormant(actorId: string, ref: string, annotations: Record<string, string>): Promise<void> {
    const fetched = await this.#context.artifacts.fetch(ref, 'actor');
    const verified = verifySignedWasm(fetched.bytes);
    if (verified.claims.sub !== actorId)
      throw new ActorCommandError(
        'ACTOR_KEY_MISMATCH',
        `${ref} holds actor ${verified.claims.sub}, not ${actorId}`,
      );
    await this.#serially(actorId, async () => {
      if (this.#actors.has(actorId)) return; // started meanwhile: a later scale decides
      const loaded = await this.#context.runtime.load(fetched.bytes, {
        maxConcurrency: 0,
        serve: true,
        verified,
      });
      this.#actors.set(actorId, {
        id: actorId,
        name: loaded.claims.wascap.name ?? actorId,
        imageRef: ref,
        claims: loaded.claims,
        revision: revisionOf(loaded.claims),
        instances: [],
        dormant: true,
        wakeAnnotations: annotations,
      });
      await this.#context.data.putClaims(actorId, actorClaimsRecord(loaded.claims));
      await this.#context.artifacts.recordStarted(fetched, actorId);
      this.#context.log.info(`actor ${truncateForDisplay(ref)} (${actorId}) loaded scaled to zero`);
    });
  }

  /** More instances of a running actor: the code it runs already, with more calls at once. */
  #grow(actor: RunningActor, count: number, annotations: Record<string, string>): Promise<void> {
    return this.#serially(actor.id, async () => {
      actor.dormant = false;
      this.#context.runtime.setConcurrency(actor.id, actor.instances.length + count);
      for (const instance of this.#addInstances(actor, count, annotations))
        this.#publishStarted(actor, instance);
    });
  }

  #addInstances(actor: RunningActor, count: number, annotations: Record<string, string>): ActorInstance[] {
    const added = Array.from({ length: count }, () => ({
      instanceId: randomUUID(),
      annotations,
      revision: actor.revision,
    }));
    actor.instances.push(...added);
    return added;
  }

  /**
   * Live update: loads the module `newRef` names in place of the running one. It must carry the same
   * actor key. Calls already running finish on the old code; new calls run the new code.
   */
  update(actorId: string, newRef: string): Promise<RunningActor> {
    return this.#serially(actorId, async () => {
      const actor = this.#actors.get(actorId);
      if (!actor)
        throw new ActorCommandError('ACTOR_NOT_RUNNING', `actor ${actorId} is not running on this host`);
      try {
        const fetched = await this.#context.artifacts.fetch(newRef, 'actor');
        const verified = verifySignedWasm(fetched.bytes);
        if (verified.claims.sub !== actorId) {
          throw new ActorCommandError(
            'ACTOR_KEY_MISMATCH',
            `${newRef} holds actor ${verified.claims.sub}; a live update needs the same key ${actorId}`,
          );
        }
        const loaded = await this.#context.runtime.load(fetched.bytes, {
          maxConcurrency: actor.instances.length,
          serve: true,
          verified,
        });
        actor.claims = loaded.claims;
        actor.revision = revisionOf(loaded.claims);
        actor.imageRef = newRef;
        actor.name = loaded.claims.wascap.name ?? actor.name;
        for (const instance of actor.instances) instance.revision = actor.revision;
        await this.#context.data.putClaims(actor.id, actorClaimsRecord(actor.claims));
        await this.#context.artifacts.recordStarted(fetched, actor.id);
        for (const instance of actor.instances) {
          this.#context.events.publish('actor_updated', {
            public_key: actor.id,
            revision: actor.revision,
            instance_id: instance.instanceId,
          });
        }
        return actor;
      } catch (error) {
        for (const instance of actor.instances) {
          this.#context.events.publish('actor_update_failed', {
            public_key: actor.id,
            revision: actor.revision,
            instance_id: instance.instanceId,
            reason: truncateForDisplay(errorMessage(error), DISPLAY_ERROR_LIMIT),
          });
        }
        throw error;
      }
    });
  }

  /** Stops every actor (host shutdown). */
  async stopAll(): Promise<void> {
    await Promise.all(this.running().map((actor) => this.stop(actor.id, 0).catch(() => 0)));
  }
}
