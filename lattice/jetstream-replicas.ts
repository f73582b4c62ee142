// How many servers keep a copy of each JetStream bucket the lattice creates: the lattice data, the
// controller's buckets, the object store of chunked invocations and the keyvalue links' buckets all
// follow this one rule, so losing one NATS server loses no state and stops nothing for longer than
// a leader election. By default min(3, servers in the cluster); WASMCLOUD_JS_REPLICAS (a host,
// controller or provider setting) chooses the number. A bucket that exists with fewer copies is
// raised by a stream update, never lowered. The setting's schema is jetstream-replicas-setting.ts.

import { errorMessage, LatticeError, type LatticeErrorCode } from './errors.ts';
import type { Logger } from './log.ts';
import type {
  JetStreamClient,
  KV,
  KvOptions,
  NatsConnection,
  ObjectStore,
  ObjectStoreOptions,
  StreamInfo,
} from './nats.ts';

/** Copies kept by default, when the cluster has that many servers (a quorum survives one loss). */
export const DEFAULT_REPLICAS = 3;
/** JetStream's own limit on a stream's replicas. */
export const MOST_REPLICAS = 5;
/** How long opening a raised bucket waits for its new group to elect a leader. */
const RAISED_LEADER_WAIT_MS = 5_000;

/** The copies asked for could not be placed: too few servers with JetStream. */
export class JetStreamReplicasError extends LatticeError<LatticeErrorCode> {}

/**
 * Servers in the cluster of the server `nc` is connected to, from its INFO: 1 for a lone server,
 * the distinct client URLs the cluster advertises otherwise; undefined when it is a cluster that
 * does not advertise them (`no_advertise`), so the count is not known.
 */
export function clusterServers(nc: NatsConnection): number | undefined {
  const info = nc.info;
  if (info === undefined || !info.cluster) return 1;
  const urls = new Set(info.connect_urls ?? []);
  return urls.size > 0 ? urls.size : undefined;
}

/** The replicas this lattice's buckets want on `nc`: the setting, else min(3, servers in the cluster). */
export function wantedReplicas(nc: NatsConnection, setting: number | undefined): number {
  if (setting !== undefined) return setting;
  return Math.min(DEFAULT_REPLICAS, clusterServers(nc) ?? DEFAULT_REPLICAS);
}

export interface ReplicaSettings {
  /** WASMCLOUD_JS_REPLICAS; undefined: min(3, servers in the cluster). */
  setting?: number | undefined;
  /** Told in one line when an existing bucket is raised, or a new one gets fewer copies than wanted. */
  log?: Pick<Logger, 'info' | 'warn'> | undefined;
}

/** JetStream's refusals of a replica count the cluster cannot place (or a lone server cannot keep). */
const PLACEMENT_REFUSALS = new Set([
  10005, // no suitable peers for placement
  10023, // insufficient resources
  10074, // replicas > 1 not supported in non-clustered mode
]);

function isPlacementRefusal(error: unknown): boolean {
  const apiError = (error as { api_error?: { err_code?: unknown } } | undefined)?.api_error;
  return typeof apiError?.err_code === 'number' && PLACEMENT_REFUSALS.has(apiError.err_code);
}

/**
 * Opens a KV bucket, creating a missing one with the replicas wanted and raising an existing one
 * that has fewer.
 */
export function openReplicatedKv(
  js: JetStreamClient,
  nc: NatsConnection,
  name: string,
  options: Partial<KvOptions>,
  replicas: ReplicaSettings = {},
): Promise<KV> {
  return openReplicated(js, nc, `KV bucket ${name}`, replicas, (count) =>
    js.views.kv(name, { ...options, replicas: count }),
  );
}

/** Opens an object store as openReplicatedKv opens a KV bucket. */
export function openReplicatedObjectStore(
  js: JetStreamClient,
  nc: NatsConnection,
  name: string,
  options: Partial<ObjectStoreOptions>,
  replicas: ReplicaSettings = {},
): Promise<ObjectStore> {
  return openReplicated(js, nc, `object store ${name}`, replicas, (count) =>
    js.views.os(name, { ...options, replicas: count }),
  );
}

async function openReplicated<Store extends { status(): Promise<{ streamInfo: StreamInfo }> }>(
  js: JetStreamClient,
  nc: NatsConnection,
  what: string,
  replicas: ReplicaSettings,
  open: (count: number) => Promise<Store>,
): Promise<Store> {
  const opened = await createOrBind(nc, what, replicas, open);
  await raiseReplicas(js, (await opened.store.status()).streamInfo, opened.wanted, replicas.log);
  return opened.store;
}

/**
 * Opens with the replicas wanted. By default, a cluster that cannot place that many right now (a
 * server down, or without JetStream) gets one fewer at a time, with a warning: the next opener
 * raises it. A number the operator chose is kept, and a refusal of it is an error saying so.
 */
async function createOrBind<Store>(
  nc: NatsConnection,
  what: string,
  replicas: ReplicaSettings,
  open: (count: number) => Promise<Store>,
): Promise<{ store: Store; wanted: number }> {
  const wanted = wantedReplicas(nc, replicas.setting);
  let count = wanted;
  for (;;) {
    try {
      const store = await open(count);
      if (count < wanted)
        replicas.log?.warn(
          `${what} created with ${count} replicas, ${wanted} wanted: the cluster could not place more now; it is raised when opened again`,
        );
      return { store, wanted };
    } catch (error) {
      if (!isPlacementRefusal(error)) throw error;
      if (replicas.setting !== undefined || count <= 1) {
        throw new JetStreamReplicasError(
          'JETSTREAM_REPLICAS_UNPLACEABLE',
          `cannot keep ${count} replicas of ${what}: ${errorMessage(error)} (WASMCLOUD_JS_REPLICAS=${count}; the NATS cluster reports ${clusterServers(nc) ?? 'an unknown number of'} servers)`,
          { cause: error },
        );
      }
      count -= 1;
    }
  }
}

/** Raises a stream kept on fewer servers than wanted (buckets made before this rule, or while degraded). */
async function raiseReplicas(
  js: JetStreamClient,
  info: StreamInfo,
  wanted: number,
  log: ReplicaSettings['log'],
): Promise<void> {
  const have = info.config.num_replicas;
  if (have >= wanted) return;
  const stream = info.config.name;
  try {
    const jsm = await js.jetstreamManager();
    await jsm.streams.update(stream, { num_replicas: wanted });
    log?.info(`JetStream stream ${stream} raised from ${have} to ${wanted} replicas`);
    // Its new group elects a leader (well under a second): writes made before then would fail.
    const deadline = Date.now() + RAISED_LEADER_WAIT_MS;
    while (Date.now() < deadline && !(await jsm.streams.info(stream)).cluster?.leader)
      await new Promise((resolve) => setTimeout(resolve, 50));
  } catch (error) {
    // The bucket works as it is; the next opener tries again.
    log?.warn(
      `cannot raise JetStream stream ${stream} from ${have} to ${wanted} replicas: ${errorMessage(error)}`,
    );
  }
}
