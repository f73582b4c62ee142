// The seams inside the controller: the API and the store (api.ts, store.ts, leadership) on one
// side, the reconciler (reconcile/) on the other. The API decides *what* should run (which
// version of which application is deployed, kept in JetStream KV); the reconciler, run by the
// leader only, makes the lattice match and reports how far it got.

import type { AppStatus } from '../lattice/wadm-api.ts';
import type { AppManifest } from './manifest/types.ts';

/** An application that should be running: the deployed version's manifest. */
export interface DeployedApp {
  manifest: AppManifest;
}

/** What the leader's reconciler offers the rest of the controller. */
export interface Reconciler {
  /**
   * The complete desired state: every deployed application. Called at start (from the store),
   * on every deploy / undeploy / delete, and when the store changes under another replica.
   * Applications missing from `apps` that this reconciler started are taken down (undeploy):
   * what they started, and only that, is stopped and their links deleted.
   */
  setDesired(apps: readonly DeployedApp[]): void;
  /** The current status of one application; `undefined` when it is not deployed. */
  status(appName: string): AppStatus | undefined;
  /** Called whenever an application's status changes (the API pushes it on wadm.status.*). */
  onStatusChange(listener: (appName: string, status: AppStatus) => void): () => void;
  /** Stops watching the lattice and issuing commands (leadership lost, or shutdown). */
  close(): Promise<void>;
}
