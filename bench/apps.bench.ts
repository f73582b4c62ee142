// The application controller at work (issue 14): a real nats-server with JetStream, three host
// processes labelled zone=zone-a|b|c, and the controller process (`node controller/main.ts`).
// Deployed through lattice/wadm-client.ts: 50 distinct actors (apps-fixture.ts), each with a
// spreadscaler of 3 instances over one spread per zone, so 150 instances, one of each actor per host.
// Measured, once the controller has read the lattice:
// - the first deploy: from model.put + model.deploy to the `deployed` status push and to the last
//   of the 150 actor_started events (a host publishes it once the instance is in its inventory;
//   the inventories are read afterwards to confirm), and the control messages on the wire
//   (wasmbus.ctl.{lattice}.>: commands, queries, pings);
// - a minute of idleness after it: the controller's CPU (/proc) and RSS, its messages per minute,
//   and the hosts' heartbeats per minute (a host heartbeats after every ping.hosts that does not
//   decline it; the controller's pings do, so 2/min, the host's own 30 s period, is expected);
// - undeploy, then redeploys on the same (now warm) hosts, interleaved with the baseline.
// Baseline in the same run (apps-direct.ts): the same 150 instances started with ControlClient, a
// `la` per actor per host, all at once or one at a time awaiting each actor_started: interleaved
// with the redeploys on the same hosts, and once each on fresh hosts for the first deploy.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HEARTBEAT_INTERVAL_MS } from '../host/heartbeat.ts';
import { ControlClient } from '../lattice/control-client.ts';
import { type CloudEvent, isEventOf } from '../lattice/events.ts';
import { connectNats, type NatsConnection } from '../lattice/nats.ts';
import { APP_SPEC_ANNOTATION, statusPushSchema, wadmStatusSubject } from '../lattice/wadm-api.ts';
import { WadmClient } from '../lattice/wadm-client.ts';
import { type ControllerProcess, startControllerProcess } from '../test/controller/controller-process.ts';
import { eventually } from '../test/helpers/eventually.ts';
import { type HostProcess, startHostProcess } from '../test/helpers/host-process.ts';
import { type NatsServer, startNatsServer } from '../test/helpers/nats-server.ts';
import { type DirectMode, startDirectly, stopDirectly } from './apps-direct.ts';
import { type BenchApp, writeBenchApp, ZONE_LABEL } from './apps-fixture.ts';
import {
  type AppsShape,
  type ColdDeploy,
  type FreshDirect,
  type IdleMinute,
  printAppsResults,
  type WarmRounds,
} from './apps-report.ts';
import { LatticeWire, tallyControl } from './control-traffic.ts';
import { cpuSeconds, cpuSnapshot, rssBytes } from './process-usage.ts';

const LATTICE = 'benchapps';
const APP_NAME = 'bench-apps';
const ACTOR_COUNT = 50;
const INSTANCES_PER_ACTOR = 3;
const SHAPE: AppsShape = {
  actorCount: ACTOR_COUNT,
  instancesPerActor: INSTANCES_PER_ACTOR,
  zones: ['zone-a', 'zone-b', 'zone-c'],
  totalInstances: ACTOR_COUNT * INSTANCES_PER_ACTOR,
};
/** How long the deployed application is left alone while the controller's cost is read. */
const IDLE_MS = 60_000;
/** Between the end of the deploy and the idle window: the last events of the burst are handled. */
const SETTLE_MS = 1_000;
/** Redeploys on warm hosts, each followed by the two direct ways. */
const WARM_ROUNDS = 5;
const DEPLOY_LIMIT_MS = 120_000;

/** Everything started so far, stopped in reverse order on the way out, whatever happened. */
class Teardown {
  readonly #steps: Array<{ what: string; step: () => Promise<void> | void }> = [];

  add(what: string, step: () => Promise<void> | void): void {
    this.#steps.push({ what, step });
  }

  async run(): Promise<void> {
    for (const { what, step } of this.#steps.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        console.error(`apps bench: could not stop ${what}:`, error);
      }
    }
  }
}

const pause = (delayMs: number) => new Promise((resolve) => setTimeout(resolve, delayMs));

/** An instance the controller started for the app: its actor_started carries the appspec annotation. */
function isAppStart(event: CloudEvent): boolean {
  return isEventOf(event, 'actor_started') && event.data.annotations[APP_SPEC_ANNOTATION] === APP_NAME;
}

