// A version roll-over under HTTP load: an app of the wasmbus echo actor (2 instances over two
// real host processes) and the httpserver provider as a daemonscaler on the one host labelled
// ingress=yes, linked to it. Version 2 brings a new build of the actor (same key, another image
// file): its scaler is new, so its instances start beside version 1's, and version 1's are stopped
// only once they all run. Two loops of requests run through the provider the whole time; not one
// may fail.

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
