// What the reconciler's tests share: a nats-server with real host processes on one lattice (labels
// by --label, files allowed, one cluster key so their invocations are trusted across hosts), a
// reconciler driven directly with manifests the test builds (no parser), a counter of the control
// commands that cross the wire, and readings of what runs where, from the hosts' inventories.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  ActorComponent,
  ActorScalerSpec,
  AppManifest,
  LinkSpec,
  ProviderComponent,
  ScalerSpec,
  Spread,
} from '../../controller/manifest/types.ts';
import { createReconciler, type ReconcilerTimings } from '../../controller/reconcile/mod.ts';
import type { Reconciler } from '../../controller/types.ts';
import type { HostInventory } from '../../lattice/control.ts';
import { ControlClient } from '../../lattice/control-client.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { connectNats, type NatsConnection, type Subscription } from '../../lattice/nats.ts';
import { APP_SPEC_ANNOTATION, type AppStatus, SCALER_ANNOTATION } from '../../lattice/wadm-api.ts';
import { eventually } from '../helpers/eventually.ts';
import { type HostProcess, startHostProcess } from '../helpers/host-process.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import { memoryLogger } from './controller-fixtures.ts';

// ---- manifests ----

export function spreadscaler(instances: number, spread: Spread[] = []): ScalerSpec {
  return { type: 'spreadscaler', instances, spread };
}

export function daemonscaler(instances: number, spread: Spread[] = []): ScalerSpec {
  return { type: 'daemonscaler', instances, spread };
}

export function actor(
  name: string,
  image: string,
  scalers: ActorScalerSpec[],
  links: LinkSpec[] = [],
): ActorComponent {
  return { kind: 'actor', name, image, scalers, links };
}

export function provider(
  name: string,
  image: string,
  contract: string,
  scalers: ScalerSpec[],
  config?: string,
): ProviderComponent {
  return { kind: 'provider', name, image, contract, linkName: 'default', config, scalers };
}

export function app(name: string, version: string, components: AppManifest['components']): AppManifest {
  return { name, version, description: undefined, annotations: {}, components, policies: [], document: {} };
}

// ---- the lattice ----

export interface ReconcileLattice {
  prefix: string;
  nats: NatsServer;
  /** The test's own connection: commands it counts, requests it makes. */
  nc: NatsConnection;
  client: ControlClient;
  /** The hosts' cluster key: invocations it signs are trusted by every host. */
  clusterKey: KeyPair;
  dir: string;
  hosts: Map<string, HostProcess>;
  startHost(labels: Record<string, string>): Promise<HostProcess>;
  /** Starts a reconciler on a connection of its own; its log lines go to `lines`. */
  startReconciler(timings?: ReconcilerTimings): Promise<TestReconciler>;
  stop(): Promise<void>;
}

export interface TestReconciler {
  reconciler: Reconciler;
  nc: NatsConnection;
  lines: string[];
  close(): Promise<void>;
}

