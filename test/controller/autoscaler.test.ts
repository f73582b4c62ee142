// The autoscaler trait end to end (issue 16): a reconciler and real host processes, an actor whose
// calls take a while (the forwarder hands each to a provider of the test's own that answers after
// CALL_MS), and callers that keep CALLERS calls outstanding. The instances go up to max, only on
// the hosts the spread admits, with the reason in the status; once the calls stop they go to zero
// after scaleDownDelay, by `scale` commands that carry `scale_to_zero: true`. A web host SIGKILLed
// while scaled up: its instances come back on the other.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { AutoscalerSpec } from '../../controller/manifest/types.ts';
import { actorEntity } from '../../lattice/invocation.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { encodePayload } from '../../lattice/payload.ts';
import { invocationReply, receiveInvocation } from '../../lattice/rpc.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { eventually } from '../helpers/eventually.ts';
import { invokeActor } from '../helpers/lattice-client.ts';
import { forwarderActor } from '../helpers/wat-forwarder.ts';
import {
  actor,
  app,
  CommandCounter,
  inventories,
  managedActorCounts,
  type ReconcileLattice,
  startReconcileLattice,
  type TestReconciler,
} from './reconcile-fixtures.ts';

const MESSAGING = 'wasmcloud:messaging';
const CALLER = actorEntity(KeyPair.create('module').publicKey);
/** How long the test's provider takes to answer each call. */
const CALL_MS = 100;
/** Calls kept outstanding while the load runs: a p50 of about 8 in flight + queued. */
const CALLERS = 8;

let lattice: ReconcileLattice;
let reconciler: TestReconciler;
let actorId: string;
let actorPath: string;
const web: string[] = [];
let batch: string;

beforeAll(async () => {
  lattice = await startReconcileLattice('autoscale');
  const hosts = await Promise.all([
    lattice.startHost({ tier: 'web' }),
    lattice.startHost({ tier: 'web' }),
    lattice.startHost({ tier: 'batch' }),
  ]);
  web.push(hosts[0]!.id, hosts[1]!.id);
  batch = hosts[2]!.id;
  const forwarder = await forwarderActor([MESSAGING], 'forwarder-autoscaled');
  actorId = forwarder.id;
  actorPath = join(lattice.dir, 'forwarder.wasm');
  writeFileSync(actorPath, forwarder.bytes);

  // The forwarder's calls go to this provider, which answers each after CALL_MS.
  const providerKey = KeyPair.create('service').publicKey;
  lattice.nc.subscribe(latticeSubjects(lattice.prefix).rpc.provider(providerKey, 'default'), {
    callback: (_error, msg) => {
      void sleep(CALL_MS).then(async () => {
        const invocation = await receiveInvocation(msg.data, undefined);
        msg.respond(
          await invocationReply(invocation.id, encodePayload({ body: new Uint8Array(0) }), undefined),
        );
      });
    },
  });
  await lattice.nc.flush();
  await lattice.client.putLink({ actor_id: actorId, provider_id: providerKey, contract_id: MESSAGING });
  reconciler = await lattice.startReconciler({
    loadPollIntervalMs: 250,
    pingIntervalMs: 500,
    pingTimeoutMs: 250,
  });
}, 90_000);

afterAll(async () => {
  await lattice?.stop();
});

/** Instances of the app's actor per host, from the hosts' inventories. */
async function counts(): Promise<Record<string, number>> {
  return managedActorCounts(await inventories(lattice.client, lattice.hosts.keys()), 'scaled');
}

function total(byHost: Record<string, number>): number {
  return Object.values(byHost).reduce((sum, count) => sum + count, 0);
}

