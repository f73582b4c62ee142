// A lattice host: joins the lattice over NATS, loads the lattice data, runs actors in the worker
// runtime and providers as child processes, serves the control interface, and announces itself
// with events and heartbeats. `Host.start` puts the pieces together; `stop` takes them apart in the
// reverse order (as does a start that fails part-way), so nothing it started outlives it.

import { rmSync } from 'node:fs';
import type { Dashboard } from '../dashboard/mod.ts';
import { ChunkStore } from '../lattice/chunking.ts';
import type { RegistryCredential } from '../lattice/control.ts';
import { errorCode, errorFields, errorMessage } from '../lattice/errors.ts';
import { InvocationSigner } from '../lattice/invocation-signer.ts';
import type { Logger } from '../lattice/log.ts';
import { connectNats, maxPayloadOf, type NatsConnection } from '../lattice/nats.ts';
import { latticeSubjects } from '../lattice/subjects.ts';
import { describeTelemetry } from '../lattice/telemetry/settings.ts';
import { startTracing } from '../lattice/telemetry/tracing.ts';
import { ActorSupervisor } from './actors/actor-supervisor.ts';
import { ArtifactSource } from './artifacts.ts';
import type { HostConfig } from './config.ts';
import { serveControlInterface } from './control/control-server.ts';
import type { ControlContext, HostIdentity } from './control/types.ts';
import { NatsEventPublisher } from './events.ts';
import { describeFileLoad, FileLoadPolicy } from './file-load-policy.ts';
import { HEARTBEAT_INTERVAL_MS, publishHeartbeat } from './heartbeat.ts';
import { LatticeData } from './lattice-data.ts';
import { NatsConnectivity } from './nats-status.ts';
import { ProviderSupervisor } from './providers/mod.ts';
import { ReleaseStack } from './release-stack.ts';
import { outboundCaller } from './rpc/outbound.ts';
import * as routeChanges from './rpc/route-changes.ts';
import { answerForWorker, reportRunaway } from './runaway.ts';
import { ActorRuntime } from './runtime/mod.ts';
import { startHostMetrics } from './telemetry/start-metrics.ts';
import { createHostFolder, removeStaleHostFolders } from './temp-folder.ts';
import { HOST_VERSION } from './version.ts';

export interface HostOptions {
  config: HostConfig;
  log: Logger;
  /** Provider health-check interval; default 30 s (tests shorten it). */
  providerHealthIntervalMs?: number;
  /**
   * Called once the host has stopped, whoever asked (a signal, or `cmd.{host}.stop`); with the
   * error when a step of the stop failed (every other step still ran).
   */
  onStopped?: (failure?: unknown) => void;
  /**
   * Called with the started host just before it logs `host started`: whoever reads that line (a
   * supervisor, a test) may send SIGTERM at once, so the process's signal handlers must already
   * reach the host (host/cli.ts).
   */
  onStarted?: (host: Host) => void;
}

function hostOf(url: string): string {
  return url.replace(/^[a-z]+:\/\//, '').replace(/:\d+$/, '');
}

/** How long a connection may take to drain on stop before it is closed outright (NATS gone, say). */
const DRAIN_LIMIT_MS = 5_000;

/** Drains `nc` (what is in flight still goes out), or closes it when draining fails or hangs. */
async function closeConnection(nc: NatsConnection): Promise<void> {
  if (nc.isClosed()) return;
  let timer: NodeJS.Timeout | undefined;
  const drained = await Promise.race([
    nc.drain().then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), DRAIN_LIMIT_MS);
    }),
  ]);
  clearTimeout(timer);
  if (!drained) await nc.close();
}

export class Host {
  readonly id: string;
  readonly config: HostConfig;
  readonly #log: Logger;
  readonly #data: LatticeData;
  readonly #dashboard: Dashboard | undefined;
  /** Everything the host acquired, released in reverse order by `stop`. */
  readonly #releases: ReleaseStack;
  readonly #onStopped: ((failure?: unknown) => void) | undefined;
  #stopping: Promise<void> | undefined;

  private constructor(parts: {
    config: HostConfig;
    log: Logger;
    data: LatticeData;
    dashboard: Dashboard | undefined;
    releases: ReleaseStack;
    onStopped: ((failure?: unknown) => void) | undefined;
  }) {
    this.id = parts.config.hostKey.publicKey;
    this.config = parts.config;
    this.#log = parts.log;
    this.#data = parts.data;
    this.#dashboard = parts.dashboard;
    this.#releases = parts.releases;
    this.#onStopped = parts.onStopped;
  }

  /**
   * Starts a host. Each part is released (in reverse order) by `stop`, or here when a later step
   * of the start fails: a start that throws leaves no connection, worker, process or folder behind.
   */
  static async start(options: HostOptions): Promise<Host> {
    const releases = new ReleaseStack(options.log);
    try {
      return await Host.#assemble(options, releases);
    } catch (error) {
      // A release that fails is logged by the stack; the start's own failure is what the caller needs.
      await releases.release().catch(() => undefined);
      throw error;
    }
  }

