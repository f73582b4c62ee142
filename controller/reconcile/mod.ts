// The reconciler the leading controller runs (controller/types.ts's `Reconciler`): it watches the
// lattice and issues control-interface commands until what runs matches the deployed applications.
// This file only puts the parts together; see the other files of this folder for each concern.

import type { Logger } from '../../lattice/log.ts';
import type { NatsConnection } from '../../lattice/nats.ts';
import type { AppStatus } from '../../lattice/wadm-api.ts';
import type { DeployedApp, Reconciler } from '../types.ts';

/** How often and how patiently the reconciler looks at the lattice; every field has a default. */
export interface ReconcilerTimings {
  /** Time between two `ping.hosts` rounds (default 2000 ms). */
  pingIntervalMs?: number | undefined;
  /** How long one ping round gathers replies (default 1000 ms). */
  pingTimeoutMs?: number | undefined;
  /** Rounds in a row a host may miss before it counts as gone (default 2). */
  missedPingsBeforeGone?: number | undefined;
  /** Time between two full re-reads of every inventory and of the links (default 30 s). */
  resyncIntervalMs?: number | undefined;
  /** How long a command may wait for its outcome event before it counts as failed (default 30 s). */
  commandTimeoutMs?: number | undefined;
  /** The first wait after a failed command; doubled after each failure in a row (default 2000 ms). */
  backoffBaseMs?: number | undefined;
  /** The longest wait after failures (default 5 min). */
  backoffMaxMs?: number | undefined;
  /** How long a control request waits for its reply (default 2000 ms). */
  controlTimeoutMs?: number | undefined;
}

export interface ReconcilerOptions extends ReconcilerTimings {
  nc: NatsConnection;
  latticePrefix: string;
  log: Logger;
}

export function createReconciler(options: ReconcilerOptions): Reconciler {
  const listeners = new Set<(appName: string, status: AppStatus) => void>();
  let desired: readonly DeployedApp[] = [];
  options.log.debug('reconciler created', { lattice: options.latticePrefix });
  return {
    setDesired(apps) {
      desired = apps;
    },
    status(appName) {
      const app = desired.find((candidate) => candidate.manifest.name === appName);
      if (app === undefined) return undefined;
      return { status: { type: 'reconciling', message: 'not reconciled yet' }, scalers: [] };
    },
    onStatusChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
    },
  };
}