async function startHosts(nats: NatsServer, teardown: Teardown, what: string): Promise<HostProcess[]> {
  const started = await Promise.allSettled(
    SHAPE.zones.map((zone) =>
      startHostProcess({
        env: { WASMCLOUD_DASHBOARD_PORT: 'off' },
        args: [
          '--rpc-port',
          String(nats.port),
          '--lattice-prefix',
          LATTICE,
          '--allow-file-load',
          '--label',
          `${ZONE_LABEL}=${zone}`,
        ],
        timeoutMs: 60_000,
      }),
    ),
  );
  const hosts = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  teardown.add(`the hosts of ${what}`, async () => {
    await Promise.all(hosts.map((host) => host.stop()));
  });
  const failed = started.find((result) => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return hosts;
}

/** Instances per host, read from the hosts' inventories: all of them, or only those of the app. */
async function instancesPerHost(
  client: ControlClient,
  hosts: readonly HostProcess[],
  appOnly: boolean,
): Promise<number[]> {
  return Promise.all(
    hosts.map(async (host) => {
      const inventory = await client.getInventory(host.id);
      let count = 0;
      for (const actor of inventory.actors)
        for (const instance of actor.instances)
          if (!appOnly || instance.annotations[APP_SPEC_ANNOTATION] === APP_NAME) count += 1;
      return count;
    }),
  );
}

async function expectInstances(
  client: ControlClient,
  hosts: readonly HostProcess[],
  appOnly: boolean,
  what: string,
): Promise<number[]> {
  const counts = await instancesPerHost(client, hosts, appOnly);
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total !== SHAPE.totalInstances)
    throw new Error(`${what}: the inventories hold ${total} instances, not ${SHAPE.totalInstances}`);
  return counts;
}

/** Instances the `la` commands asked for (the sum of their `count`). */
function instancesAsked(wire: LatticeWire, from: number, to: number): number {
  let asked = 0;
  for (const message of wire.controlBetween(from, to)) {
    if (message.name !== 'la') continue;
    const body = JSON.parse(new TextDecoder().decode(message.body)) as { count?: unknown };
    asked += typeof body.count === 'number' ? body.count : 1;
  }
  return asked;
}

/** The controller's side: its process, the app's status pushes, and deploy / undeploy timed. */
class ControlledLattice {
  readonly wadm: WadmClient;
  readonly #wire: LatticeWire;
  readonly #statuses: Array<{ at: number; type: string }>;

  constructor(nc: NatsConnection, wire: LatticeWire, statuses: Array<{ at: number; type: string }>) {
    this.wadm = new WadmClient(nc, { latticePrefix: LATTICE, timeoutMs: 10_000 });
    this.#wire = wire;
    this.#statuses = statuses;
  }

  /** Resolves when, after `from`, the app was pushed `deployed` and all its instances started. */
  deployed(from: number): Promise<{ deployedAt: number; allStartedAt: number }> {
    return eventually(
      () => {
        const deployed = this.#statuses.find((status) => status.at >= from && status.type === 'deployed');
        const starts = this.#wire.events.filter((seen) => seen.at >= from && isAppStart(seen.event));
        if (deployed === undefined || starts.length < SHAPE.totalInstances) return undefined;
        return { deployedAt: deployed.at, allStartedAt: starts[SHAPE.totalInstances - 1]!.at };
      },
      { what: `status deployed and ${SHAPE.totalInstances} instances started`, timeoutMs: DEPLOY_LIMIT_MS },
    );
  }

  async deploy(): Promise<void> {
    const reply = await this.wadm.deploy(APP_NAME);
    if (reply.result !== 'acknowledged') throw new Error(`model.deploy: ${reply.result} ${reply.message}`);
  }

  /** Undeploys; resolves with the time the last instance stopped. */
  async undeploy(): Promise<number> {
    const from = performance.now();
    const reply = await this.wadm.undeploy(APP_NAME);
    if (reply.result !== 'acknowledged') throw new Error(`model.undeploy: ${reply.result} ${reply.message}`);
    return eventually(
      () => {
        const stops = this.#wire.eventsBetween(from, Number.POSITIVE_INFINITY, 'actor_stopped');
        return stops.length >= SHAPE.totalInstances ? stops[SHAPE.totalInstances - 1]!.at : undefined;
      },
      { what: `${SHAPE.totalInstances} actor_stopped events after undeploy`, timeoutMs: DEPLOY_LIMIT_MS },
    );
  }
}

