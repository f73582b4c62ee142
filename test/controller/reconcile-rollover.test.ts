// Under HTTP load: an app of the wasmbus echo actor (2 instances over two real host processes)
// and the httpserver provider as a daemonscaler on the one host labelled ingress=yes, linked to it.
// Version roll-overs: a new build of the actor (same key, another image file) is a new scaler, so
// its instances start beside the old version's, and those are stopped only once they all run; two
// loops of requests run through the provider the whole time and not one may fail. Then the other
// host is SIGKILLed: its instance runs again on the ingress host within 15 s, and the endpoint
// keeps answering meanwhile (only a request in flight to the killed host may fail).

import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { KeyPair } from '../../lattice/keys.ts';
import { type AppStatus, SCALER_ANNOTATION } from '../../lattice/wadm-api.ts';
import { signForTest, unsignedActor } from '../helpers/actors.ts';
import { eventually } from '../helpers/eventually.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';
import type { HostProcess } from '../helpers/host-process.ts';
import { freePort } from '../helpers/nats-server.ts';
import {
  actor,
  app,
  daemonscaler,
  inventories,
  managedActorCounts,
  provider,
  type ReconcileLattice,
  spreadscaler,
  startReconcileLattice,
  statusOf,
  type TestReconciler,
} from './reconcile-fixtures.ts';

const HTTPSERVER = 'wasmcloud:httpserver';

let lattice: ReconcileLattice;
let controller: TestReconciler;
let ingress: HostProcess;
let worker: HostProcess;
let port: number;
let httpImage: string;
const echoImages: Record<'v1' | 'v2', string> = { v1: '', v2: '' };

function echoApp(version: 'v1' | 'v2') {
  return app('echo', version, [
    actor(
      'echo',
      echoImages[version],
      [spreadscaler(2)],
      [
        {
          target: 'http',
          contract: HTTPSERVER,
          linkName: 'default',
          values: { ADDRESS: `127.0.0.1:${port}` },
        },
      ],
    ),
    provider('http', httpImage, HTTPSERVER, [
      daemonscaler(1, [{ name: 'ingress', requirements: { ingress: 'yes' }, weight: 100 }]),
    ]),
  ]);
}

beforeAll(async () => {
  lattice = await startReconcileLattice('rollover');
  // Two builds of one actor, signed for the same key as a new release would be.
  const key = KeyPair.create('module');
  for (const version of ['v1', 'v2'] as const) {
    const signed = signForTest(unsignedActor('wasmbus-echo'), {
      subject: key,
      name: 'echo',
      caps: [HTTPSERVER],
    });
    echoImages[version] = join(lattice.dir, `echo-${version}.wasm`);
    writeFileSync(echoImages[version], signed.bytes);
  }
  httpImage = join(lattice.dir, 'httpserver.par.gz');
  copyFileSync(join(REPO_ROOT, 'providers', 'build', 'httpserver.par.gz'), httpImage);
  port = await freePort();
  [ingress, worker] = await Promise.all([lattice.startHost({ ingress: 'yes' }), lattice.startHost({})]);
  controller = await lattice.startReconciler();
}, 120_000);

afterAll(async () => {
  await lattice?.stop();
});

interface Load {
  ok: number;
  failures: string[];
  stop(): Promise<void>;
}

