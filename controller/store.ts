// The applications every replica shares, in the JetStream KV bucket `wadm_manifests`: per
// application an index at `{lattice}.{name}` (its versions, oldest first, and which one is
// deployed) and each version's record (the manifest as sent and its model) at
// `{lattice}.{name}.v.{key}`, written once under a fresh random key. The index is the only record
// ever changed, and every change is revision-checked (read, decide, write expecting the revision
// read; on a conflict read again), so two replicas answering at once never lose each other's
// writes. Reads go to the stream itself, never a cache, so a replica sees what another replica
// wrote the moment before.

import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { errorMessage } from '../lattice/errors.ts';
import { encodeJsonMessage, parseJsonMessage } from '../lattice/json-message.ts';
import type { KV, KvEntry } from '../lattice/nats.ts';
import { ControllerStoreError, isRevisionConflict } from './kv-buckets.ts';
import type { AppManifest } from './manifest/types.ts';
import {
  type AppIndex,
  appIndexSchema,
  type StoredVersion,
  storedVersionSchema,
  type VersionRef,
} from './store-records.ts';

/** Tries of one revision-checked change before giving up (each retry follows another's write). */
const MAX_ATTEMPTS = 50;

export type PutOutcome =
  | { result: 'created' | 'newversion'; totalVersions: number; version: string; unchanged: boolean }
  | { result: 'error'; message: string };

export type DeleteOutcome = { result: 'deleted' | 'noop'; undeployed: boolean; message: string };

export type DeployOutcome =
  | { result: 'acknowledged'; version: string; message: string }
  | { result: 'notfound'; message: string };

export type UndeployOutcome = { result: 'acknowledged' | 'notfound'; message: string };

/** What one attempt of a change decided: the index to write (`delete` removes it), and the answer. */
interface Change<T> {
  write: AppIndex | 'delete' | undefined;
  outcome: T;
  /** Version records no longer referenced once the write succeeds. */
  orphaned?: VersionRef[];
}

export interface IndexWatch {
  /** Resolves once every existing index has been passed to the callback. */
  initialized: Promise<void>;
  stop(): void;
}

