// The reconciler (controller/reconcile/) against a real lattice: a nats-server and three real host
// processes labelled by zone, driven with manifests built here. One story, in order: an app of a
// spreadscaler (6 instances, 2:1 by zone) and a daemonscaler provider linked to it is deployed with
// the exact counts per host; a second reconciler over that lattice sends nothing; a host SIGKILLed
// (no host_stopped) has its share back on the others within 15 s; a host that comes back gets its
// share again; undeploy takes down exactly what the app started (a hand-started instance of the
// same actor stays); an image that does not exist fails with a reason and is retried with
// back-off, not in a storm.

import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { verifySignedWasm } from '../../lattice/claims.ts';
import { APP_SPEC_ANNOTATION, MANAGED_BY_ANNOTATION, SCALER_ANNOTATION } from '../../lattice/wadm-api.ts';
import { builtActor } from '../helpers/actors.ts';
import { eventuallyPasses } from '../helpers/eventually.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';
import type { HostProcess } from '../helpers/host-process.ts';
import {
  actor,
  app,
  CommandCounter,
  daemonscaler,
  inventories,
  managedActorCounts,
  provider,
  type ReconcileLattice,
  spreadscaler,
  startReconcileLattice,
  statusOf,
  type TestReconciler,
  unmanagedActorCounts,
} from './reconcile-fixtures.ts';

const KEYVALUE = 'wasmcloud:keyvalue';

let lattice: ReconcileLattice;
let controller: TestReconciler;
let east: HostProcess;
let west1: HostProcess;
let west2: HostProcess;
let counterImage: string;
let counterKey: string;
let keyvalueImage: string;

/** kvcounter: 6 instances, east weighs 2 and west 1 (4 on the one east host, 1 on each west host). */
function shopApp() {
  return app('shop', 'v1', [
    actor(
      'counter',
      counterImage,
      [
        spreadscaler(6, [
          { name: 'east', requirements: { zone: 'east' }, weight: 2 },
          { name: 'west', requirements: { zone: 'west' }, weight: 1 },
        ]),
      ],
      [{ target: 'kv', contract: KEYVALUE, linkName: 'default', values: { BUCKET: 'shop' } }],
    ),
    provider(
      'kv',
      keyvalueImage,
      KEYVALUE,
      [daemonscaler(1, [{ name: 'all', requirements: {}, weight: 100 }])],
      '{"note":"from the manifest"}',
    ),
  ]);
}

const liveHosts = () =>
  [...lattice.hosts.values()].filter(
    (host) => host.child.exitCode === null && host.child.signalCode === null,
  );

async function shopCounts(): Promise<Record<string, number>> {
  return managedActorCounts(
    await inventories(
      lattice.client,
      liveHosts().map((host) => host.id),
    ),
    'shop',
  );
}

beforeAll(async () => {
  lattice = await startReconcileLattice('reconcile');
  counterImage = join(lattice.dir, 'kvcounter.wasm');
  copyFileSync(join(REPO_ROOT, 'actors', 'build', 'wasmbus-kvcounter_s.wasm'), counterImage);
  counterKey = verifySignedWasm(builtActor('wasmbus-kvcounter')).claims.sub;
  keyvalueImage = join(lattice.dir, 'keyvalue.par.gz');
  copyFileSync(join(REPO_ROOT, 'providers', 'build', 'keyvalue.par.gz'), keyvalueImage);
  [east, west1, west2] = await Promise.all([
    lattice.startHost({ zone: 'east' }),
    lattice.startHost({ zone: 'west' }),
    lattice.startHost({ zone: 'west' }),
  ]);
  controller = await lattice.startReconciler({ backoffBaseMs: 1000 });
}, 120_000);

afterAll(async () => {
  await lattice?.stop();
});