  static async #assemble(options: HostOptions, releases: ReleaseStack): Promise<Host> {
    const { config, log } = options;
    const hostId = config.hostKey.publicKey;
    const subjects = latticeSubjects(config.latticePrefix);
    if (config.clusterSeedGenerated) {
      // As the 2022 host: say so loudly, since other hosts need this seed to call this one's actors.
      log.warn(
        `no cluster seed given; generated one for this host. Give it to every other host of the lattice as WASMCLOUD_CLUSTER_SEED=${config.clusterKey.seed}`,
      );
    }
    // Spans of this thread (the built-in providers' RPC); each worker starts its own (below).
    const traceResource = {
      'host.id': hostId,
      'host.version': HOST_VERSION,
      'host.friendly_name': config.friendlyName,
      lattice: config.latticePrefix,
    };
    const tracing = await startTracing(config.telemetry, {
      serviceName: 'wasmcloud-host',
      attributes: traceResource,
      log,
    });
    releases.defer('the tracer', () => tracing.shutdown());
    const rpcNc = await connectNats(config.rpc);
    releases.defer('the RPC connection', () => closeConnection(rpcNc));
    const ctlNc = await connectNats(config.ctl);
    releases.defer('the control connection', () => closeConnection(ctlNc));
    const events = new NatsEventPublisher(ctlNc, subjects, hostId, log);
    // Losing NATS and getting it back are logged and announced, until the host stops.
    const connectivity = new NatsConnectivity(log, events);
    const unwatchControl = connectivity.watch('control', ctlNc, { carriesEvents: true });
    const unwatchRpc = connectivity.watch('rpc', rpcNc);
    releases.defer('the NATS status watches', () => {
      unwatchControl();
      unwatchRpc();
    });
    const chunks = new ChunkStore(rpcNc, subjects, config.jsDomain, { setting: config.jsReplicas, log });
    const signer = new InvocationSigner(config.clusterKey, hostId);
    // Folders of hosts killed before they could remove theirs go first; ours is marked as ours.
    removeStaleHostFolders(log);
    const cacheDir = createHostFolder();
    releases.defer('the temp folder', () => rmSync(cacheDir, { recursive: true, force: true }));

    // Links reach local providers through the bucket watch, on every host alike.
    let providers: ProviderSupervisor | undefined;
    let dashboard: Dashboard | undefined;
    // Links and call aliases reach every worker of the runtime (once it exists), which routes calls out.
    let routed: ActorRuntime | undefined;
    const data = await LatticeData.open(ctlNc, subjects, {
      jsDomain: config.jsDomain,
      jsReplicas: config.jsReplicas,
      log,
      hooks: {
        linkSet: (link) => {
          routed?.updateRoutes([routeChanges.linkPut(link)]);
          providers?.linkPut(link);
          dashboard?.latticeDataChanged();
        },
        linkDeleted: (link) => {
          routed?.updateRoutes([routeChanges.linkDeleted(link)]);
          providers?.linkDel(link);
          dashboard?.latticeDataChanged();
        },
        claimsSet: (publicKey, claims) => routed?.updateRoutes([routeChanges.claimsPut(publicKey, claims)]),
        claimsDeleted: (publicKey) => routed?.updateRoutes([routeChanges.claimsDeleted(publicKey)]),
      },
    });
    releases.defer('the lattice data watch', () => data.stop());