/** The first deploy and the idle minute, then undeploy and the interleaved warm rounds. */
async function controllerPhase(
  nats: NatsServer,
  nc: NatsConnection,
  app: BenchApp,
  teardown: Teardown,
): Promise<{ cold: ColdDeploy; idle: IdleMinute; warm: WarmRounds }> {
  const hosts = await startHosts(nats, teardown, 'the controller phase');
  const hostsUpAt = performance.now();
  const hostIds = hosts.map((host) => host.id);
  const wire = await LatticeWire.listen(nc, LATTICE);
  teardown.add('the wire recorder', () => wire.stop());
  const statuses: Array<{ at: number; type: string }> = [];
  const statusSubscription = nc.subscribe(wadmStatusSubject(LATTICE, APP_NAME), {
    callback: (_error, msg) => {
      const push = statusPushSchema.safeParse(JSON.parse(new TextDecoder().decode(msg.data)));
      if (push.success) statuses.push({ at: performance.now(), type: push.data.status.type });
    },
  });
  teardown.add('the status subscription', () => statusSubscription.unsubscribe());
  await nc.flush();

  const controller: ControllerProcess = await startControllerProcess({
    natsPort: nats.port,
    replicaId: 'bench',
    latticePrefix: LATTICE,
  });
  teardown.add('the controller', async () => {
    await controller.stop();
  });
  const pid = controller.child.pid!;
  // Deploy once it leads and has finished reading the lattice, so that the time measured is the
  // deploy's, not the start-up's: its first ping round listens 2 s, then it reads the hosts it
  // heard and pings again; by its third ping every host has been read.
  await eventually(
    () =>
      controller.output().includes('leadership: this replica leads') &&
      wire.control.filter((message) => message.class === 'ping').length >= 3,
    { what: 'the controller to lead and read the lattice', timeoutMs: 30_000 },
  );
  const lattice = new ControlledLattice(nc, wire, statuses);

  // ---- the first deploy ----
  const rssBeforeDeploy = rssBytes(pid);
  const cpuAtDeploy = cpuSeconds(pid);
  const start = performance.now();
  const put = await lattice.wadm.put(app.manifest);
  if (put.result === 'error') throw new Error(`model.put refused the manifest: ${put.message}`);
  await lattice.deploy();
  const ackedAt = performance.now();
  const { deployedAt, allStartedAt } = await lattice.deployed(start);
  const settledAt = Math.max(deployedAt, allStartedAt);
  const deployCpuSeconds = cpuSeconds(pid) - cpuAtDeploy;
  const launches = wire.controlBetween(start, settledAt).filter((message) => message.name === 'la');
  const firstStart = wire.events.find((seen) => seen.at >= start && isAppStart(seen.event));

  // ---- idle: nothing changes; the controller only pings (and re-reads every 30 s) ----
  await pause(SETTLE_MS); // where the window starts, not a wait for an outcome
  const pids = [pid, ...hosts.map((host) => host.child.pid!)];
  const cpuBefore = cpuSnapshot(pids);
  const idleFrom = performance.now();
  await pause(IDLE_MS); // the measured window
  const idleTo = performance.now();
  const cpuAfter = cpuSnapshot(pids);
  const used = (processId: number) => cpuAfter.get(processId)! - cpuBefore.get(processId)!;
  const heartbeats = wire
    .eventsBetween(idleFrom, idleTo, 'host_heartbeat')
    .filter((seen) => hostIds.includes(seen.source));
  const idle: IdleMinute = {
    windowMs: idleTo - idleFrom,
    settleMs: SETTLE_MS,
    traffic: tallyControl(wire.controlBetween(idleFrom, idleTo)),
    controllerCpuSeconds: used(pid),
    hostCpuSeconds: hosts.map((host) => used(host.child.pid!)),
    rssBeforeDeploy,
    rssAfterIdle: rssBytes(pid),
    heartbeatsPerHost: hostIds.map((hostId) => heartbeats.filter((seen) => seen.source === hostId).length),
    heartbeatBytes: heartbeats.reduce((sum, seen) => sum + seen.bytes, 0) / Math.max(1, heartbeats.length),
    hostHeartbeatPeriodMs: HEARTBEAT_INTERVAL_MS,
  };

  // Confirmed in the inventories, outside every counted window.
  const client = new ControlClient(nc, { latticePrefix: LATTICE, timeoutMs: 10_000 });
  const perHostInventory = await expectInstances(client, hosts, true, 'after the deploy');

  const undeployFrom = performance.now();
  const undeployedAt = await lattice.undeploy();
  const cold: ColdDeploy = {
    hostWarmupMs: start - hostsUpAt,
    putAndDeployAckedMs: ackedAt - start,
    firstLaunchMs: (launches[0]?.at ?? Number.NaN) - start,
    lastLaunchMs: (launches.at(-1)?.at ?? Number.NaN) - start,
    firstStartedMs: (firstStart?.at ?? Number.NaN) - start,
    deployedMs: deployedAt - start,
    allStartedMs: allStartedAt - start,
    perHostInventory,
    traffic: tallyControl(wire.controlBetween(start, settledAt)),
    asked: instancesAsked(wire, start, settledAt),
    cpuSeconds: deployCpuSeconds,
    undeployMs: undeployedAt - undeployFrom,
    undeployTraffic: tallyControl(wire.controlBetween(undeployFrom, undeployedAt)),
  };

  // ---- warm rounds: redeploy, then the same instances directly (no annotations: the controller
  // leaves what it did not start alone), each taken down again before the next ----
  const warm: WarmRounds = { controller: [], allAtOnce: [], oneAtATime: [] };
  for (let round = 0; round < WARM_ROUNDS; round++) {
    const from = performance.now();
    await lattice.deploy();
    const done = await lattice.deployed(from);
    warm.controller.push(Math.max(done.deployedAt, done.allStartedAt) - from);
    await lattice.undeploy();
    for (const [mode, times] of [
      ['all at once', warm.allAtOnce],
      ['one at a time', warm.oneAtATime],
    ] as const) {
      const directFrom = performance.now();
      await startDirectly(client, hostIds, app.actors, mode);
      times.push(performance.now() - directFrom);
      await expectInstances(client, hosts, false, `direct (${mode}), round ${round + 1}`);
      await stopDirectly(client, hostIds, app.actors);
    }
  }
  await teardown.run();
  return { cold, idle, warm };
}