describe('a spreadscaler, a daemonscaler provider and a link', () => {
  test('deploys with exact counts per host, annotations on everything, and the link put', async () => {
    const counter = await CommandCounter.start(lattice.nc, lattice.prefix);
    controller.reconciler.setDesired([{ manifest: shopApp() }]);
    const status = await statusOf(controller.reconciler, 'shop', 'deployed', 60_000);
    counter.stop();
    // One start per host (4 instances in one command on the east host), one provider per host, one link.
    console.log(`reconcile: deploying shop took ${counter.count()} commands`);
    expect([counter.count('la'), counter.count('lp'), counter.count('put'), counter.count()]).toEqual([
      3, 3, 1, 7,
    ]);
    for (const body of counter.bodiesOf('lp')) {
      expect(body).toMatchObject({
        provider_ref: keyvalueImage,
        link_name: 'default',
        configuration: '{"note":"from the manifest"}',
      });
    }
    expect(status.scalers.map((scaler) => [scaler.kind, scaler.name, scaler.status.type])).toEqual([
      ['SpreadScaler', 'counter', 'deployed'],
      ['ProviderDaemonScaler', 'kv', 'deployed'],
      ['LinkScaler', `counter -> kv (${KEYVALUE}, link default)`, 'deployed'],
    ]);
    expect(status.scalers[0]?.status.message).toBe('6 instances on 3 hosts');

    const held = await inventories(lattice.client, [east.id, west1.id, west2.id]);
    expect(managedActorCounts(held, 'shop')).toEqual({ [east.id]: 4, [west1.id]: 1, [west2.id]: 1 });
    const spreadScalerId = status.scalers[0]?.id;
    for (const inventory of held.values()) {
      for (const instance of inventory.actors.flatMap((entry) => entry.instances)) {
        expect(instance.annotations).toMatchObject({
          [MANAGED_BY_ANNOTATION]: 'wadm',
          [APP_SPEC_ANNOTATION]: 'shop',
          [SCALER_ANNOTATION]: spreadScalerId,
          'wasmcloud.dev/spread_name': inventory.host_id === east.id ? 'east' : 'west',
        });
      }
      expect(inventory.providers).toHaveLength(1);
      expect(inventory.providers[0]?.annotations).toMatchObject({
        [MANAGED_BY_ANNOTATION]: 'wadm',
        [APP_SPEC_ANNOTATION]: 'shop',
        [SCALER_ANNOTATION]: status.scalers[1]?.id,
      });
    }
    const providerKey = held.get(east.id)?.providers[0]?.id;
    const links = await lattice.client.getLinks();
    expect(links).toEqual([
      expect.objectContaining({
        actor_id: counterKey,
        provider_id: providerKey,
        contract_id: KEYVALUE,
        link_name: 'default',
        values: { BUCKET: 'shop' },
      }),
    ]);
  }, 90_000);

  test('a second reconciler over the correct lattice sends no command', async () => {
    const counter = await CommandCounter.start(lattice.nc, lattice.prefix);
    const second = await lattice.startReconciler();
    try {
      second.reconciler.setDesired([{ manifest: shopApp() }]);
      // Its first pass runs only after it has read every host and the links, and sends whatever is
      // missing in that same pass: deployed here means it found nothing to do.
      await statusOf(second.reconciler, 'shop', 'deployed');
      expect(counter.subjects).toEqual([]);
    } finally {
      counter.stop();
      await second.close();
    }
  }, 60_000);
});

test('idle, the reconciler costs next to no CPU (one ping round every 2 s)', async () => {
  await statusOf(controller.reconciler, 'shop', 'deployed');
  const before = process.cpuUsage();
  const startedAt = performance.now();
  // A window of observation: the CPU this process uses while nothing happens is what is measured.
  await new Promise((resolve) => setTimeout(resolve, 6_000));
  const used = process.cpuUsage(before);
  const share = (used.user + used.system) / 1000 / (performance.now() - startedAt);
  console.log(
    `reconcile: idle CPU of the test process (reconciler inside) ${(share * 100).toFixed(2)} % of one core`,
  );
  expect(share).toBeLessThan(0.05);
}, 30_000);

