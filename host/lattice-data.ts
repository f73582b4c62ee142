// The lattice's shared state (protocol.md §4.2): link definitions, claims and OCI reference maps in
// the JetStream KV bucket `LATTICEDATA_{lattice}`. Every host watches the whole bucket, so a host
// that joins later knows every link and claim at once, and links outlive any host. This file is the
// only one that reads or writes the bucket; the rest of the host asks it. The bucket is kept on
// min(3, servers) NATS servers (lattice/jetstream-replicas.ts); while it is unavailable (a leader
// election) the host serves what it knows, link writes are refused with the reason, and its own
// claims and refmaps wait to be written; lattice-data-watch.ts keeps the watch alive.

import { z } from 'zod';
import { errorCode, errorFields, errorMessage } from '../lattice/errors.ts';
import { openReplicatedKv } from '../lattice/jetstream-replicas.ts';
import { parseJsonMessage } from '../lattice/json-message.ts';
import { isPublicKey } from '../lattice/keys.ts';
import {
  type LinkDefinition,
  type StoredLinkDefinition,
  storedLinkDefinitionSchema,
  withLinkId,
} from '../lattice/link-definition.ts';
import type { Logger } from '../lattice/log.ts';
import type { KV, KvEntry, NatsConnection } from '../lattice/nats.ts';
import { type LatticeSubjects, parseLatticeDataKey } from '../lattice/subjects.ts';
import { HostError } from './errors.ts';
import { BucketWatch } from './lattice-data-watch.ts';
import { LinkIndex } from './runtime/link-index.ts';

/** A claims record as `get.claims` reports it: every value a string (caps and tags comma-joined). */
export type ClaimsRecord = Record<string, string>;

const claimsRecordSchema = z.record(z.string(), z.string()).describe('claims record');
const refmapSchema = z
  .looseObject({ oci_url: z.string().min(1), public_key: z.string().min(1) })
  .describe('refmap');

/** What the host does when the bucket changes, whoever changed it. */
export interface LatticeDataHooks {
  linkSet(link: StoredLinkDefinition): void;
  linkDeleted(link: StoredLinkDefinition): void;
  /** A claims record put (by this host, as it writes, or by anyone, as the watch reads it). */
  claimsSet?(publicKey: string, claims: ClaimsRecord): void;
  claimsDeleted?(publicKey: string): void;
}

/** JetStream requests of an attempt to open the bucket (the client's default is 5 s). */
const REQUEST_TIMEOUT_MS = 1_000;
/** A write that failed is tried again after this long. */
const REWRITE_AFTER_MS = 1_000;

/** What LatticeData.open needs besides the connection and the lattice's subjects. */
export interface LatticeDataOptions {
  jsDomain: string | undefined;
  /** WASMCLOUD_JS_REPLICAS; undefined: min(3, servers in the NATS cluster). */
  jsReplicas: number | undefined;
  log: Logger;
  hooks: LatticeDataHooks;
  /**
   * How long the start waits for the bucket before going on without it (default 3 s): long enough
   * for a fresh bucket, shorter than a leader election after a NATS server died (4-9 s).
   */
  startWaitMs?: number;
}