export async function startReconcileLattice(prefix: string): Promise<ReconcileLattice> {
  const clusterKey = KeyPair.create('cluster');
  const nats = await startNatsServer();
  const nc = await connectNats({ url: nats.url });
  const dir = mkdtempSync(join(tmpdir(), `reconcile-${prefix}-`));
  const hosts = new Map<string, HostProcess>();
  const reconcilers = new Set<TestReconciler>();
  return {
    prefix,
    nats,
    nc,
    client: new ControlClient(nc, { latticePrefix: prefix, timeoutMs: 5_000 }),
    clusterKey,
    dir,
    hosts,
    async startHost(labels) {
      const args = ['--rpc-port', String(nats.port), '--lattice-prefix', prefix, '--allow-file-load'];
      for (const [key, value] of Object.entries(labels)) args.push('--label', `${key}=${value}`);
      const host = await startHostProcess({
        env: { WASMCLOUD_CLUSTER_SEED: clusterKey.seed, WASMCLOUD_DASHBOARD_PORT: 'off' },
        args,
        timeoutMs: 30_000,
      });
      hosts.set(host.id, host);
      return host;
    },
    async startReconciler(timings = {}) {
      const own = await connectNats({ url: nats.url });
      const lines: string[] = [];
      const reconciler = createReconciler({
        nc: own,
        latticePrefix: prefix,
        log: memoryLogger(lines, 'debug'),
        ...timings,
      });
      const started: TestReconciler = {
        reconciler,
        nc: own,
        lines,
        async close() {
          reconcilers.delete(started);
          await reconciler.close();
          await own.close();
        },
      };
      reconcilers.add(started);
      return started;
    },
    async stop() {
      for (const reconciler of [...reconcilers]) await reconciler.close();
      await Promise.all([...hosts.values()].map((host) => host.stop()));
      await nc.close();
      await nats.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- readings ----

/** A command's JSON body; `{}` for one that is not a JSON object (the host refuses it anyway). */
function jsonBody(data: Uint8Array): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(data));
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Counts the control commands (host commands and link puts/deletes) sent on a lattice from now on. */
export class CommandCounter {
  readonly subjects: string[] = [];
  /** The JSON body of each command, in the order of `subjects`. */
  readonly bodies: Record<string, unknown>[] = [];
  readonly #subscriptions: Subscription[];

  private constructor(subscriptions: Subscription[]) {
    this.#subscriptions = subscriptions;
  }

  static async start(nc: NatsConnection, prefix: string): Promise<CommandCounter> {
    const subscriptions: Subscription[] = [];
    const counter = new CommandCounter(subscriptions);
    for (const subject of [`wasmbus.ctl.${prefix}.cmd.>`, `wasmbus.ctl.${prefix}.linkdefs.*`])
      subscriptions.push(
        nc.subscribe(subject, {
          callback: (_error, msg) => {
            counter.subjects.push(msg.subject);
            counter.bodies.push(jsonBody(msg.data));
          },
        }),
      );
    // The server has the subscriptions once it answered the flush's PING.
    await nc.flush();
    return counter;
  }

  /** Commands whose subject ends in `.{suffix}` (`la`, `sa`, `lp`, `sp`, `put`, `del`). */
  count(suffix?: string): number {
    return suffix === undefined
      ? this.subjects.length
      : this.subjects.filter((subject) => subject.endsWith(`.${suffix}`)).length;
  }

  /** The bodies of the commands whose subject ends in `.{suffix}`. */
  bodiesOf(suffix: string): Record<string, unknown>[] {
    return this.bodies.filter((_body, index) => this.subjects[index]?.endsWith(`.${suffix}`));
  }

  stop(): void {
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
  }
}

export async function inventories(
  client: ControlClient,
  hostIds: Iterable<string>,
): Promise<Map<string, HostInventory>> {
  const entries = await Promise.all(
    [...hostIds].map(async (hostId) => [hostId, await client.getInventory(hostId)] as const),
  );
  return new Map(entries);
}

/** Instances per host of actor `actorKey` started for `appName` (by any of its scalers, or `scaler`). */
export function managedActorCounts(
  inventoriesByHost: Map<string, HostInventory>,
  appName: string,
  scaler?: string,
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [hostId, inventory] of inventoriesByHost) {
    counts[hostId] = 0;
    for (const actor of inventory.actors) {
      for (const instance of actor.instances) {
        if (instance.annotations[APP_SPEC_ANNOTATION] !== appName) continue;
        if (scaler !== undefined && instance.annotations[SCALER_ANNOTATION] !== scaler) continue;
        counts[hostId] += 1;
      }
    }
  }
  return counts;
}

/** Instances per host of `actorKey` that carry no annotation at all (started by hand). */
export function unmanagedActorCounts(
  inventoriesByHost: Map<string, HostInventory>,
  actorKey: string,
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [hostId, inventory] of inventoriesByHost) {
    const actorEntry = inventory.actors.find((entry) => entry.id === actorKey);
    counts[hostId] =
      actorEntry?.instances.filter((instance) => Object.keys(instance.annotations).length === 0).length ?? 0;
  }
  return counts;
}

/** Waits until the reconciler reports `type` for `appName`; the status it reported. */
export function statusOf(
  reconciler: Reconciler,
  appName: string,
  type: string,
  timeoutMs = 30_000,
): Promise<AppStatus> {
  return eventually(
    () => {
      const status = reconciler.status(appName);
      if (status?.status.type === type) return status;
      if (status === undefined) return undefined;
      throw new Error(`status ${status.status.type}: ${status.status.message}`);
    },
    { what: `application ${appName} to be ${type}`, timeoutMs, intervalMs: 50 },
  );
}
