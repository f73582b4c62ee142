// The dashboard a host serves (port 4000 by default, docs/dashboard.md): the whole lattice at a
// glance and the buttons to start actors and providers and to link them, without a terminal.
// `startDashboard` puts the parts together (lattice view, actions, uploads, live feed, HTTP
// server) and listens; `close` takes them apart. It needs only a NATS connection and the host's
// lattice data: everything it does goes through the control interface, as wash does, and the
// application controller's API, as `wash app` does.

import type { AddressInfo } from 'node:net';
import { ControlClient } from '../lattice/control-client.ts';
import { errorMessage } from '../lattice/errors.ts';
import type { Logger } from '../lattice/log.ts';
import type { NatsConnection } from '../lattice/nats.ts';
import { WadmClient } from '../lattice/wadm-client.ts';
import { type ActionTimeouts, DashboardActions } from './actions.ts';
import { ApplicationActions } from './application-actions.ts';
import { type ApplicationsTimings, ApplicationsView } from './applications.ts';
import { CallRates, type CallRatesTimings } from './call-rates.ts';
import { DashboardError } from './errors.ts';
import type { MetricsEndpoint, NatsStatusSource } from './host-services.ts';
import { LatticeFeed } from './lattice-feed.ts';
import { readLatticeLoad } from './lattice-load.ts';
import { LatticeView, type LatticeViewTimings } from './lattice-view.ts';
import { isLoopback } from './request-guard.ts';
import { createDashboardServer, type Readiness } from './server.ts';
import { ServerSentEvents } from './server-sent-events.ts';
import { buildSnapshot, type LatticeDataReader } from './snapshot.ts';
import { loadStaticFiles } from './static-files.ts';
import { DEFAULT_UPLOAD_LIMITS, type UploadLimits, UploadStore } from './uploads.ts';

export type { LatticeDataReader } from './snapshot.ts';

/** Changes that arrive together (an actor's events, its inventory) go out as one update. */
const BROADCAST_DELAY_MS = 50;
const READINESS_TIMEOUT_MS = 1_000;

export interface DashboardOptions {
  /** The host's control connection. */
  nc: NatsConnection;
  latticePrefix: string;
  /** The host serving the dashboard (marked "local" in the page). */
  hostId: string;
  data: LatticeDataReader;
  log: Logger;
  listen: { host: string; port: number };
  /** Where uploads are kept (in a folder of their own); default the system's temporary folder. */
  tempDir?: string | undefined;
  /** The host's NATS connections, shown in the page and in readiness. */
  natsStatus?: NatsStatusSource | undefined;
  ctlTimeoutMs?: number | undefined;
  view?: Partial<LatticeViewTimings> | undefined;
  actions?: Partial<ActionTimeouts> | undefined;
  uploads?: Partial<UploadLimits> | undefined;
  applications?: Partial<ApplicationsTimings> | undefined;
  /** How long a request to the application controller waits; default 5 s. */
  wadmTimeoutMs?: number | undefined;
  /** The host's metrics, served at /metrics; none when metrics are off. */
  metrics?: MetricsEndpoint | undefined;
  /** How often every host's call counters are asked for the page's rates, and how many points are kept. */
  callRates?: Partial<CallRatesTimings> | undefined;
}

export interface Dashboard {
  /** Where a browser on this machine opens it. */
  readonly url: string;
  readonly port: number;
  /** Where uploaded files are kept (undefined before the first): the host may always start from there. */
  readonly uploadsDirectory: string | undefined;
  /** Tells the dashboard the lattice data changed (links or claims), so pages update. */
  latticeDataChanged(): void;
  close(): Promise<void>;
}

/** The dashboard could not listen (port in use, address not on this machine, …). */
export class DashboardStartError extends DashboardError {}

function listenErrorText(error: unknown, host: string, port: number): string {
  const code = (error as { code?: unknown }).code;
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE')
    return `cannot listen on ${where}: the port is in use (choose another with WASMCLOUD_DASHBOARD_PORT / --dashboard-port, or off)`;
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return `cannot listen on ${where}: no such address on this machine (WASMCLOUD_DASHBOARD_HOST / --dashboard-host)`;
  if (code === 'EACCES') return `cannot listen on ${where}: not allowed (ports below 1024 need privileges)`;
  return `cannot listen on ${where}: ${errorMessage(error)}`;
}

/** A URL a browser on this machine can open: a wildcard address becomes the loopback one. */
function browsableUrl(host: string, port: number): string {
  if (host === '0.0.0.0') return `http://127.0.0.1:${port}`;
  if (host === '::') return `http://[::1]:${port}`;
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}

