// One replica of the application controller, put together: the buckets it shares with the other
// replicas, the API (every replica answers), the leadership lease, and the leader's duties (only
// while this replica leads). It is given a NATS connection, the manifest parser and a way to make
// a reconciler, so tests can run several replicas in one process.

import { errorFields, errorMessage } from '../lattice/errors.ts';
import type { Logger } from '../lattice/log.ts';
import type { NatsConnection } from '../lattice/nats.ts';
import { type ServedApi, serveApi } from './api.ts';
import type { ManifestParser } from './api-handlers.ts';
import { LEASES_BUCKET, MANIFESTS_BUCKET, openBucket, STATUS_BUCKET } from './kv-buckets.ts';
import { LeaderDuties } from './leader.ts';
import { LeadershipLease } from './leadership.ts';
import { StatusStore } from './status-store.ts';
import { ManifestStore } from './store.ts';
import type { Reconciler } from './types.ts';

export interface ControllerOptions {
  nc: NatsConnection;
  latticePrefix: string;
  jsDomain?: string | undefined;
  /** WASMCLOUD_JS_REPLICAS: copies of each bucket; default min(3, servers in the NATS cluster). */
  jsReplicas?: number | undefined;
  /** Names this replica in the lease and in logs. */
  replicaId: string;
  log: Logger;
  parseManifest: ManifestParser;
  /** Called each time this replica becomes leader; the reconciler is closed when it stops leading. */
  createReconciler: () => Reconciler;
  /** The leader's work could not start, after LEADER_START_ATTEMPTS tries with back-off. */
  onFatal: (error: unknown) => void;
  /** Lease timings (tests shorten them); defaults in leadership.ts. */
  lease?: { ttlMs?: number; renewEveryMs?: number; checkEveryMs?: number } | undefined;
}

/** Starts of the leader's work tried before the controller gives up (about 90 s of back-off). */
const LEADER_START_ATTEMPTS = 8;
const LEADER_START_FIRST_WAIT_MS = 500;
const LEADER_START_MAX_WAIT_MS = 30_000;

export class Controller {
  readonly #api: ServedApi;
  readonly #lease: LeadershipLease;

  private constructor(api: ServedApi, lease: LeadershipLease) {
    this.#api = api;
    this.#lease = lease;
  }

  static async start(options: ControllerOptions): Promise<Controller> {
    const { nc, latticePrefix, jsDomain, replicaId, log } = options;
    const replicas = { setting: options.jsReplicas, log };
    const [manifestsKv, statusKv, leasesKv] = await Promise.all(
      [MANIFESTS_BUCKET, STATUS_BUCKET, LEASES_BUCKET].map((name) =>
        openBucket(nc, name, { jsDomain, replicas }),
      ),
    );
    const store = new ManifestStore(manifestsKv!, latticePrefix);
    const statuses = new StatusStore(statusKv!, latticePrefix);
    const api = serveApi({
      nc,
      latticePrefix,
      context: { store, statuses, parseManifest: options.parseManifest },
      log: log.child({ part: 'api' }),
    });

    let duties: LeaderDuties | undefined;
    // A new term starts only once the previous one has wound down (a lease lost and won back).
    let previousTerm: Promise<void> = Promise.resolve();
    const lease = new LeadershipLease({
      kv: leasesKv!,
      latticePrefix,
      replicaId,
      log,
      ...options.lease,
      onElected: () => {
        // A start can fail for a while (the store's watch times out while JetStream elects a new
        // leader for its stream): tried again with back-off while this replica still leads.
        const startTerm = (attempt: number): void => {
          const term = new LeaderDuties({
            nc,
            latticePrefix,
            replicaId,
            store,
            statuses,
            createReconciler: options.createReconciler,
            log: log.child({ part: 'leader' }),
          });
          duties = term;
          void previousTerm
            .then(() => term.start())
            .catch(async (error: unknown) => {
              await term.stop();
              if (duties !== term) return; // deposed meanwhile: a new term starts afresh
              if (attempt >= LEADER_START_ATTEMPTS) {
                log.error(`the leader's work could not start: ${errorMessage(error)}`, errorFields(error));
                options.onFatal(error);
                return;
              }
              const waitMs = Math.min(
                LEADER_START_MAX_WAIT_MS,
                LEADER_START_FIRST_WAIT_MS * 2 ** (attempt - 1),
              );
              log.warn(
                `the leader's work could not start (${errorMessage(error)}); trying again in ${waitMs} ms`,
                errorFields(error),
              );
              setTimeout(() => {
                if (duties === term) startTerm(attempt + 1);
              }, waitMs).unref();
            });
        };
        startTerm(1);
      },
      onDeposed: () => {
        const ending = duties;
        duties = undefined;
        previousTerm = ending?.stop() ?? Promise.resolve();
        return previousTerm;
      },
    });
    try {
      await lease.start();
    } catch (error) {
      await api.stop();
      throw error;
    }
    return new Controller(api, lease);
  }

  get leading(): boolean {
    return this.#lease.leading;
  }

  /** Stops answering, stops leading (the reconciler closed) and releases the lease for another replica. */
  async stop(): Promise<void> {
    await this.#api.stop();
    await this.#lease.stop();
  }
}