export class LatticeData {
  readonly #log: Logger;
  readonly #subjects: LatticeSubjects;
  readonly #links = new LinkIndex<StoredLinkDefinition>((link) => ({
    actorId: link.actor_id,
    contractId: link.contract_id,
    linkName: link.link_name,
  }));
  readonly #claims = new Map<string, ClaimsRecord>();
  readonly #refmaps = new Map<string, string>();
  readonly #hooks: LatticeDataHooks;
  readonly #watch: BucketWatch;
  /** Claims and refmaps this host wrote while the bucket was unavailable, by key: written when it is back. */
  readonly #unwritten = new Map<string, string>();
  #flushTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  private constructor(nc: NatsConnection, subjects: LatticeSubjects, options: LatticeDataOptions) {
    this.#subjects = subjects;
    this.#log = options.log;
    this.#hooks = options.hooks;
    const { jsDomain, jsReplicas } = options;
    // Short requests: an attempt that cannot be answered (no leader yet) makes way for the next.
    // No account-info check first (it needs the meta leader, elected anew when its server dies);
    // a NATS without JetStream is told by the bucket requests nobody answers.
    const js = nc.jetstream({
      timeout: REQUEST_TIMEOUT_MS,
      checkAPI: false,
      ...(jsDomain ? { domain: jsDomain } : {}),
    });
    this.#watch = new BucketWatch({
      nc,
      stream: `KV_${subjects.latticeData.bucket}`,
      open: () =>
        openReplicatedKv(
          js,
          nc,
          subjects.latticeData.bucket,
          { history: 1 },
          { setting: jsReplicas, log: options.log },
        ),
      apply: (entry) => this.#apply(entry, this.#hooks),
      onAvailable: () => this.#flushUnwritten(),
      describe: () => `${this.#links.size} links, ${this.#claims.size} claims`,
      log: options.log,
    });
  }

  /**
   * Opens (creating when missing, with the lattice's replicas) the bucket and resolves once every
   * existing entry has been read, so a host never answers with a partial view of the lattice. When
   * the bucket does not answer within the start wait (its servers electing a leader, one of them
   * down), the host starts without it, warns, and keeps trying in the background (the bucket's
   * links and claims arrive when it answers). A NATS without JetStream at all is an error.
   */
  static async open(
    nc: NatsConnection,
    subjects: LatticeSubjects,
    options: LatticeDataOptions,
  ): Promise<LatticeData> {
    const data = new LatticeData(nc, subjects, options);
    const waitMs = options.startWaitMs ?? 3_000;
    let timer: NodeJS.Timeout | undefined;
    const loaded = await Promise.race([
      data.#watch.loaded.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), waitMs);
      }),
    ]);
    clearTimeout(timer);
    if (loaded) return data;
    const failure = data.#watch.lastFailure;
    const reason = errorMessage(failure ?? `no answer within ${waitMs} ms`);
    if (hasNoJetStream(failure)) {
      data.stop();
      throw new HostError(
        'LATTICE_DATA_UNAVAILABLE',
        `cannot open the lattice data bucket (is JetStream enabled?): the NATS server has no JetStream API (${reason})`,
        { cause: failure },
      );
    }
    options.log.warn(
      `the lattice data bucket ${subjects.latticeData.bucket} is not available (${reason}): starting without links and claims, retrying in the background`,
    );
    data.#watch.warned();
    return data;
  }

  /** Writes what this host could not write while the bucket was unavailable; again later on failure. */
  #flushUnwritten(): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const kv = this.#watch.kv;
    if (kv === undefined || this.#unwritten.size === 0 || this.#stopped) return;
    const writes = [...this.#unwritten];
    void Promise.all(
      writes.map(async ([key, value]) => {
        await kv.put(key, value);
        // A newer value may have been queued meanwhile; keep that one.
        if (this.#unwritten.get(key) === value) this.#unwritten.delete(key);
      }),
    ).catch((error: unknown) => {
      this.#log.warn(
        `${this.#unwritten.size} lattice data entries still unwritten: ${errorMessage(error)}`,
        errorFields(error),
      );
      this.#flushTimer = setTimeout(() => this.#flushUnwritten(), REWRITE_AFTER_MS);
    });
  }

  /** Writes an entry only this host knows (claims, refmaps); kept and written later when the bucket fails. */
  async #writeOwn(key: string, value: string): Promise<void> {
    const kv = this.#watch.kv;
    if (kv !== undefined) {
      try {
        await kv.put(key, value);
        return;
      } catch (error) {
        this.#log.warn(
          `cannot write ${key} to the lattice data bucket now (${errorMessage(error)}): writing it when the bucket answers`,
        );
      }
    }
    this.#unwritten.set(key, value);
    if (kv !== undefined) this.#flushTimer ??= setTimeout(() => this.#flushUnwritten(), REWRITE_AFTER_MS);
  }

  /** The open bucket, for a write every host must see (links): an error while it is unavailable. */
  #bucketForWrite(): KV {
    const kv = this.#watch.kv;
    if (kv === undefined)
      throw new HostError(
        'LATTICE_DATA_UNAVAILABLE',
        `the lattice data bucket is not available yet (retrying): ${errorMessage(this.#watch.lastFailure ?? 'not opened')}`,
      );
    return kv;
  }

  #apply(entry: KvEntry, hooks: LatticeDataHooks): void {
    const key = parseLatticeDataKey(entry.key);
    if (!key) return;
    const deleted = entry.operation !== 'PUT';
    try {
      if (key.kind === 'linkdef') this.#applyLink(key.id, deleted ? undefined : entry, hooks);
      else if (key.kind === 'claims') {
        const claims = deleted ? undefined : this.#parse(claimsRecordSchema, entry);
        if (claims) {
          this.#claims.set(key.publicKey, claims);
          hooks.claimsSet?.(key.publicKey, claims);
        } else if (deleted) {
          this.#claims.delete(key.publicKey);
          hooks.claimsDeleted?.(key.publicKey);
        }
      } else {
        const refmap = deleted ? undefined : this.#parse(refmapSchema, entry);
        if (refmap) this.#refmaps.set(refmap.oci_url, refmap.public_key);
        else if (deleted) this.#refmaps.delete(key.ociRef);
      }
    } catch (error) {
      // A hook failing (e.g. a provider gone) must not end the watch for everything else.
      this.#log.error(`applying ${entry.key} failed: ${errorMessage(error)}`, errorFields(error));
    }
  }

  #applyLink(id: string, entry: KvEntry | undefined, hooks: LatticeDataHooks): void {
    if (entry === undefined) {
      const previous = this.#links.delete(id);
      if (previous) hooks.linkDeleted(previous);
      return;
    }
    const link = this.#parse(storedLinkDefinitionSchema, entry);
    if (!link) return;
    this.#links.set(id, link);
    hooks.linkSet(link);
  }

  /** An entry's JSON value, or undefined (logged) when someone wrote something malformed. */
  #parse<S extends z.ZodType>(schema: S, entry: KvEntry): z.output<S> | undefined {
    const parsed = parseJsonMessage(schema, entry.value);
    if (parsed.ok) return parsed.value;
    this.#log.warn(`ignoring ${entry.key}: ${parsed.error}`);
    return undefined;
  }

  // ---- links ----

  links(): StoredLinkDefinition[] {
    return [...this.#links.values()];
  }

  /** The link an actor's call on `contractId` through `linkName` goes over, if one is defined. */
  linkFor(actorId: string, contractId: string, linkName: string): StoredLinkDefinition | undefined {
    return this.#links.find(actorId, contractId, linkName);
  }

  /** Every link served by one provider instance (provider key and link name). */
  linksForProvider(providerId: string, linkName: string): StoredLinkDefinition[] {
    return this.links().filter((link) => link.provider_id === providerId && link.link_name === linkName);
  }

  /** Writes the link; the watch (on every host, this one included) then applies it. */
  async putLink(link: LinkDefinition): Promise<StoredLinkDefinition> {
    const stored = withLinkId(link);
    const { actor_id, provider_id, link_name, contract_id, values, id } = stored;
    const record = { id, actor_id, provider_id, link_name, contract_id, values };
    await this.#bucketForWrite().put(this.#subjects.latticeData.linkdefKey(id), JSON.stringify(record));
    return record;
  }

  /** Deletes the link of (actor, contract, link name); undefined when there was none. */
  async deleteLink(
    actorId: string,
    contractId: string,
    linkName: string,
  ): Promise<StoredLinkDefinition | undefined> {
    const existing = this.linkFor(actorId, contractId, linkName);
    if (!existing) return undefined;
    await this.#bucketForWrite().delete(this.#subjects.latticeData.linkdefKey(existing.id));
    return existing;
  }

  // ---- claims and call aliases ----

  claims(): ClaimsRecord[] {
    return [...this.#claims.values()];
  }

  claimsFor(publicKey: string): ClaimsRecord | undefined {
    return this.#claims.get(publicKey);
  }

  /** Every claims record by the public key it is stored under, in the order they arrived. */
  claimsByKey(): Array<[string, ClaimsRecord]> {
    return [...this.#claims];
  }

  async putClaims(publicKey: string, claims: ClaimsRecord): Promise<void> {
    this.#claims.set(publicKey, claims);
    // Told now, not when the watch reads it back: an actor started here is called by its alias at once.
    this.#hooks.claimsSet?.(publicKey, claims);
    await this.#writeOwn(this.#subjects.latticeData.claimsKey(publicKey), JSON.stringify(claims));
  }

  /** The actor key behind a call alias (from any actor's claims), if one claims it. */
  actorByCallAlias(alias: string): string | undefined {
    for (const [publicKey, claims] of this.#claims) {
      if (claims.call_alias === alias && isPublicKey(publicKey, 'module')) return publicKey;
    }
    return undefined;
  }

  // ---- OCI reference maps ----

  publicKeyForRef(ociRef: string): string | undefined {
    return this.#refmaps.get(ociRef);
  }

  async putRefmap(ociRef: string, publicKey: string): Promise<void> {
    this.#refmaps.set(ociRef, publicKey);
    await this.#writeOwn(
      this.#subjects.latticeData.refmapKey(ociRef),
      JSON.stringify({ oci_url: ociRef, public_key: publicKey }),
    );
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#flushTimer);
    this.#watch.stop();
  }
}

/** The NATS server has no JetStream API at all ("no responders"), as opposed to a bucket not answering yet. */
function hasNoJetStream(error: unknown): boolean {
  return errorCode(error) === '503';
}
