// The lattice's shared state (protocol.md §4.2): link definitions, claims and OCI reference maps in
// the JetStream KV bucket `LATTICEDATA_{lattice}`. Every host watches the whole bucket, so a host
// that joins later knows every link and claim at once, and links outlive any host. This file is the
// only one that reads or writes the bucket; the rest of the host asks it.

import { z } from 'zod';
import { errorFields, errorMessage } from '../lattice/errors.ts';
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

export class LatticeData {
  readonly #kv: KV;
  readonly #subjects: LatticeSubjects;
  readonly #log: Logger;
  readonly #links = new Map<string, StoredLinkDefinition>();
  readonly #claims = new Map<string, ClaimsRecord>();
  readonly #refmaps = new Map<string, string>();
  readonly #hooks: LatticeDataHooks;
  #stopWatching: (() => void) | undefined;

  private constructor(kv: KV, subjects: LatticeSubjects, log: Logger, hooks: LatticeDataHooks) {
    this.#kv = kv;
    this.#subjects = subjects;
    this.#log = log;
    this.#hooks = hooks;
  }

  /**
   * Opens (creating when missing) the bucket and resolves once every existing entry has been read,
   * so a host never answers with a partial view of the lattice.
   */
  static async open(
    nc: NatsConnection,
    subjects: LatticeSubjects,
    jsDomain: string | undefined,
    log: Logger,
    hooks: LatticeDataHooks,
  ): Promise<LatticeData> {
    const js = nc.jetstream(jsDomain ? { domain: jsDomain } : {});
    const kv = await openBucket(() => js.views.kv(subjects.latticeData.bucket, { history: 1 }));
    const data = new LatticeData(kv, subjects, log, hooks);
    await data.#watch(hooks);
    return data;
  }

  async #watch(hooks: LatticeDataHooks): Promise<void> {
    let markLoaded: () => void = () => {};
    const loaded = new Promise<void>((resolve) => {
      markLoaded = resolve;
    });
    const watcher = await this.#kv.watch({ key: '>', initializedFn: () => markLoaded() });
    this.#stopWatching = () => watcher.stop();
    void (async () => {
      for await (const entry of watcher) this.#apply(entry, hooks);
    })().catch((error: unknown) =>
      this.#log.error(`lattice data watch ended: ${errorMessage(error)}`, errorFields(error)),
    );
    await loaded;
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
      const previous = this.#links.get(id);
      this.#links.delete(id);
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
    for (const link of this.#links.values()) {
      if (link.actor_id === actorId && link.contract_id === contractId && link.link_name === linkName)
        return link;
    }
    return undefined;
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
    await this.#kv.put(this.#subjects.latticeData.linkdefKey(id), JSON.stringify(record));
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
    await this.#kv.delete(this.#subjects.latticeData.linkdefKey(existing.id));
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
    await this.#kv.put(this.#subjects.latticeData.claimsKey(publicKey), JSON.stringify(claims));
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
    await this.#kv.put(
      this.#subjects.latticeData.refmapKey(ociRef),
      JSON.stringify({ oci_url: ociRef, public_key: publicKey }),
    );
  }

  stop(): void {
    this.#stopWatching?.();
  }
}

/**
 * Opens the bucket, retrying for a while: a freshly started JetStream cluster answers only once it
 * has elected a leader, and two hosts starting together may race to create the bucket.
 */
async function openBucket(open: () => Promise<KV>): Promise<KV> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      return await open();
    } catch (error) {
      if (Date.now() > deadline) {
        throw new HostError(
          'LATTICE_DATA_UNAVAILABLE',
          `cannot open the lattice data bucket (is JetStream enabled?): ${errorMessage(error)}`,
          { cause: error },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
