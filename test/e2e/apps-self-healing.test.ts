// Issue 14's "Done when" end to end, with every part real: a nats-server with JetStream, three
// labelled host processes, two application-controller processes (node controller/main.ts) and the
// wash CLI. The echo walk-through's manifest (examples/echo-app.yaml) is deployed with the echo
// actor spread 3 over the two `role=worker` hosts and the httpserver provider as a daemonscaler on
// the `role=ingress` host, so HTTP keeps answering while a worker dies. Then, under a loop of HTTP
// requests: SIGKILL the leading controller, then SIGKILL a worker; the other controller takes the
// lease and puts the echo instances back to 3 on the remaining worker within 15 s of the host's
// death, and only requests in flight when the worker died may fail. Last, `wash app undeploy`
// stops what the controller started and leaves an echo instance started by hand with `wash ctl`.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEASES_BUCKET, openBucket } from '../../controller/kv-buckets.ts';
import { verifySignedWasm } from '../../lattice/claims.ts';
import { ControlClient } from '../../lattice/control-client.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { type ControllerProcess, startControllerProcess } from '../controller/controller-process.ts';
import { inventories, managedActorCounts, unmanagedActorCounts } from '../controller/reconcile-fixtures.ts';
import { builtActor } from '../helpers/actors.ts';
import { eventually, eventuallyPasses } from '../helpers/eventually.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';
import { type HostProcess, startHostProcess } from '../helpers/host-process.ts';
import { freePort, type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import { runWash, type WashRun } from '../helpers/wash.ts';

const LATTICE = 'selfheal';
const APP = 'echo';
const ECHO_REPLICAS = 3;
const EXAMPLE = join(REPO_ROOT, 'examples', 'echo-app.yaml');
const ECHO_IMAGE = join(REPO_ROOT, 'actors', 'build', 'echo_s.wasm');
const HTTPSERVER_IMAGE = join(REPO_ROOT, 'providers', 'build', 'httpserver.par.gz');
const ECHO_JSON = '{"body":[],"method":"GET","path":"/","query_string":""}';
/** issue 14: a SIGKILLed host's share runs elsewhere within this long. */
const RESCHEDULE_LIMIT_MS = 15_000;

let dir: string;
let nats: NatsServer;
let nc: NatsConnection;
let client: ControlClient;
let httpPort: number;
let manifestPath: string;
let echoKey: string;
let ingress: HostProcess;
let doomedWorker: HostProcess;
let survivingWorker: HostProcess;
const hosts: HostProcess[] = [];
const controllers: ControllerProcess[] = [];

/** The example manifest with echo spread over the workers, the provider on ingress hosts, a free port. */
function selfHealingManifest(): string {
  const example = load(readFileSync(EXAMPLE, 'utf8')) as {
    spec: { components: Array<{ name: string; properties: { image: string }; traits: unknown[] }> };
  };
  const [echo, httpserver] = example.spec.components;
  if (echo?.name !== 'echo' || httpserver?.name !== 'httpserver')
    throw new Error('examples/echo-app.yaml no longer holds the echo and httpserver components');
  // Absolute paths: the hosts need not run in the repository's root.
  echo.properties.image = ECHO_IMAGE;
  httpserver.properties.image = HTTPSERVER_IMAGE;
  echo.traits = [
    {
      type: 'spreadscaler',
      properties: {
        replicas: ECHO_REPLICAS,
        spread: [{ name: 'workers', requirements: { role: 'worker' } }],
      },
    },
    { type: 'linkdef', properties: { target: 'httpserver', values: { ADDRESS: `127.0.0.1:${httpPort}` } } },
  ];
  httpserver.traits = [
    {
      type: 'daemonscaler',
      properties: { replicas: 1, spread: [{ name: 'ingress', requirements: { role: 'ingress' } }] },
    },
  ];
  return dump(example);
}

function wash(...args: string[]): Promise<WashRun> {
  return runWash([...args, '-p', String(nats.port), '-x', LATTICE], {
    env: {
      WASH_HOME: join(dir, 'home'),
      HOME: dir,
      WASMCLOUD_CLUSTER_SEED: '',
      WASMCLOUD_CTL_TIMEOUT_MS: '',
    },
  });
}

function json<T>(run: WashRun): T {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as T;
}

const isRunning = (host: HostProcess) => host.child.exitCode === null && host.child.signalCode === null;

async function echoCounts(): Promise<Record<string, number>> {
  const live = hosts.filter(isRunning).map((host) => host.id);
  return managedActorCounts(await inventories(client, live), APP);
}

const leaders = () =>
  controllers.filter(
    (controller) =>
      controller.child.exitCode === null &&
      controller.child.signalCode === null &&
      controller.terms().some((term) => term.to === undefined),
  );

async function leaseHolder(): Promise<string | undefined> {
  const entry = await (await openBucket(nc, LEASES_BUCKET)).get(LATTICE);
  if (entry === null || entry.operation !== 'PUT') return undefined;
  return (JSON.parse(entry.string()) as { holder?: string }).holder;
}

interface RequestOutcome {
  startedAt: number;
  endedAt: number;
  ok: boolean;
  detail: string;
}

/** GET / over and over from `workers` loops at once, each outcome kept, until stopped. */
class RequestLoop {
  readonly outcomes: RequestOutcome[] = [];
  #running = true;
  readonly #loops: Promise<void>[];

  constructor(url: string, workers: number) {
    this.#loops = Array.from({ length: workers }, () => this.#loop(url));
  }

  async #loop(url: string): Promise<void> {
    while (this.#running) {
      const startedAt = performance.now();
      let ok = false;
      let detail: string;
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        const body = await response.text();
        ok = response.status === 200 && body === ECHO_JSON;
        detail = `${response.status} ${body.slice(0, 200)}`;
      } catch (error) {
        detail = String(error);
      }
      this.outcomes.push({ startedAt, endedAt: performance.now(), ok, detail });
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'apps-self-healing-'));
  httpPort = await freePort();
  manifestPath = join(dir, 'echo-app.yaml');
  writeFileSync(manifestPath, selfHealingManifest());
  echoKey = verifySignedWasm(builtActor('echo')).claims.sub;
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
  client = new ControlClient(nc, { latticePrefix: LATTICE, timeoutMs: 5_000 });
  // One cluster key: each host trusts the invocations the others' providers sign.
  const clusterKey = KeyPair.create('cluster');
  [ingress, doomedWorker, survivingWorker] = (await Promise.all(
    ['ingress', 'worker', 'worker'].map(async (role) => {
      const host = await startHostProcess({
        env: {
          WASMCLOUD_CLUSTER_SEED: clusterKey.seed,
          WASMCLOUD_DASHBOARD_PORT: 'off',
          WASMCLOUD_ACTOR_WORKERS: '1',
        },
        args: [
          '--rpc-port',
          String(nats.port),
          '--lattice-prefix',
          LATTICE,
          '--allow-file-load',
          '--label',
          `role=${role}`,
        ],
        timeoutMs: 60_000,
      });
      hosts.push(host);
      return host;
    }),
  )) as [HostProcess, HostProcess, HostProcess];
  for (const replicaId of ['ctl-a', 'ctl-b']) {
    controllers.push(
      await startControllerProcess({ natsPort: nats.port, replicaId, latticePrefix: LATTICE }),
    );
  }
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(controllers.map((controller) => controller.stop('SIGKILL')));
  await Promise.allSettled(hosts.map((host) => host.stop()));
  await nc?.close();
  await nats?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('an application survives the death of its leading controller and of a worker host', () => {
  let loop: RequestLoop | undefined;

  afterAll(async () => {
    await loop?.stop();
  });

  it('wash app deploy: echo spread over the workers answers HTTP through the ingress host', async () => {
    // A hand-started echo (no annotations) on the worker that will survive: the app must neither
    // count it nor stop it.
    const manual = await wash('ctl', 'start', 'actor', ECHO_IMAGE, '--host-id', survivingWorker.id);
    expect(manual.code, manual.stderr).toBe(0);
    await eventually(() => leaders().length === 1, { what: 'one controller to lead', timeoutMs: 15_000 });

    const deploy = json<{ result: string; version: string }>(
      await wash('app', 'deploy', manifestPath, '-o', 'json'),
    );
    expect(deploy).toMatchObject({ result: 'acknowledged', version: 'v0.1.0' });
    await eventuallyPasses(
      async () => {
        const response = await fetch(`http://127.0.0.1:${httpPort}/`);
        expect(`${response.status} ${await response.text()}`).toBe(`200 ${ECHO_JSON}`);
      },
      { what: `echo to answer on 127.0.0.1:${httpPort}`, timeoutMs: 40_000, intervalMs: 250 },
    );
    const counts = await eventually(
      async () => {
        const now = await echoCounts();
        return Object.values(now).reduce((sum, count) => sum + count, 0) === ECHO_REPLICAS ? now : undefined;
      },
      { what: `${ECHO_REPLICAS} managed echo instances`, timeoutMs: 20_000, intervalMs: 200 },
    );
    // Only the workers run echo, and both do: the doomed one holds part of the share.
    expect(counts[ingress.id]).toBe(0);
    expect(counts[doomedWorker.id]).toBeGreaterThan(0);
    expect(counts[survivingWorker.id]).toBeGreaterThan(0);
    const held = await inventories(
      client,
      hosts.map((host) => host.id),
    );
    expect(held.get(ingress.id)?.providers.map((provider) => provider.contract_id)).toEqual([
      'wasmcloud:httpserver',
    ]);
    expect(held.get(doomedWorker.id)?.providers).toEqual([]);
    expect(unmanagedActorCounts(held, echoKey)[survivingWorker.id]).toBe(1);
  }, 60_000);

  it('SIGKILL of the leader, then of a worker: the other controller leads and echo is back to 3 within 15 s', async () => {
    loop = new RequestLoop(`http://127.0.0.1:${httpPort}/`, 2);
    await eventually(() => loop!.outcomes.some((outcome) => outcome.ok), 'the request loop to get an answer');

    const [leader] = leaders();
    const standby = controllers.find((controller) => controller !== leader)!;
    expect(await leaseHolder()).toBe(leader!.replicaId);
    const leaderKilledEpochMs = Date.now();
    leader!.child.kill('SIGKILL');
    await leader!.exited;

    const hostKilledAt = performance.now();
    const hostKilledEpochMs = Date.now();
    await doomedWorker.stop('SIGKILL');
    const hostGoneAt = performance.now();

    await eventuallyPasses(
      async () =>
        expect(await echoCounts()).toEqual({
          [ingress.id]: 0,
          [survivingWorker.id]: ECHO_REPLICAS,
        }),
      { what: `${ECHO_REPLICAS} echo instances on the surviving worker`, timeoutMs: 25_000, intervalMs: 100 },
    );
    const rescheduledMs = performance.now() - hostKilledAt;
    expect(leaders().map((controller) => controller.replicaId)).toEqual([standby.replicaId]);
    expect(await leaseHolder()).toBe(standby.replicaId);
    const ledAt = standby.terms().at(-1)!.from;

    // A little more traffic after the healing, then the verdict on the whole run.
    const answeredBefore = loop.outcomes.length;
    await eventually(
      () => loop!.outcomes.length >= answeredBefore + 10,
      'ten more requests after the healing',
    );
    await loop.stop();
    const outcomes = loop.outcomes;
    loop = undefined;
    const failures = outcomes.filter((outcome) => !outcome.ok);
    // In flight when the worker died: sent before its exit was seen, answered after the kill.
    const inFlight = failures.filter(
      (outcome) => outcome.startedAt <= hostGoneAt && outcome.endedAt >= hostKilledAt,
    );
    console.log(
      `apps-self-healing: the standby led ${ledAt - leaderKilledEpochMs} ms after the leader's SIGKILL ` +
        `(${ledAt - hostKilledEpochMs} ms after the worker's); ` +
        `echo back to ${ECHO_REPLICAS} in ${Math.round(rescheduledMs)} ms; ` +
        `${outcomes.length} requests, ${failures.length} failed (${inFlight.length} in flight at the kill)` +
        failures
          .map(
            (outcome) =>
              `\n  failed: sent ${Math.round(outcome.startedAt - hostKilledAt)} ms after the kill, ` +
              `took ${Math.round(outcome.endedAt - outcome.startedAt)} ms: ${outcome.detail}`,
          )
          .join(''),
    );
    expect(rescheduledMs).toBeLessThan(RESCHEDULE_LIMIT_MS);
    expect(
      failures.filter((outcome) => !inFlight.includes(outcome)).map((outcome) => outcome.detail),
    ).toEqual([]);
    expect(inFlight.length).toBeLessThanOrEqual(2);
    expect(outcomes.filter((outcome) => outcome.ok).length).toBeGreaterThan(10);
  }, 60_000);

  it('wash app status shows deployed; wash app undeploy stops what the app started, not the hand-started echo', async () => {
    await eventually(
      async () => {
        const reply = json<{ status: { status: { type: string } } }>(
          await wash('app', 'status', APP, '-o', 'json'),
        );
        return reply.status.status.type === 'deployed';
      },
      { what: 'wash app status to show deployed', timeoutMs: 20_000, intervalMs: 250 },
    );
    const undeploy = await wash('app', 'undeploy', APP);
    expect(undeploy.code, undeploy.stderr).toBe(0);
    const live = hosts.filter(isRunning).map((host) => host.id);
    await eventuallyPasses(
      async () => {
        const held = await inventories(client, live);
        expect(managedActorCounts(held, APP)).toEqual({ [ingress.id]: 0, [survivingWorker.id]: 0 });
        expect([...held.values()].flatMap((inventory) => inventory.providers)).toEqual([]);
      },
      { what: 'the managed echo instances and the provider to stop', timeoutMs: 30_000, intervalMs: 200 },
    );
    const held = await inventories(client, live);
    expect(unmanagedActorCounts(held, echoKey)).toEqual({ [ingress.id]: 0, [survivingWorker.id]: 1 });
    await expect(fetch(`http://127.0.0.1:${httpPort}/`)).rejects.toThrow();
  }, 60_000);
});