test('up to max on the hosts the spread admits, with the reason; a SIGKILLed host recovered; to zero after the delay', async () => {
  const spec: AutoscalerSpec = {
    type: 'autoscaler',
    min: 0,
    max: 3,
    targetConcurrency: 2,
    scaleDownDelayMs: 2000,
    spread: [{ name: 'web', requirements: { tier: 'web' }, weight: 100 }],
  };
  const counter = await CommandCounter.start(lattice.nc, lattice.prefix);
  // Callers start before the deploy: a call before the actor runs fails at once and is tried again.
  let loading = true;
  let answered = 0;
  const callers = Array.from({ length: CALLERS }, async () => {
    const request = encodePayload({ subject: 'svc', body: new Uint8Array([1]), timeoutMs: 2000 });
    while (loading) {
      try {
        await invokeActor(
          lattice.nc,
          lattice.prefix,
          lattice.clusterKey,
          actorId,
          'Messaging.Request',
          request,
          CALLER,
        );
        answered += 1;
      } catch {
        await sleep(20); // not running yet, or a call past its timeout behind the queue: call again
      }
    }
  });
  const deployedAt = Date.now();
  reconciler.reconciler.setDesired([{ manifest: app('scaled', 'v1', [actor('fwd', actorPath, [spec])]) }]);

  let most = 0;
  const atMax = await eventually(
    async () => {
      const byHost = await counts();
      most = Math.max(most, total(byHost));
      return total(byHost) === 3 && web.every((hostId) => (byHost[hostId] ?? 0) >= 1) ? byHost : undefined;
    },
    { what: 'three instances over the two web hosts', timeoutMs: 60_000, intervalMs: 100 },
  );
  const upMs = Date.now() - deployedAt;
  expect(atMax[batch]).toBe(0);
  const status = reconciler.reconciler.status('scaled')!;
  const scaler = status.scalers.find((entry) => entry.kind === 'AutoScaler');
  expect(scaler?.status.message).toMatch(/p50 in-flight [\d.]+\/instance > 2: \d → 3 instances/);
  // Hold the load a little longer: never more than max, never on the batch host.
  for (let round = 0; round < 10; round++) {
    const byHost = await counts();
    most = Math.max(most, total(byHost));
    expect(byHost[batch]).toBe(0);
    await sleep(100);
  }
  expect(most).toBe(3);
  expect(answered).toBeGreaterThan(0);

  // A web host is SIGKILLed while scaled up: its instances come back on the other web host.
  const [survivor, victim] = web as [string, string];
  lattice.hosts.get(victim)?.child.kill('SIGKILL');
  lattice.hosts.delete(victim);
  const killedAt = Date.now();
  const recovered = await eventually(
    async () => {
      const byHost = await counts();
      return byHost[survivor] === 3 ? byHost : undefined;
    },
    { what: 'three instances on the surviving web host', timeoutMs: 30_000, intervalMs: 100 },
  );
  const recoverMs = Date.now() - killedAt;
  expect(recovered[batch]).toBe(0);

  // The last calls go out now; those on the killed host wait out the callers' 5 s timeout.
  loading = false;
  const stoppedAt = Date.now();
  await Promise.all(callers);
  await eventually(
    async () => {
      const byHost = await counts();
      if (total(byHost) === 0) return true;
      // Said when the wait times out: where the instances are and what the autoscaler thinks.
      const scaler = reconciler.reconciler
        .status('scaled')
        ?.scalers.find((entry) => entry.kind === 'AutoScaler');
      const load = await lattice.client.getLoad(survivor).then(
        (reply) => JSON.stringify(reply.actors),
        (error: unknown) => String(error),
      );
      throw new Error(
        `instances ${JSON.stringify(byHost)}; autoscaler: ${scaler?.status.message ?? 'no status'}; load ${load}`,
      );
    },
    {
      what: 'no instance once the calls stopped',
      timeoutMs: 30_000,
      intervalMs: 100,
    },
  );
  const downMs = Date.now() - stoppedAt;
  // Not before scaleDownDelay without a call.
  expect(downMs).toBeGreaterThanOrEqual(spec.scaleDownDelayMs - 300);
  const zeroed = await eventually(
    () => {
      const message = reconciler.reconciler.status('scaled')?.scalers[0]?.status.message ?? '';
      return message.startsWith('0 instances, scaled to zero') ? message : undefined;
    },
    { what: 'the status to say scaled to zero', timeoutMs: 10_000, intervalMs: 50 },
  );
  expect(zeroed).toBe('0 instances, scaled to zero (autoscaled 0–3; idle 2 s: scaled to zero)');
  const scales = counter.bodiesOf('scale');
  expect(scales.length).toBeGreaterThanOrEqual(1);
  for (const body of scales) expect(body).toMatchObject({ actor_id: actorId, count: 0, scale_to_zero: true });
  counter.stop();
  console.log(
    `autoscaler (calls of ${CALL_MS} ms): 0 → 3 instances ${upMs} ms after the deploy under ${CALLERS} callers (${answered} calls answered); 3 back on the surviving host ${recoverMs} ms after a SIGKILL; 3 → 0 ${downMs} ms after the last call (scaleDownDelay 2 s, polls every 250 ms)`,
  );
}, 120_000);
