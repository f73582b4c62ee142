// The reconciler the leading controller runs (controller/types.ts's `Reconciler`): it watches the
// lattice and issues control-interface commands until what runs matches the deployed applications.
// This file only puts the parts together:
//   lattice-state.ts    the picture of the lattice (hosts, labels, instances, providers, links)
//   lattice-watcher.ts  keeps it current: events, ping rounds (host liveness), inventory re-reads
//   spread.ts           placement arithmetic (weights, wadm's rounding, even split over hosts)
//   annotations.ts      what marks the reconciler's instances, and scaler ids
//   actor-scaler.ts, provider-scaler.ts, link-scaler.ts   one scaler per trait
//   app-scalers.ts      an application's scalers from its manifest
//   commands.ts, command-runner.ts   control commands, and waiting for their outcome
//   autoscaler.ts, autoscale-decision.ts   the autoscaler trait: instances from the hosts' load
//   load-poller.ts      asks the hosts of autoscaled actors for their load (get.{host}.load)
//   scaler-gate.ts      one batch in flight per scaler, back-off after failures
//   cleanup.ts          taking down what an application no longer wants
//   status.ts           application status from scaler statuses, changes only
//   reconcile-loop.ts   the pass that ties them together, and when it runs

import { ControlClient } from '../../lattice/control-client.ts';
import { errorMessage } from '../../lattice/errors.ts';
import type { Logger } from '../../lattice/log.ts';
import type { NatsConnection } from '../../lattice/nats.ts';
import type { Reconciler } from '../types.ts';
import { CommandRunner } from './command-runner.ts';
import { LatticeState } from './lattice-state.ts';
import { LatticeWatcher } from './lattice-watcher.ts';
import { LoadPoller } from './load-poller.ts';
import { ReconcileLoop } from './reconcile-loop.ts';

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
  /** Time between two load rounds of the hosts of autoscaled actors (default 1000 ms). */
  loadPollIntervalMs?: number | undefined;
}

export interface ReconcilerOptions extends ReconcilerTimings {
  nc: NatsConnection;
  latticePrefix: string;
  log: Logger;
}

/** The defaults of every timing (see ReconcilerTimings). */
export const DEFAULT_RECONCILER_TIMINGS: Required<ReconcilerTimings> = {
  pingIntervalMs: 2000,
  pingTimeoutMs: 1000,
  missedPingsBeforeGone: 2,
  resyncIntervalMs: 30_000,
  commandTimeoutMs: 30_000,
  backoffBaseMs: 2000,
  backoffMaxMs: 5 * 60_000,
  controlTimeoutMs: 2000,
  loadPollIntervalMs: 1000,
};

/**
 * Starts watching the lattice at once; commands go out only after every host's inventory and the
 * links have been read, so a reconciler started over a lattice that is already right sends nothing.
 */
export function createReconciler(options: ReconcilerOptions): Reconciler {
  const timings = { ...DEFAULT_RECONCILER_TIMINGS, ...definedTimings(options) };
  const log = options.log.child({ part: 'reconciler' });
  const client = new ControlClient(options.nc, {
    latticePrefix: options.latticePrefix,
    timeoutMs: timings.controlTimeoutMs,
    onInvalidMessage: (subject, error) => log.debug(`ignored an invalid reply on ${subject}: ${error}`),
  });
  // The loop is made last but the state calls it: `loop` is set before any event can arrive.
  let loop: ReconcileLoop | undefined;
  const state = new LatticeState(() => loop?.latticeChanged());
  const runner = new CommandRunner({ client, state, log, timeoutMs: timings.commandTimeoutMs });
  const watcher = new LatticeWatcher({
    nc: options.nc,
    client,
    state,
    log,
    timings,
    onEvent: (event) => runner.onEvent(event),
  });
  // Its own client: a load request waits no longer than a round lasts.
  const loadClient = new ControlClient(options.nc, {
    latticePrefix: options.latticePrefix,
    timeoutMs: Math.min(timings.controlTimeoutMs, timings.loadPollIntervalMs),
  });
  const poller = new LoadPoller({
    client: loadClient,
    log,
    intervalMs: timings.loadPollIntervalMs,
    hostsToPoll: () => loop?.autoscaledHosts() ?? [],
    onRound: () => loop?.loadChanged(),
  });
  let retry: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  loop = new ReconcileLoop({
    state,
    runner,
    log,
    backoff: timings,
    loadRounds: () => poller.rounds,
    closeParts: () => {
      closed = true;
      clearTimeout(retry);
      poller.close();
      watcher.close();
      runner.close();
    },
  });
  poller.start();
  const started = loop;
  // Reading the lattice fails only when the connection does (closed, draining): try again later.
  const begin = () => {
    watcher.start().then(
      () => {
        if (!closed) started.markReady();
      },
      (error: unknown) => {
        if (closed) return;
        log.warn(
          `could not read lattice ${options.latticePrefix} (${errorMessage(error)}); trying again in ${timings.backoffBaseMs} ms`,
        );
        retry = setTimeout(begin, timings.backoffBaseMs);
      },
    );
  };
  begin();
  return started;
}

/** The timings the caller gave (an explicit `undefined` keeps the default). */
function definedTimings(options: ReconcilerTimings): ReconcilerTimings {
  return Object.fromEntries(
    Object.entries(options).filter(
      ([key, value]) => value !== undefined && Object.hasOwn(DEFAULT_RECONCILER_TIMINGS, key),
    ),
  );
}
