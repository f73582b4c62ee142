// What the leading replica does, from the moment it is elected until it is deposed: runs the
// reconciler, feeds it the complete desired state (every deployed version's manifest) from the
// shared store at start and on every change of the store, whichever replica made it (a watch of
// the application indexes), and publishes what the reconciler reports: a push on
// `wadm.status.{lattice}.{name}` and a record in the status store for replicas that do not lead.

import { errorFields, errorMessage } from '../lattice/errors.ts';
import { encodeJsonMessage } from '../lattice/json-message.ts';
import type { Logger } from '../lattice/log.ts';
import type { NatsConnection } from '../lattice/nats.ts';
import { type AppStatus, wadmStatusSubject } from '../lattice/wadm-api.ts';
import type { AppManifest } from './manifest/types.ts';
import { type StatusStore, UNDEPLOYED_STATUS } from './status-store.ts';
import type { IndexWatch, ManifestStore } from './store.ts';
import type { AppIndex } from './store-records.ts';
import type { DeployedApp, Reconciler } from './types.ts';

/** How soon a manifest that could not be read is read again. */
const RETRY_READ_MS = 1000;

export interface LeaderDutiesOptions {
  nc: NatsConnection;
  latticePrefix: string;
  replicaId: string;
  store: ManifestStore;
  statuses: StatusStore;
  createReconciler: () => Reconciler;
  log: Logger;
}

export class LeaderDuties {
  readonly #options: LeaderDutiesOptions;
  #reconciler: Reconciler | undefined;
  #stopStatus: (() => void) | undefined;
  #watch: IndexWatch | undefined;
  /** Every application index, as the watch last saw it. */
  readonly #indexes = new Map<string, AppIndex>();
  /** Manifests by their version record's key (records never change, so they are kept). */
  readonly #manifests = new Map<string, AppManifest>();
  /** What the reconciler was last given: application → version. */
  #given = new Map<string, { version: string; manifest: AppManifest }>();
  #initialized = false;
  #feeding = false;
  #dirty = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  #started: Promise<void> = Promise.resolve();

  constructor(options: LeaderDutiesOptions) {
    this.#options = options;
  }

  /** Starts the reconciler and the watch; rejects if either cannot start. */
  start(): Promise<void> {
    this.#started = this.#start();
    return this.#started;
  }

  async #start(): Promise<void> {
    const { store, log } = this.#options;
    const reconciler = this.#options.createReconciler();
    this.#reconciler = reconciler;
    this.#stopStatus = reconciler.onStatusChange((name, status) => this.#onStatus(name, status));
    this.#watch = await store.watch(
      (name, index) => {
        if (index === undefined) this.#indexes.delete(name);
        else this.#indexes.set(name, index);
        if (this.#initialized) this.#feed();
      },
      (error) => log.error(error.message, errorFields(error)),
    );
    if (this.#stopped) {
      this.#watch.stop();
      return;
    }
    await this.#watch.initialized;
    this.#initialized = true;
    this.#feed();
  }

  /** Stops the watch and the reconciler; resolves once the reconciler has closed. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    // Closing first: the reconciler must stop issuing commands even while the start is still running.
    const closing = this.#reconciler?.close();
    this.#stopStatus?.();
    await this.#started.catch(() => undefined); // its failure was reported by whoever started it
    this.#watch?.stop();
    await closing;
  }

  /** Recomputes the desired state and hands it over; calls during a run make one more run after it. */
  #feed(): void {
    if (this.#stopped) return;
    if (this.#feeding) {
      this.#dirty = true;
      return;
    }
    this.#feeding = true;
    void (async () => {
      do {
        this.#dirty = false;
        await this.#feedOnce();
      } while (this.#dirty && !this.#stopped);
    })()
      .catch((error: unknown) =>
        this.#options.log.error(`feeding the reconciler failed: ${errorMessage(error)}`, errorFields(error)),
      )
      .finally(() => {
        this.#feeding = false;
      });
  }

  async #feedOnce(): Promise<void> {
    const { store, log } = this.#options;
    const next = new Map<string, { version: string; manifest: AppManifest }>();
    let unreadable = false;
    for (const index of this.#indexes.values()) {
      const version = index.deployed_version;
      if (version === null) continue;
      const ref = index.versions.find((candidate) => candidate.version === version);
      if (ref === undefined) {
        log.error(`application ${index.name} is deployed at version ${version}, which it does not have`);
        continue;
      }
      let manifest = this.#manifests.get(ref.key);
      if (manifest === undefined) {
        try {
          manifest = (await store.version(index.name, ref))?.manifest;
        } catch (error) {
          // The store is unreachable for now: keep running what was given, and read again soon.
          log.warn(
            `could not read version ${version} of application ${index.name}: ${errorMessage(error)}`,
            errorFields(error),
          );
          unreadable = true;
          const previous = this.#given.get(index.name);
          if (previous) next.set(index.name, previous);
          continue;
        }
        if (manifest === undefined) {
          this.#reportMissing(index.name, version);
          continue;
        }
        this.#manifests.set(ref.key, manifest);
      }
      next.set(index.name, { version, manifest });
    }
    if (this.#stopped) return;
    const previous = this.#given;
    this.#given = next; // before setDesired: a status it reports at once is recorded under this version
    const apps: DeployedApp[] = [...next.values()].map(({ manifest }) => ({ manifest }));
    this.#reconciler?.setDesired(apps);
    for (const name of previous.keys()) if (!next.has(name)) this.#undeployed(name);
    this.#forgetUnused();
    if (unreadable) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = setTimeout(() => this.#feed(), RETRY_READ_MS);
    }
  }

  /** Keeps only the manifests of versions some index still names. */
  #forgetUnused(): void {
    const named = new Set<string>();
    for (const index of this.#indexes.values()) for (const ref of index.versions) named.add(ref.key);
    for (const key of this.#manifests.keys()) if (!named.has(key)) this.#manifests.delete(key);
  }

  #reportMissing(name: string, version: string): void {
    const message = `the manifest of version ${version} is missing from the store (its put did not finish); delete that version and put it again`;
    this.#options.log.error(`application ${name}: ${message}`);
    const status: AppStatus = { status: { type: 'failed', message }, scalers: [] };
    this.#publish(name, status);
    this.#record(name, version, status);
  }

  #onStatus(name: string, status: AppStatus): void {
    if (this.#stopped) return;
    this.#publish(name, status);
    const given = this.#given.get(name);
    // A status of an application no longer deployed is pushed (it says how the undeploy goes) but not
    // kept: an undeployed application's status comes from its index.
    if (given !== undefined) this.#record(name, given.version, status);
  }

  #undeployed(name: string): void {
    this.#publish(name, UNDEPLOYED_STATUS);
    this.#options.statuses
      .remove(name)
      .catch((error: unknown) =>
        this.#options.log.warn(
          `could not remove the status of application ${name}: ${errorMessage(error)}`,
          errorFields(error),
        ),
      );
  }

  #publish(name: string, status: AppStatus): void {
    const { nc, latticePrefix, log } = this.#options;
    try {
      nc.publish(wadmStatusSubject(latticePrefix, name), encodeJsonMessage(status));
    } catch (error) {
      log.warn(
        `could not publish the status of application ${name}: ${errorMessage(error)}`,
        errorFields(error),
      );
    }
  }

  #record(name: string, version: string, status: AppStatus): void {
    const { statuses, replicaId, log } = this.#options;
    statuses
      .write(name, version, status, replicaId)
      .catch((error: unknown) =>
        log.warn(
          `could not record the status of application ${name}: ${errorMessage(error)}`,
          errorFields(error),
        ),
      );
  }
}