/** Loops of GET requests through the provider, each request on its own connection. */
function startLoad(loops: number): Load {
  let running = true;
  const load: Load = {
    ok: 0,
    failures: [],
    stop: async () => {
      running = false;
      await Promise.all(workers);
    },
  };
  const one = async () => {
    while (running) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/roll?n=${load.ok}`, {
          headers: { connection: 'close' },
        });
        const body = await response.text();
        if (response.status === 200 && body.includes('"path":"/roll"')) load.ok += 1;
        else load.failures.push(`${response.status}: ${body.slice(0, 200)}`);
      } catch (error) {
        load.failures.push(String(error));
      }
    }
  };
  const workers = Array.from({ length: loops }, one);
  return load;
}

test('new versions roll over with no failed request', async () => {
  controller.reconciler.setDesired([{ manifest: echoApp('v1') }]);
  const first = await statusOf(controller.reconciler, 'echo', 'deployed', 60_000);
  const scalerIds = { v1: spreadScalerOf(first), v2: '' };
  await eventually(
    async () => (await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined))?.status === 200,
    { what: `the echo answering on port ${port}`, timeoutMs: 20_000 },
  );

  const load = startLoad(2);
  try {
    await eventually(
      () => load.ok >= 20 || load.failures.length > 0,
      'requests to flow before the roll-over',
    );
    // Four roll-overs, back and forth: v2, v1 again (a new start of its scaler), v2, v1.
    const timings: number[] = [];
    let during = 0;
    for (const version of ['v2', 'v1', 'v2', 'v1'] as const) {
      const started = performance.now();
      const before = load.ok;
      const old = version === 'v1' ? scalerIds.v2 : scalerIds.v1;
      controller.reconciler.setDesired([{ manifest: echoApp(version) }]);
      // Deployed under a new spreadscaler id (the old version's status looks deployed too).
      const status = await eventually(
        () => {
          const now = controller.reconciler.status('echo');
          return now?.status.type === 'deployed' && spreadScalerOf(now) !== old && now;
        },
        { what: `the roll-over to ${version}`, timeoutMs: 60_000 },
      );
      timings.push(Math.round(performance.now() - started));
      during += load.ok - before;
      if (scalerIds[version] !== '') expect(spreadScalerOf(status)).toBe(scalerIds[version]);
      scalerIds[version] = spreadScalerOf(status);
      const held = await inventories(lattice.client, [ingress.id, worker.id]);
      expect(managedActorCounts(held, 'echo', old)).toEqual({ [ingress.id]: 0, [worker.id]: 0 });
      expect(managedActorCounts(held, 'echo', scalerIds[version])).toEqual({
        [ingress.id]: 1,
        [worker.id]: 1,
      });
      for (const inventory of held.values())
        for (const instance of inventory.actors.flatMap((entry) => entry.instances))
          expect(instance.annotations[SCALER_ANNOTATION]).toBe(scalerIds[version]);
    }
    expect(scalerIds.v2).not.toBe(scalerIds.v1);
    const after = load.ok;
    await eventually(() => load.ok >= after + 20, 'requests to keep flowing after the roll-overs');
    await load.stop();
    console.log(
      `reconcile: 4 roll-overs in ${timings.join(', ')} ms; ${load.ok} requests answered (${during} during roll-overs), ${load.failures.length} failed`,
    );
    expect(load.failures).toEqual([]);
    expect(during).toBeGreaterThan(0);
  } finally {
    await load.stop();
  }
  // Same actor key in both versions: the one link stays as it was.
  expect(await lattice.client.getLinks()).toHaveLength(1);
}, 120_000);

function spreadScalerOf(status: AppStatus): string {
  const id = status.scalers.find((scaler) => scaler.kind === 'SpreadScaler')?.id;
  if (id === undefined) throw new Error('no spreadscaler in the status');
  return id;
}

test('a host SIGKILLed under HTTP load: its instance is back elsewhere within 15 s, the endpoint keeps answering', async () => {
  await statusOf(controller.reconciler, 'echo', 'deployed');
  const load = startLoad(2);
  try {
    await eventually(() => load.ok >= 20 || load.failures.length > 0, 'requests to flow before the kill');
    const killedAt = performance.now();
    const before = load.ok;
    await worker.stop('SIGKILL');
    await eventually(
      async () => {
        const held = await inventories(lattice.client, [ingress.id]);
        return managedActorCounts(held, 'echo')[ingress.id] === 2;
      },
      { what: 'both instances on the remaining host', timeoutMs: 20_000, intervalMs: 100 },
    );
    const backMs = performance.now() - killedAt;
    const whileDown = load.ok - before;
    await eventually(
      () => load.ok >= before + whileDown + 20,
      'requests to keep flowing after the reschedule',
    );
    await load.stop();
    console.log(
      `reconcile: after a SIGKILL under load both instances ran again in ${Math.round(backMs)} ms; ${whileDown} requests answered meanwhile, ${load.failures.length} failed: ${load.failures.slice(0, 3).join(' | ')}`,
    );
    expect(backMs).toBeLessThan(15_000);
    // The instance on the other host keeps serving: requests are answered while the killed host's share is away.
    expect(whileDown).toBeGreaterThan(0);
    // Only a request in flight to the killed host at that moment can fail: each loop waits for its
    // request, and by the time it timed out the server had long dropped the dead host's subscription.
    expect(load.failures.length).toBeLessThanOrEqual(2);
  } finally {
    await load.stop();
  }
}, 60_000);
