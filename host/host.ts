// A lattice host: joins the lattice over NATS, loads the lattice data, runs actors in the worker
// runtime and providers as child processes, serves the control interface, and announces itself
// with events and heartbeats. `Host.start` puts the pieces together; `stop` takes them apart in the
// reverse order, so nothing it started outlives it.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ChunkStore } from '../lattice/chunking.ts';
import type { RegistryCredential } from '../lattice/control.ts';
import { errorMessage } from '../lattice/errors.ts';
import { InvocationSigner } from '../lattice/invocation-signer.ts';
import type { Logger } from '../lattice/log.ts';
import { connectNats, type NatsConnection, type Subscription } from '../lattice/nats.ts';
import { latticeSubjects } from '../lattice/subjects.ts';
import { ActorSupervisor } from './actors/actor-supervisor.ts';
import { ArtifactSource } from './artifacts.ts';
import type { HostConfig } from './config.ts';
import { serveControlInterface } from './control/control-server.ts';
import type { ControlContext, HostIdentity } from './control/types.ts';
import { type Dashboard, startDashboard } from '../dashboard/mod.ts';
import { NatsEventPublisher } from './events.ts';
import { describeFileLoad, FileLoadPolicy } from './file-load-policy.ts';
import { HEARTBEAT_INTERVAL_MS, publishHeartbeat } from './heartbeat.ts';
import { LatticeData } from './lattice-data.ts';
import { NatsConnectivity } from './nats-status.ts';
import { ProviderSupervisor } from './providers/mod.ts';
import { outboundCaller } from './rpc/outbound.ts';
import { answerForWorker, reportRunaway } from './runaway.ts';
import { ActorRuntime } from './runtime/mod.ts';
import { createHostFolder, removeStaleHostFolders } from './temp-folder.ts';
import { HOST_VERSION } from './version.ts';

export interface HostOptions {
  config: HostConfig;
  log: Logger;
  /** Provider health-check interval; default 30 s (tests shorten it). */
  providerHealthIntervalMs?: number;
  /** Called once the host has stopped, whoever asked (a signal, or `cmd.{host}.stop`). */
  onStopped?: () => void;
}

