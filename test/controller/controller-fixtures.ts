// What the controller's tests run a replica with: a reconciler that records what it is given
// and reports the statuses a test makes up (the real one needs hosts; these tests are about the
// API, the store and leadership), and replicas started in this process on their own connections.

import type { ManifestParser } from '../../controller/api-handlers.ts';
import { Controller } from '../../controller/controller.ts';
import type { DeployedApp, Reconciler } from '../../controller/types.ts';
import { createLogger, type Logger } from '../../lattice/log.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import type { AppStatus } from '../../lattice/wadm-api.ts';

/** A reconciler that keeps every desired state it was given and reports what the test tells it to. */
export class RecordingReconciler implements Reconciler {
  readonly given: DeployedApp[][] = [];
  closed = false;
  readonly #listeners = new Set<(appName: string, status: AppStatus) => void>();
  readonly #statuses = new Map<string, AppStatus>();

  setDesired(apps: readonly DeployedApp[]): void {
    if (this.closed) throw new Error('setDesired on a closed reconciler');
    this.given.push([...apps]);
  }

  /** The latest desired state as `name@version` strings, sorted. */
  desired(): string[] {
    const last = this.given[this.given.length - 1] ?? [];
    return last.map(({ manifest }) => `${manifest.name}@${manifest.version}`).sort();
  }

  status(appName: string): AppStatus | undefined {
    return this.#statuses.get(appName);
  }

  onStatusChange(listener: (appName: string, status: AppStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** What a real reconciler does when an application's state changes. */
  report(appName: string, status: AppStatus): void {
    this.#statuses.set(appName, status);
    for (const listener of this.#listeners) listener(appName, status);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.#listeners.clear();
  }
}

/** Log lines of a replica, kept for assertions and shown when a test fails. */
export function memoryLogger(lines: string[], level: 'debug' | 'info' = 'info'): Logger {
  return createLogger({ level, write: (line) => void lines.push(line) });
}

export interface TestReplica {
  id: string;
  nc: NatsConnection;
  controller: Controller;
  /** Every reconciler this replica made, one per term as leader. */
  reconcilers: RecordingReconciler[];
  /** The reconciler of the current term, if it leads. */
  current(): RecordingReconciler | undefined;
  lines: string[];
  stop(): Promise<void>;
}

export interface TestReplicaOptions {
  natsUrl: string;
  id: string;
  parseManifest: ManifestParser;
  latticePrefix?: string;
  lease?: { ttlMs?: number; renewEveryMs?: number; checkEveryMs?: number };
  /** `debug` keeps a line per API request too. */
  logLevel?: 'debug' | 'info';
  /** The first this many starts of the leader's work fail (as a watch timing out in an election). */
  failingStarts?: number;
}

/** One replica in this process, with its own NATS connection (as a separate process would have). */
export async function startReplica(options: TestReplicaOptions): Promise<TestReplica> {
  const nc = await connectNats({ url: options.natsUrl, name: options.id, reconnect: true });
  const reconcilers: RecordingReconciler[] = [];
  const lines: string[] = [];
  let failures = options.failingStarts ?? 0;
  const controller = await Controller.start({
    nc,
    latticePrefix: options.latticePrefix ?? 'default',
    replicaId: options.id,
    log: memoryLogger(lines, options.logLevel),
    parseManifest: options.parseManifest,
    createReconciler: () => {
      if (failures > 0) {
        failures--;
        throw new Error('the manifest store could not watch applications: TIMEOUT (scripted)');
      }
      const reconciler = new RecordingReconciler();
      reconcilers.push(reconciler);
      return reconciler;
    },
    onFatal: (error) => lines.push(`FATAL ${String(error)}`),
    lease: options.lease,
  });
  let stopped = false;
  return {
    id: options.id,
    nc,
    controller,
    reconcilers,
    current: () => {
      const last = reconcilers[reconcilers.length - 1];
      return controller.leading && last && !last.closed ? last : undefined;
    },
    lines,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await controller.stop();
      await nc.close();
    },
  };
}