describe('self-healing', () => {
  test('an instance started by hand on a host is neither counted nor stopped', async () => {
    await lattice.client.startActor(west2.id, counterImage, 1);
    await eventuallyPasses(async () => {
      const held = await inventories(lattice.client, [west2.id]);
      expect(unmanagedActorCounts(held, counterKey)).toEqual({ [west2.id]: 1 });
    }, 'the hand-started instance on the second west host');
    expect(await shopCounts()).toEqual({ [east.id]: 4, [west1.id]: 1, [west2.id]: 1 });
  }, 30_000);

  test('a SIGKILLed host: its share runs on the remaining hosts within 15 s', async () => {
    const killedAt = performance.now();
    await west1.stop('SIGKILL');
    await eventuallyPasses(async () => expect(await shopCounts()).toEqual({ [east.id]: 4, [west2.id]: 2 }), {
      what: 'six instances on the remaining hosts',
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    const rescheduledMs = performance.now() - killedAt;
    console.log(`reconcile: instances back to 6 after a SIGKILL in ${Math.round(rescheduledMs)} ms`);
    expect(rescheduledMs).toBeLessThan(15_000);
    expect(controller.lines.some((line) => line.includes(`host ${west1.id} answered no ping`))).toBe(true);
    await statusOf(controller.reconciler, 'shop', 'deployed');
  }, 60_000);

  test('a host that comes back gets its share back (the provider too)', async () => {
    const back = await lattice.startHost({ zone: 'west' });
    await eventuallyPasses(
      async () => {
        expect(await shopCounts()).toEqual({ [east.id]: 4, [back.id]: 1, [west2.id]: 1 });
        const held = await inventories(lattice.client, [back.id]);
        expect(held.get(back.id)?.providers).toHaveLength(1);
      },
      { what: 'the returning west host to run its share', timeoutMs: 30_000, intervalMs: 100 },
    );
    await statusOf(controller.reconciler, 'shop', 'deployed');
    const held = await inventories(lattice.client, [west2.id]);
    expect(unmanagedActorCounts(held, counterKey)).toEqual({ [west2.id]: 1 });
  }, 60_000);
});

describe('undeploy', () => {
  test('stops exactly what the app started and deletes its link; the hand-started instance stays', async () => {
    controller.reconciler.setDesired([]);
    expect(controller.reconciler.status('shop')).toBeUndefined();
    const hostIds = liveHosts().map((host) => host.id);
    await eventuallyPasses(
      async () => {
        const held = await inventories(lattice.client, hostIds);
        expect(Object.values(managedActorCounts(held, 'shop')).every((count) => count === 0)).toBe(true);
        expect([...held.values()].flatMap((inventory) => inventory.providers)).toEqual([]);
        expect(await lattice.client.getLinks()).toEqual([]);
      },
      { what: 'everything shop started to be gone', timeoutMs: 30_000, intervalMs: 100 },
    );
    const held = await inventories(lattice.client, hostIds);
    expect(unmanagedActorCounts(held, counterKey)[west2.id]).toBe(1);
  }, 60_000);
});

describe('an image that does not exist', () => {
  test('fails with a reason a person understands, and is retried with back-off', async () => {
    const missing = join(lattice.dir, 'nowhere.wasm');
    const counter = await CommandCounter.start(lattice.nc, lattice.prefix);
    try {
      controller.reconciler.setDesired([
        { manifest: app('ghost', 'v1', [actor('ghost', missing, [spreadscaler(1)])]) },
      ]);
      const status = await statusOf(controller.reconciler, 'ghost', 'failed');
      expect(status.status.message).toContain(`ghost: image not found: ${missing}`);
      expect(status.scalers[0]?.status.message).toMatch(/^image not found: .*nowhere\.wasm \(.*no such file/);
      const firstFailure = counter.count('la');
      // A window of observation, not a wait for an outcome: the retries in it are what is measured.
      // Back-off 1 s, 2 s, 4 s: at most three more starts in 6 s (without it, hundreds).
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      const retries = counter.count('la') - firstFailure;
      console.log(`reconcile: ${firstFailure} start(s) before the first failure, ${retries} retries in 6 s`);
      expect(retries).toBeGreaterThanOrEqual(1);
      expect(retries).toBeLessThanOrEqual(3);
      expect(controller.reconciler.status('ghost')?.status.type).toBe('failed');
    } finally {
      counter.stop();
      controller.reconciler.setDesired([]);
    }
  }, 60_000);
});