async function natsReady(nc: NatsConnection): Promise<string> {
  if (nc.isClosed()) return 'closed';
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(
      () => resolve(`no answer from the server within ${READINESS_TIMEOUT_MS} ms`),
      READINESS_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([nc.flush().then(() => 'connected'), timeout]);
  } catch (error) {
    return errorMessage(error);
  } finally {
    clearTimeout(timer);
  }
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { nc, log, listen } = options;
  const client = new ControlClient(nc, {
    latticePrefix: options.latticePrefix,
    timeoutMs: options.ctlTimeoutMs,
    onInvalidMessage: (subject, error) => log.debug(`dashboard: ignoring a message on ${subject}: ${error}`),
  });
  const view = await LatticeView.start(client, log, options.view);
  const uploads = new UploadStore({ ...DEFAULT_UPLOAD_LIMITS, ...options.uploads }, options.tempDir);
  const actions = new DashboardActions({
    client,
    view,
    uploads,
    data: options.data,
    log,
    timeouts: options.actions,
  });
  const sse = new ServerSentEvents();
  const wadm = new WadmClient(nc, { latticePrefix: options.latticePrefix, timeoutMs: options.wadmTimeoutMs });
  const applications = new ApplicationsView({
    nc,
    client: wadm,
    log,
    watched: () => sse.size > 0,
    timings: options.applications,
  });
  applications.start();
  const callRates = new CallRates({
    ask: (hostId) => client.getMetrics(hostId),
    hosts: () => view.hosts(),
    watched: () => sse.size > 0,
    timings: options.callRates,
  });
  callRates.start();
  const snapshot = () =>
    buildSnapshot({
      latticePrefix: options.latticePrefix,
      hostId: options.hostId,
      view,
      data: options.data,
      uploadedFileAt: (path) => uploads.fileNameAt(path),
      nats: () => options.natsStatus?.reports() ?? [],
      applications: () => applications.state(),
    });
  // The pages get the whole state when they connect, then only what changed (lattice-feed.ts).
  const feed = new LatticeFeed(snapshot);
  const current = () => {
    const { state, delta } = feed.update();
    if (delta !== undefined && sse.size > 0) sse.broadcast({ event: 'delta', data: JSON.stringify(delta) });
    return state;
  };
  const applicationActions = new ApplicationActions({
    view: applications,
    applications: () => snapshot().applications,
    log,
  });
  const readiness = async (): Promise<Readiness> => {
    // While the client says a connection is lost, a round trip would only wait out its timeout.
    const lost = options.natsStatus?.reports().find((report) => report.state === 'reconnecting');
    const checks = {
      nats: lost
        ? `${lost.connection} connection lost; reconnecting to ${lost.server} since ${lost.since}`
        : await natsReady(nc),
      // The host opens the dashboard only once its lattice data has been read in full.
      lattice_data: 'loaded',
      lattice_view: view.synced ? 'synced' : 'syncing',
      // Its own host_started or heartbeat has come back through NATS: the host has joined.
      host: view.host(options.hostId) ? 'joined' : 'not yet seen in the lattice',
    };
    return { ready: checks.nats === 'connected' && view.synced && checks.host === 'joined', checks };
  };

  let port = listen.port;
  const app = createDashboardServer({
    actions,
    applications: applicationActions,
    onPageOpened: () => {
      void applications.refresh();
      callRates.wake();
    },
    uploads,
    sse,
    snapshot: current,
    load: () => readLatticeLoad(client, view.hosts()),
    callRates,
    readiness,
    staticFiles: loadStaticFiles(),
    log,
    bindHost: listen.host,
    port: () => port,
    metrics: options.metrics,
  });
  const closeParts = () => {
    view.close();
    applications.close();
    callRates.close();
    sse.close();
    uploads.close();
  };
  try {
    await app.listen({ host: listen.host, port: listen.port });
  } catch (error) {
    closeParts();
    // The listen failure is what the host reports; a server that never listened has little to close.
    await app.close().catch(() => undefined);
    throw new DashboardStartError(
      'DASHBOARD_LISTEN_FAILED',
      listenErrorText(error, listen.host, listen.port),
      {
        cause: error,
      },
    );
  }
  port = (app.server.address() as AddressInfo).port;

  let broadcastTimer: NodeJS.Timeout | undefined;
  const scheduleBroadcast = () => {
    if (broadcastTimer !== undefined) return;
    broadcastTimer = setTimeout(() => {
      broadcastTimer = undefined;
      if (sse.size > 0) current();
    }, BROADCAST_DELAY_MS);
  };
  view.onChange(scheduleBroadcast);
  applications.onChange(scheduleBroadcast);
  // The rates go in an event of their own, every interval: the lattice's state is not sent again for them.
  callRates.onChange(() => {
    if (sse.size > 0) sse.broadcast({ event: 'metrics', data: JSON.stringify(callRates.state()) });
  });
  const stopNatsStatus = options.natsStatus?.onChange(scheduleBroadcast);

  const url = browsableUrl(listen.host, port);
  log.info(
    `dashboard listening on ${url}`,
    isLoopback(listen.host) ? {} : { bound: `${listen.host}:${port}` },
  );
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    get uploadsDirectory() {
      return uploads.directory;
    },
    latticeDataChanged: scheduleBroadcast,
    close: () => {
      closing ??= (async () => {
        clearTimeout(broadcastTimer);
        stopNatsStatus?.();
        closeParts();
        await app.close();
      })();
      return closing;
    },
  };
}