/** JSON with every object's keys sorted: equal for equal documents, whatever order they were written in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

function sameDocument(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function describeVersions(index: AppIndex): string {
  return index.versions.map((ref) => ref.version).join(', ');
}

export class ManifestStore {
  readonly #kv: KV;
  readonly #lattice: string;

  constructor(kv: KV, latticePrefix: string) {
    this.#kv = kv;
    this.#lattice = latticePrefix;
  }

  #indexKey(name: string): string {
    return `${this.#lattice}.${name}`;
  }

  #versionKey(name: string, key: string): string {
    return `${this.#lattice}.${name}.v.${key}`;
  }

  #parse<S extends z.ZodType>(schema: S, entry: KvEntry): z.output<S> {
    const parsed = parseJsonMessage(schema, entry.value);
    if (!parsed.ok) {
      throw new ControllerStoreError(
        'CONTROLLER_RECORD_UNREADABLE',
        `the record ${entry.key} in the manifest store is unreadable: ${parsed.error}`,
      );
    }
    return parsed.value;
  }

  /** Runs a KV call, re-telling a failure as the store being unavailable. */
  async #call<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof ControllerStoreError || isRevisionConflict(error)) throw error;
      throw new ControllerStoreError(
        'CONTROLLER_STORE_UNAVAILABLE',
        `the manifest store could not ${what}: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }

  async #readIndex(name: string): Promise<{ index: AppIndex | undefined; revision: number }> {
    const entry = await this.#call(`read application ${name}`, () => this.#kv.get(this.#indexKey(name)));
    if (entry === null) return { index: undefined, revision: 0 };
    // A deleted application leaves a marker whose revision the next create must expect.
    if (entry.operation !== 'PUT') return { index: undefined, revision: entry.revision };
    return { index: this.#parse(appIndexSchema, entry), revision: entry.revision };
  }

  /** Reads, decides and writes expecting the revision read, again after each lost race. */
  async #change<T>(name: string, decide: (current: AppIndex | undefined) => Promise<Change<T>>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const { index, revision } = await this.#readIndex(name);
      const { write, outcome, orphaned = [] } = await decide(index);
      if (write === undefined) return outcome;
      const key = this.#indexKey(name);
      try {
        if (write === 'delete') {
          await this.#call(`delete application ${name}`, () =>
            this.#kv.delete(key, { previousSeq: revision }),
          );
        } else {
          await this.#call(`write application ${name}`, () =>
            this.#kv.put(key, encodeJsonMessage(write), { previousSeq: revision }),
          );
        }
      } catch (error) {
        if (!isRevisionConflict(error)) throw error;
        if (attempt >= MAX_ATTEMPTS) {
          throw new ControllerStoreError(
            'CONTROLLER_STORE_CONTENDED',
            `application ${name} changed under this request ${MAX_ATTEMPTS} times in a row; try again`,
          );
        }
        // Another replica wrote first: decide again on what it wrote, after a random pause so that
        // many writers of one application do not collide in lockstep.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(5 * attempt, 50)));
        continue;
      }
      await this.#purgeVersions(name, orphaned);
      return outcome;
    }
  }

  /** Removes version records nothing refers to any more; a failure leaves garbage, never a wrong answer. */
  async #purgeVersions(name: string, refs: readonly VersionRef[]): Promise<void> {
    await Promise.all(
      refs.map((ref) =>
        this.#kv.purge(this.#versionKey(name, ref.key)).catch(() => {
          // Unreferenced, so never read again; the next delete of the application does not find it
          // either, which costs bytes, not correctness.
        }),
      ),
    );
  }

  /** The application's index, or undefined when it does not exist. */
  async app(name: string): Promise<AppIndex | undefined> {
    return (await this.#readIndex(name)).index;
  }

  /** One version's record; undefined when it is missing (a put that died half-way). */
  async version(name: string, ref: VersionRef): Promise<StoredVersion | undefined> {
    const entry = await this.#call(`read version ${ref.version} of ${name}`, () =>
      this.#kv.get(this.#versionKey(name, ref.key)),
    );
    if (entry === null || entry.operation !== 'PUT') return undefined;
    return this.#parse(storedVersionSchema, entry);
  }

  /** Every application's index, by name. */
  async apps(): Promise<AppIndex[]> {
    const names: string[] = [];
    const keys = await this.#call('list applications', () => this.#kv.keys(`${this.#lattice}.*`));
    await this.#call('list applications', async () => {
      for await (const key of keys) names.push(key.slice(this.#lattice.length + 1));
    });
    const indexes = await Promise.all(names.map((name) => this.app(name)));
    return indexes
      .filter((index): index is AppIndex => index !== undefined)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Adds a version. Putting a version that exists with the same document again changes nothing
   * (`unchanged`: `wash app deploy ./app.yaml` can be run twice, and what `model.get` returned can
   * be put back, YAML or JSON); with another document it is refused.
   */
  async put(manifest: AppManifest, raw: string): Promise<PutOutcome> {
    const { name, version } = manifest;
    const ref: VersionRef = {
      version,
      key: randomBytes(16).toString('hex'),
      description: manifest.description ?? null,
      put_at: new Date().toISOString(),
    };
    const record: StoredVersion = { version, raw, manifest, put_at: ref.put_at };
    // Written first under a key nobody else uses; it counts only once the index names it.
    await this.#call(`write version ${version} of ${name}`, () =>
      this.#kv.put(this.#versionKey(name, ref.key), encodeJsonMessage(record)),
    );
    let used = false;
    try {
      return await this.#change<PutOutcome>(name, async (current) => {
        used = false;
        if (current === undefined) {
          used = true;
          const created: AppIndex = { name, versions: [ref], deployed_version: null };
          return {
            write: created,
            outcome: { result: 'created', totalVersions: 1, version, unchanged: false },
          };
        }
        const existing = current.versions.find((stored) => stored.version === version);
        const total = current.versions.length;
        if (existing === undefined) {
          used = true;
          const grown = { ...current, versions: [...current.versions, ref] };
          return {
            write: grown,
            outcome: { result: 'newversion', totalVersions: total + 1, version, unchanged: false },
          };
        }
        const stored = await this.version(name, existing);
        if (stored === undefined) {
          // Its record is gone (a put that died half-way): this one takes its place.
          used = true;
          const repaired = {
            ...current,
            versions: current.versions.map((other) => (other === existing ? ref : other)),
          };
          return {
            write: repaired,
            outcome: { result: 'newversion', totalVersions: total, version, unchanged: false },
          };
        }
        if (sameDocument(stored.manifest.document, manifest.document)) {
          return {
            write: undefined,
            outcome: { result: 'newversion', totalVersions: total, version, unchanged: true },
          };
        }
        return {
          write: undefined,
          outcome: {
            result: 'error',
            message: `version ${version} of application ${name} already exists with a different manifest; give this one another version (metadata.annotations.version) or delete that version first`,
          },
        };
      });
    } finally {
      if (!used) await this.#purgeVersions(name, [ref]);
    }
  }

  /** Deletes one version, or the whole application when `version` is undefined or its last one goes. */
  deleteVersion(name: string, version: string | undefined): Promise<DeleteOutcome> {
    return this.#change<DeleteOutcome>(name, async (current) => {
      if (current === undefined) {
        return {
          write: undefined,
          outcome: { result: 'noop', undeployed: false, message: `application ${name} does not exist` },
        };
      }
      const wasDeployed = current.deployed_version !== null;
      if (version === undefined) {
        return {
          write: 'delete',
          orphaned: current.versions,
          outcome: {
            result: 'deleted',
            undeployed: wasDeployed,
            message: `deleted application ${name} (${current.versions.length} version${current.versions.length === 1 ? '' : 's'})${wasDeployed ? ', undeployed' : ''}`,
          },
        };
      }
      const gone = current.versions.find((ref) => ref.version === version);
      if (gone === undefined) {
        return {
          write: undefined,
          outcome: {
            result: 'noop',
            undeployed: false,
            message: `application ${name} has no version ${version} (it has ${describeVersions(current)})`,
          },
        };
      }
      const undeploys = current.deployed_version === version;
      const remaining = current.versions.filter((ref) => ref !== gone);
      const message = `deleted version ${version} of application ${name}${undeploys ? ', which was deployed: undeployed' : ''}${remaining.length === 0 ? '; it had no other version, so the application is gone' : ''}`;
      return {
        write:
          remaining.length === 0
            ? 'delete'
            : {
                ...current,
                versions: remaining,
                deployed_version: undeploys ? null : current.deployed_version,
              },
        orphaned: [gone],
        outcome: { result: 'deleted', undeployed: undeploys, message },
      };
    });
  }

  /** Marks a version (the latest when undefined) as the one that should run. */
  deploy(name: string, version: string | undefined): Promise<DeployOutcome> {
    return this.#change<DeployOutcome>(name, async (current) => {
      if (current === undefined) {
        return {
          write: undefined,
          outcome: { result: 'notfound', message: `application ${name} does not exist` },
        };
      }
      const chosen =
        version === undefined
          ? current.versions[current.versions.length - 1]
          : current.versions.find((ref) => ref.version === version);
      if (chosen === undefined) {
        return {
          write: undefined,
          outcome: {
            result: 'notfound',
            message: `application ${name} has no version ${version} (it has ${describeVersions(current)})`,
          },
        };
      }
      const already = current.deployed_version === chosen.version;
      return {
        write: already ? undefined : { ...current, deployed_version: chosen.version },
        outcome: {
          result: 'acknowledged',
          version: chosen.version,
          message: already
            ? `version ${chosen.version} of application ${name} is already deployed`
            : `deploying version ${chosen.version} of application ${name}`,
        },
      };
    });
  }

  /** Marks the application as not to run; its versions stay. */
  undeploy(name: string): Promise<UndeployOutcome> {
    return this.#change<UndeployOutcome>(name, async (current) => {
      if (current === undefined) {
        return {
          write: undefined,
          outcome: { result: 'notfound', message: `application ${name} does not exist` },
        };
      }
      if (current.deployed_version === null) {
        return {
          write: undefined,
          outcome: { result: 'acknowledged', message: `application ${name} is not deployed` },
        };
      }
      return {
        write: { ...current, deployed_version: null },
        outcome: {
          result: 'acknowledged',
          message: `undeploying version ${current.deployed_version} of application ${name}`,
        },
      };
    });
  }

  /**
   * Calls `onChange` with every index now and with each change from then on (`undefined`: the
   * application is gone); an unreadable index is reported through `onUnreadable` and skipped.
   */
  async watch(
    onChange: (name: string, index: AppIndex | undefined) => void,
    onUnreadable: (error: ControllerStoreError) => void,
  ): Promise<IndexWatch> {
    let markInitialized: () => void = () => {};
    const initialized = new Promise<void>((resolve) => {
      markInitialized = resolve;
    });
    const watcher = await this.#call('watch applications', () =>
      this.#kv.watch({ key: `${this.#lattice}.*`, initializedFn: () => markInitialized() }),
    );
    void (async () => {
      for await (const entry of watcher) {
        const name = entry.key.slice(this.#lattice.length + 1);
        if (entry.operation !== 'PUT') {
          onChange(name, undefined);
          continue;
        }
        try {
          onChange(name, this.#parse(appIndexSchema, entry));
        } catch (error) {
          if (error instanceof ControllerStoreError) onUnreadable(error);
          else throw error;
        }
      }
    })().catch((error: unknown) =>
      onUnreadable(
        new ControllerStoreError(
          'CONTROLLER_WATCH_ENDED',
          `the watch of the manifest store ended: ${errorMessage(error)}`,
          {
            cause: error,
          },
        ),
      ),
    );
    return { initialized, stop: () => watcher.stop() };
  }
}