function hostOf(url: string): string {
  return url.replace(/^[a-z]+:\/\//, '').replace(/:\d+$/, '');
}

export class Host {
  readonly id: string;
  readonly config: HostConfig;
  readonly #log: Logger;
  readonly #rpcNc: NatsConnection;
  readonly #ctlNc: NatsConnection;
  readonly #runtime: ActorRuntime;
  readonly #data: LatticeData;
  readonly #actors: ActorSupervisor;
  readonly #providers: ProviderSupervisor;
  readonly #events: NatsEventPublisher;
  readonly #subscriptions: Subscription[];
  readonly #heartbeatTimer: NodeJS.Timeout;
  readonly #cacheDir: string;
  readonly #dashboard: Dashboard | undefined;
  readonly #onStopped: (() => void) | undefined;
  #stopping: Promise<void> | undefined;

  private constructor(parts: {
    config: HostConfig;
    log: Logger;
    rpcNc: NatsConnection;
    ctlNc: NatsConnection;
    runtime: ActorRuntime;
    data: LatticeData;
    actors: ActorSupervisor;
    providers: ProviderSupervisor;
    events: NatsEventPublisher;
    subscriptions: Subscription[];
    heartbeatTimer: NodeJS.Timeout;
    cacheDir: string;
    dashboard: Dashboard | undefined;
    onStopped: (() => void) | undefined;
  }) {
    this.id = parts.config.hostKey.publicKey;
    this.config = parts.config;
    this.#log = parts.log;
    this.#rpcNc = parts.rpcNc;
    this.#ctlNc = parts.ctlNc;
    this.#runtime = parts.runtime;
    this.#data = parts.data;
    this.#actors = parts.actors;
    this.#providers = parts.providers;
    this.#events = parts.events;
    this.#subscriptions = parts.subscriptions;
    this.#heartbeatTimer = parts.heartbeatTimer;
    this.#cacheDir = parts.cacheDir;
    this.#dashboard = parts.dashboard;
    this.#onStopped = parts.onStopped;
  }

  static async start(options: HostOptions): Promise<Host> {
    const { config, log } = options;
    const hostId = config.hostKey.publicKey;
    const subjects = latticeSubjects(config.latticePrefix);
    if (config.clusterSeedGenerated) {
      // As the 2022 host: say so loudly, since other hosts need this seed to call this one's actors.
      log.warn(
        `no cluster seed given; generated one for this host. Give it to every other host of the lattice as WASMCLOUD_CLUSTER_SEED=${config.clusterKey.seed}`,
      );
    }
    const rpcNc = await connectNats(config.rpc);
    const ctlNc = await connectNats(config.ctl).catch(async (error: unknown) => {
      await rpcNc.close();
      throw error;
    });
    const events = new NatsEventPublisher(ctlNc, subjects, hostId, log);
    // Losing NATS and getting it back are logged and announced; the watches end when the connections close.
    const connectivity = new NatsConnectivity(log, events);
    connectivity.watch('control', ctlNc, { carriesEvents: true });
    connectivity.watch('rpc', rpcNc);
    const chunks = new ChunkStore(rpcNc, subjects, config.jsDomain);
    const signer = new InvocationSigner(config.clusterKey, hostId);
    // Folders of hosts killed before they could remove theirs go first; ours is marked as ours.
    removeStaleHostFolders(log);
    const cacheDir = createHostFolder();

    // Links reach local providers through the bucket watch, on every host alike.
    let providers: ProviderSupervisor | undefined;
    let dashboard: Dashboard | undefined;
    const data = await LatticeData.open(ctlNc, subjects, config.jsDomain, log, {
      linkSet: (link) => {
        providers?.linkPut(link);
        dashboard?.latticeDataChanged();
      },
      linkDeleted: (link) => {
        providers?.linkDel(link);
        dashboard?.latticeDataChanged();
      },
    });

    let actors: ActorSupervisor | undefined;
    const runtime = new ActorRuntime({
      workers: config.actorWorkers,
      invocationTimeoutMs: config.rpcTimeoutMs,
      log: (entry) => log.info(entry.text, { actor: entry.actorId, level: entry.level }),
      // Workers serve their actors' RPC themselves, on connections of their own.
      rpc: {
        nats: { ...config.rpc, name: `${config.friendlyName} worker` },
        latticePrefix: config.latticePrefix,
        jsDomain: config.jsDomain,
        clusterIssuers: config.clusterIssuers,
        hostId,
      },
      hostCall: outboundCaller({
        nc: rpcNc,
        subjects,
        signer,
        data,
        chunks,
        rpcTimeoutMs: config.rpcTimeoutMs,
        isLocalActor: (actorId) => actors?.find(actorId) !== undefined,
        invokeLocal: (actorId, operation, payload) => runtime.invoke(actorId, operation, payload),
      }),
      // A worker stuck past a call's deadline cannot answer it: the reply goes out from here.
      answerCall: (call) => answerForWorker(rpcNc, call, log),
      onRunaway: (report) => reportRunaway(report, log, events),
    });
    // OCI_REGISTRY* credentials first; registries.put adds to and overrides them.
    const registries = new Map<string, RegistryCredential>();
    if (config.ociRegistry) {
      const { registry, username, password } = config.ociRegistry;
      registries.set(registry, { username, password });
    }
    const artifacts = new ArtifactSource(
      {
        allowLatest: config.allowLatest,
        allowedInsecure: config.allowedInsecure,
        cacheDir: join(cacheDir, 'oci'),
        registries,
      },
      data,
      events,
      log,
      // Files only as the operator allows; the dashboard's uploads (files the host wrote) always.
      new FileLoadPolicy(config.fileLoad, () => {
        const uploads = dashboard?.uploadsDirectory;
        return uploads === undefined ? [] : [uploads];
      }),
    );
    if (config.fileLoad.allowed) log.info(describeFileLoad(config.fileLoad));
    actors = new ActorSupervisor({ runtime, data, events, log, artifacts });
    providers = new ProviderSupervisor({
      hostId,
      latticePrefix: config.latticePrefix,
      clusterKey: config.clusterKey,
      clusterIssuers: config.clusterIssuers,
      providerRpc: config.providerRpc,
      rpcTimeoutMs: config.rpcTimeoutMs,
      jsDomain: config.jsDomain,
      logLevel: config.logLevel,
      structuredLogging: config.structuredLogging,
      shutdownDelayMs: config.providerShutdownDelayMs,
      nc: rpcNc,
      linksFor: (providerId, linkName) => data.linksForProvider(providerId, linkName),
      events,
      log,
      cacheDir,
      healthIntervalMs: options.providerHealthIntervalMs,
    });

    // Listening (and logging its URL) before the control interface answers, so `wash up` sees the URL.
    if (config.dashboard) {
      const listen = config.dashboard;
      dashboard = await startDashboard({
        nc: ctlNc,
        latticePrefix: config.latticePrefix,
        hostId,
        data,
        log,
        listen,
        tempDir: cacheDir,
        natsStatus: connectivity,
      }).catch((error: unknown) => {
        log.warn(`dashboard not started: ${errorMessage(error)}`);
        return undefined;
      });
    }

    const identity: HostIdentity = {
      hostId,
      friendlyName: config.friendlyName,
      labels: config.labels,
      latticePrefix: config.latticePrefix,
      clusterKey: config.clusterKey.publicKey,
      clusterIssuers: config.clusterIssuers,
      jsDomain: config.jsDomain,
      ctlHost: hostOf(config.ctl.url),
      rpcHost: hostOf(config.rpc.url),
      provRpcHost: hostOf(config.providerRpc.url),
      startedAt: Date.now(),
    };
    let host: Host | undefined;
    const context: ControlContext = {
      host: identity,
      data,
      actors,
      providers,
      events,
      log,
      registries,
      artifacts,
      heartbeat: () => publishHeartbeat(context, events),
      stopHost: () => void host?.stop(),
    };
    const subscriptions = serveControlInterface(ctlNc, subjects, context);
    await ctlNc.flush();
    events.publish('host_started', {
      labels: config.labels,
      friendly_name: config.friendlyName,
      uptime_seconds: 0,
      version: HOST_VERSION,
    });
    context.heartbeat();
    const heartbeatTimer = setInterval(() => context.heartbeat(), HEARTBEAT_INTERVAL_MS);
    heartbeatTimer.unref();
    host = new Host({
      config,
      log,
      rpcNc,
      ctlNc,
      runtime,
      data,
      actors,
      providers,
      events,
      subscriptions,
      heartbeatTimer,
      cacheDir,
      dashboard,
      onStopped: options.onStopped,
    });
    log.info(`host started: ${hostId} (${config.friendlyName}) in lattice "${config.latticePrefix}"`, {
      nats: config.rpc.url,
    });
    return host;
  }

  /** The lattice-wide state this host holds (every host holds all of it). */
  get latticeData(): LatticeData {
    return this.#data;
  }

  /** Where the dashboard is served, when it is. */
  get dashboardUrl(): string | undefined {
    return this.#dashboard?.url;
  }

  /** Stops actors and providers, publishes host_stopped, closes the connections. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#log.info(`host ${this.id} stopping`);
    clearInterval(this.#heartbeatTimer);
    await this.#dashboard
      ?.close()
      .catch((error: unknown) => this.#log.warn(`dashboard close: ${errorMessage(error)}`));
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    await this.#actors.stopAll();
    await this.#providers.stopAll();
    this.#events.publish('host_stopped', { labels: this.config.labels });
    this.#data.stop();
    await this.#runtime.close();
    await this.#ctlNc.drain().catch(() => undefined);
    await this.#rpcNc.drain().catch(() => undefined);
    rmSync(this.#cacheDir, { recursive: true, force: true });
    this.#log.info(`host ${this.id} stopped`);
    this.#onStopped?.();
  }
}