    let actors: ActorSupervisor | undefined;
    const runtime = new ActorRuntime({
      workers: config.actorWorkers,
      invocationTimeoutMs: config.rpcTimeoutMs,
      log: (entry) =>
        log.info(entry.text, {
          actor: entry.actorId,
          level: entry.level,
          ...(entry.trace_id === undefined ? {} : { trace_id: entry.trace_id, span_id: entry.span_id }),
        }),
      // Workers serve their actors' RPC themselves, on connections of their own.
      rpc: {
        nats: { ...config.rpc, name: `${config.friendlyName} worker` },
        latticePrefix: config.latticePrefix,
        jsDomain: config.jsDomain,
        jsReplicas: config.jsReplicas,
        clusterIssuers: config.clusterIssuers,
        hostId,
        invocationSeed: config.clusterKey.seed,
        invocationEvents: config.invocationEvents,
        // Each worker records its own spans (runtime/worker-tracing.ts), as this host.
        tracing: {
          settings: config.telemetry,
          attributes: traceResource,
          log: { level: config.logLevel, structured: config.structuredLogging },
        },
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
      actorQueueSize: config.actorQueueSize,
      metrics: config.telemetry.metrics.enabled,
      // A call reached a dormant actor (scaled to zero): it waits in the queue while one instance starts.
      onWake: (actorId) => {
        actors
          ?.wake(actorId)
          .catch((error: unknown) =>
            log.warn(`waking actor ${actorId} failed: ${errorMessage(error)}`, errorFields(error)),
          );
      },
    });
    releases.defer('the actor runtime', () => runtime.close());
    // Everything known now, then each change (the hooks above): nothing falls between the two.
    runtime.updateRoutes(routeChanges.allRoutes(data));
    routed = runtime;
    // host_stopped goes out once actors and providers have stopped, and only if host_started did.
    let announced = false;
    releases.defer('the host_stopped event', () => {
      if (announced) events.publish('host_stopped', { labels: config.labels });
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
        // Outlives this process: a restart starts its actors without pulling their layers again.
        cacheDir: config.artifactCache.dir,
        cacheMaxBytes: config.artifactCache.maxBytes,
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
      jsReplicas: config.jsReplicas,
      logLevel: config.logLevel,
      structuredLogging: config.structuredLogging,
      shutdownDelayMs: config.providerShutdownDelayMs,
      nc: rpcNc,
      linksFor: (providerId, linkName) => data.linksForProvider(providerId, linkName),
      events,
      log,
      cacheDir,
      healthIntervalMs: options.providerHealthIntervalMs,
      builtinHttp: runtime,
      recordClaims: (claims) =>
        data.putClaims(claims.sub, {
          iss: claims.iss,
          name: claims.wascap.name ?? '',
          sub: claims.sub,
          contract_id: claims.wascap.capid,
          rev: String(claims.wascap.rev ?? ''),
          version: claims.wascap.ver ?? '',
        }),
    });
    releases.defer('the providers', async () => providers?.stopAll());
    // Actors stop first (released last in, first out), while the providers they call still run.
    releases.defer('the actors', async () => actors?.stopAll());

    const metrics = await startHostMetrics(config, { runtime, actors, providers, connectivity }, log);
    releases.defer('the metrics', async () => metrics?.shutdown());

    // Listening (and logging its URL) before the control interface answers, so `wash up` sees the URL.
    if (config.dashboard) {
      const listen = config.dashboard;
      // Loaded only when it is on: fastify and the dashboard's modules cost a host ~25 MB of RSS.
      const { startDashboard } = await import('../dashboard/mod.ts');
      dashboard = await startDashboard({
        nc: ctlNc,
        latticePrefix: config.latticePrefix,
        hostId,
        data,
        log,
        listen,
        tempDir: cacheDir,
        natsStatus: connectivity,
        metrics,
      }).catch((error: unknown) => {
        log.warn(`dashboard not started: ${errorMessage(error)}`, errorFields(error));
        return undefined;
      });
    }

    log.info(
      describeTelemetry(
        config.telemetry,
        metrics?.scrapeUrl ?? (metrics && dashboard ? `${dashboard.url}/metrics` : undefined),
      ),
    );

    releases.defer('the dashboard', async () => {
      const open = dashboard;
      dashboard = undefined; // no more lattice data changes reach it
      await open?.close();
    });

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
      replies: {
        maxPayload: () => maxPayloadOf(ctlNc),
        // Its own store on the control connection: that is the NATS the requesters read from.
        chunks: new ChunkStore(ctlNc, subjects, config.jsDomain),
        subjects,
        jsDomain: config.jsDomain,
        log,
      },
      heartbeat: () => publishHeartbeat(context, events, maxPayloadOf(ctlNc)),
      // A failed step of the stop is logged where it fails; nothing is left to tell the requester.
      stopHost: () => void host?.stop().catch(() => undefined),
      // `get.{host}.metrics`: the counters behind /metrics, for every dashboard of the lattice.
      metrics: metrics && (() => metrics.invocations()),
    };
    const subscriptions = serveControlInterface(ctlNc, subjects, context);
    releases.defer('the control interface', () => {
      for (const subscription of subscriptions) subscription.unsubscribe();
    });
    await ctlNc.flush();
    events.publish('host_started', {
      labels: config.labels,
      friendly_name: config.friendlyName,
      uptime_seconds: 0,
      version: HOST_VERSION,
    });
    announced = true;
    context.heartbeat();
    const heartbeatTimer = setInterval(() => context.heartbeat(), HEARTBEAT_INTERVAL_MS);
    heartbeatTimer.unref();
    releases.defer('the heartbeat', () => clearInterval(heartbeatTimer));
    host = new Host({ config, log, data, dashboard, releases, onStopped: options.onStopped });
    options.onStarted?.(host);
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

  /**
   * Stops actors and providers, publishes host_stopped, closes the connections and removes the temp
   * folder, in the reverse order of the start. Idempotent. Every step runs even when one fails;
   * then it rejects with a ReleaseError (RELEASE_FAILED) listing what failed.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#log.info(`host ${this.id} stopping`);
    let failure: unknown;
    try {
      // Every step runs even when one fails; each failure is logged as it happens.
      await this.#releases.release();
      this.#log.info(`host ${this.id} stopped`);
    } catch (error) {
      failure = error;
      this.#log.error(`host ${this.id} stopped, but ${errorMessage(error)}`, { code: errorCode(error) });
    }
    this.#onStopped?.(failure);
    if (failure !== undefined) throw failure;
  }
}