/**
 * The baseline of the first deploy, on fresh hosts: deployed to as long after their start as the
 * controller's first deploy was (a host just started is still warming up: in one run, 150 starts
 * at once took 930 ms 1 s after the hosts' start, 262 ms 5 s after).
 */
async function freshDirectPhase(
  nats: NatsServer,
  nc: NatsConnection,
  app: BenchApp,
  teardown: Teardown,
  mode: DirectMode,
  hostWarmupMs: number,
): Promise<FreshDirect> {
  const hosts = await startHosts(nats, teardown, `direct (${mode})`);
  const hostsUpAt = performance.now();
  const wire = await LatticeWire.listen(nc, LATTICE);
  teardown.add('the wire recorder', () => wire.stop());
  const client = new ControlClient(nc, { latticePrefix: LATTICE, timeoutMs: 10_000 });
  const warmUp = hostsUpAt + hostWarmupMs - performance.now();
  if (warmUp > 0) await pause(warmUp); // equal conditions, not a wait for an outcome
  const start = performance.now();
  await startDirectly(
    client,
    hosts.map((host) => host.id),
    app.actors,
    mode,
  );
  const end = performance.now();
  await expectInstances(client, hosts, false, `direct (${mode}) on fresh hosts`);
  await teardown.run();
  return { ms: end - start, traffic: tallyControl(wire.controlBetween(start, end)) };
}

export async function runAppsBench(): Promise<void> {
  const teardown = new Teardown();
  // Ctrl-C or a kill: stop what runs (the helpers SIGKILL their children on exit too).
  const onSignal = (signal: NodeJS.Signals) => {
    void teardown.run().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-bench-apps-'));
    teardown.add('the actors directory', () => rmSync(dir, { recursive: true, force: true }));
    const nats = await startNatsServer({ jetstream: true });
    teardown.add('nats-server', () => nats.stop());
    const nc = await connectNats({ url: nats.url });
    teardown.add('the NATS connection', () => nc.close());
    const app = writeBenchApp(dir, { name: APP_NAME, ...SHAPE });
    // Each phase stops its own processes when done; on a failure midway this stops the rest.
    const phase = new Teardown();
    teardown.add('a phase', () => phase.run());
    const { cold, idle, warm } = await controllerPhase(nats, nc, app, phase);
    const freshOneAtATime = await freshDirectPhase(nats, nc, app, phase, 'one at a time', cold.hostWarmupMs);
    const freshAllAtOnce = await freshDirectPhase(nats, nc, app, phase, 'all at once', cold.hostWarmupMs);
    printAppsResults({ shape: SHAPE, cold, idle, warm, freshOneAtATime, freshAllAtOnce });
  } finally {
    await teardown.run();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

if (import.meta.main) await runAppsBench();
