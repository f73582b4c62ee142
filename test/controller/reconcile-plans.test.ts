// The reconciler's decisions on a picture of the lattice built here (no NATS: the picture is what
// inventories and events would have put in it): the picture itself (inventories, idempotent
// events, heartbeat agreement), and the plans of each kind of scaler — starts before stops, only
// annotated instances counted and stopped, provider conflicts, links from the running keys, and
// what an undeploy or a finished roll-over takes down.

import { describe, expect, test } from 'vitest';
import { ActorScaler } from '../../controller/reconcile/actor-scaler.ts';
import { managedAnnotations } from '../../controller/reconcile/annotations.ts';
import { buildAppScalers } from '../../controller/reconcile/app-scalers.ts';
import { AutoScaler } from '../../controller/reconcile/autoscaler.ts';
import { planCleanup } from '../../controller/reconcile/cleanup.ts';
import type { Command } from '../../controller/reconcile/commands.ts';
import { LatticeState } from '../../controller/reconcile/lattice-state.ts';
import type { LoadRound } from '../../controller/reconcile/load-poller.ts';
import type { HostInventory } from '../../lattice/control.ts';
import { cloudEvent } from '../../lattice/events.ts';
import { linkDefinitionId } from '../../lattice/link-definition.ts';
import { actor, app, daemonscaler, provider, spreadscaler } from './reconcile-fixtures.ts';

const ACTOR_KEY = 'MACTOR';
const PROVIDER_KEY = 'VPROVIDER';

interface HostSetup {
  labels?: Record<string, string>;
  /** Instances as [annotations, count]. */
  actors?: [Record<string, string>, number][];
  providers?: { key?: string; image?: string; annotations: Record<string, string> }[];
}

let instanceSerial = 0;

function inventory(hostId: string, setup: HostSetup): HostInventory {
  const instances = (setup.actors ?? []).flatMap(([annotations, count]) =>
    Array.from({ length: count }, () => ({ instance_id: `i${++instanceSerial}`, revision: 1, annotations })),
  );
  return {
    host_id: hostId,
    labels: setup.labels ?? {},
    actors: instances.length === 0 ? [] : [{ id: ACTOR_KEY, image_ref: 'echo.wasm', instances }],
    providers: (setup.providers ?? []).map((entry) => ({
      id: entry.key ?? PROVIDER_KEY,
      link_name: 'default',
      revision: 1,
      contract_id: 'wasmcloud:httpserver',
      image_ref: entry.image ?? 'http.par.gz',
      annotations: entry.annotations,
    })),
  };
}

function picture(hosts: Record<string, HostSetup>): LatticeState {
  const state = new LatticeState(() => undefined);
  for (const [hostId, setup] of Object.entries(hosts)) state.applyInventory(inventory(hostId, setup));
  return state;
}

/** `startActor E 4`, `stopProvider A`, `putLink M… V…`: what a plan does, short. */
function summarize(command: Command): string {
  if (command.kind === 'startActor' || command.kind === 'stopActor')
    return `${command.kind} ${command.hostId} ${command.count}`;
  if (command.kind === 'startProvider' || command.kind === 'stopProvider' || command.kind === 'scaleToZero')
    return `${command.kind} ${command.hostId}`;
  if (command.kind === 'putLink') return `putLink ${command.link.actor_id} ${command.link.provider_id}`;
  return `deleteLink ${command.actorId}`;
}

const summary = (commands: Command[]) => commands.map(summarize);

const echoSpread = (instances: number) =>
  new ActorScaler(
    'shop',
    actor('echo', 'echo.wasm', []),
    spreadscaler(instances, [
      { name: 'east', requirements: { zone: 'east' }, weight: 2 },
      { name: 'west', requirements: { zone: 'west' }, weight: 1 },
    ]),
    0,
  );

describe('the picture of the lattice', () => {
  test('events are idempotent, and a heartbeat that disagrees is noticed', () => {
    let changes = 0;
    const state = new LatticeState(() => {
      changes += 1;
    });
    state.applyInventory(inventory('N1', { actors: [[{}, 1]] }));
    expect(changes).toBe(1);
    const started = cloudEvent('actor_started', 'N1', {
      public_key: ACTOR_KEY,
      instance_id: 'new',
      annotations: managedAnnotations('shop', 'S1'),
    });
    expect(state.applyEvent(started)).toBe(true);
    expect(state.applyEvent(started)).toBe(false);
    expect(state.countActors('N1', 'S1')).toBe(1);
    expect(changes).toBe(2);
    const heartbeat = {
      actors: [
        { public_key: ACTOR_KEY, instance_id: 'x' },
        { public_key: ACTOR_KEY, instance_id: 'new' },
      ],
      providers: [],
    };
    expect(state.agreesWithHeartbeat('N1', heartbeat)).toBe(true);
    expect(state.agreesWithHeartbeat('N1', { actors: { [ACTOR_KEY]: 3 }, providers: [] })).toBe(false);
    expect(
      state.agreesWithHeartbeat('N1', {
        actors: { [ACTOR_KEY]: 2 },
        providers: [{ public_key: PROVIDER_KEY, link_name: 'default' }],
      }),
    ).toBe(false);
    state.applyEvent(cloudEvent('actor_stopped', 'N1', { public_key: ACTOR_KEY, instance_id: 'new' }));
    expect(state.countActors('N1', 'S1')).toBe(0);
    // Events of a host the picture does not hold change nothing (the watcher reads it first).
    expect(state.applyEvent({ ...started, source: 'N9' })).toBe(false);
  });
});

describe('actor scalers', () => {
  test('a spread of 6 by weights 2:1: 4 on the east host, 1 on each west host', () => {
    const state = picture({
      E: { labels: { zone: 'east' } },
      W1: { labels: { zone: 'west' } },
      W2: { labels: { zone: 'west' } },
    });
    const plan = echoSpread(6).plan({ state, failures: [] });
    expect(summary(plan.commands)).toEqual(['startActor E 4', 'startActor W1 1', 'startActor W2 1']);
    expect(plan.status).toEqual({ type: 'reconciling', message: 'starting 6 of 6 instances' });
  });

  test('instances started by hand are neither counted nor stopped', () => {
    const scaler = echoSpread(3);
    const east = managedAnnotations('shop', scaler.id, 'east');
    const west = managedAnnotations('shop', scaler.id, 'west');
    const state = picture({
      E: {
        labels: { zone: 'east' },
        actors: [
          [east, 2],
          [{}, 5],
        ],
      },
      W: {
        labels: { zone: 'west' },
        actors: [
          [west, 1],
          [{ 'wasmcloud.dev/appspec': 'shop' }, 3],
        ],
      },
    });
    const plan = scaler.plan({ state, failures: [] });
    expect(plan.commands).toEqual([]);
    expect(plan.status).toEqual({ type: 'deployed', message: '3 instances on 2 hosts' });
  });

  test('rebalancing onto a host that came back: the start first, the stop only after', () => {
    const scaler = echoSpread(3);
    const west = managedAnnotations('shop', scaler.id, 'west');
    const east = managedAnnotations('shop', scaler.id, 'east');
    const before = picture({
      E: { labels: { zone: 'east' }, actors: [[east, 2]] },
      W1: { labels: { zone: 'west' }, actors: [[west, 1]] },
      W2: { labels: { zone: 'west' } },
    });
    expect(summary(scaler.plan({ state: before, failures: [] }).commands)).toEqual([]);
    const tooMany = picture({
      E: { labels: { zone: 'east' }, actors: [[east, 2]] },
      W1: { labels: { zone: 'west' }, actors: [[west, 2]] },
      W2: { labels: { zone: 'west' } },
    });
    // West wants 1: W1 (running most) keeps it, W2 gets none; W1's second one goes.
    const stop = scaler.plan({ state: tooMany, failures: [] }).commands;
    expect(summary(stop)).toEqual(['stopActor W1 1']);
    expect(stop[0]).toMatchObject({ kind: 'stopActor', actorKey: ACTOR_KEY, annotations: west });

    const sixScaler = echoSpread(6);
    const w = managedAnnotations('shop', sixScaler.id, 'west');
    const e = managedAnnotations('shop', sixScaler.id, 'east');
    const backEmpty = picture({
      E: { labels: { zone: 'east' }, actors: [[e, 4]] },
      W1: { labels: { zone: 'west' }, actors: [[w, 2]] },
      W2: { labels: { zone: 'west' } },
    });
    expect(summary(sixScaler.plan({ state: backEmpty, failures: [] }).commands)).toEqual(['startActor W2 1']);
    const filled = picture({
      E: { labels: { zone: 'east' }, actors: [[e, 4]] },
      W1: { labels: { zone: 'west' }, actors: [[w, 2]] },
      W2: { labels: { zone: 'west' }, actors: [[w, 1]] },
    });
    expect(summary(sixScaler.plan({ state: filled, failures: [] }).commands)).toEqual(['stopActor W1 1']);
  });

  test('a spread no host satisfies fails with the requirement in words; the rest is still placed', () => {
    const state = picture({ W: { labels: { zone: 'west' } } });
    const plan = echoSpread(6).plan({ state, failures: [] });
    expect(summary(plan.commands)).toEqual(['startActor W 2']);
    expect(plan.status).toEqual({
      type: 'failed',
      message: 'no host satisfies zone=east (spread east: 4 instances)',
    });
  });

  test('a daemonscaler runs its instances on every matching host', () => {
    const scaler = new ActorScaler(
      'shop',
      actor('echo', 'echo.wasm', []),
      daemonscaler(2, [{ name: 'web', requirements: { tier: 'web' }, weight: 100 }]),
      0,
    );
    const state = picture({
      A: { labels: { tier: 'web' } },
      B: { labels: { tier: 'db' } },
      C: { labels: { tier: 'web' } },
    });
    expect(summary(scaler.plan({ state, failures: [] }).commands)).toEqual([
      'startActor A 2',
      'startActor C 2',
    ]);
    const none = picture({ B: { labels: { tier: 'db' } } });
    expect(scaler.plan({ state: none, failures: [] }).status).toEqual({
      type: 'failed',
      message: 'no host satisfies tier=web',
    });
  });
});

describe('autoscaler', () => {
  const rounds: LoadRound[] = [];
  const autoscaled = () =>
    new AutoScaler(
      'shop',
      actor('echo', 'echo.wasm', []),
      { type: 'autoscaler', min: 0, max: 3, targetConcurrency: 2, scaleDownDelayMs: 5000, spread: [] },
      0,
      () => rounds,
    );
  const round = (at: number, inFlight: Record<string, number>, callsTotal = 0): LoadRound => ({
    serial: rounds.length + 1,
    at,
    hosts: new Map(
      Object.entries(inFlight).map(([hostId, in_flight]) => [
        hostId,
        {
          host_id: hostId,
          actors: [
            {
              id: ACTOR_KEY,
              instances: 1,
              in_flight,
              queued: 0,
              max_concurrency: 1,
              calls_total: callsTotal,
              last_call_at: 0,
              scaled_to_zero: false,
            },
          ],
        },
      ]),
    ),
  });

  test('one instance to begin with; up to max over the hosts with demand; to zero when idle', () => {
    const scaler = autoscaled();
    const annotations = managedAnnotations('shop', scaler.id, 'default');
    const start = scaler.plan({ state: picture({ A: {}, B: {} }), failures: [] });
    expect(summary(start.commands)).toEqual(['startActor A 1']);
    expect(start.status).toEqual({ type: 'reconciling', message: 'starting 1 of 1 instance' });

    const running = picture({ A: { actors: [[annotations, 1]] }, B: {} });
    expect(scaler.hostsOfInterest(running)).toEqual(['A', 'B']);
    const now = Date.now();
    for (let index = 0; index < 3; index++) rounds.push(round(now + index * 1000, { A: 9 }, index));
    const up = scaler.plan({ state: running, failures: [] });
    // p50 9 in flight at 2 per instance asks for 5: max is 3, split over A and B.
    expect(summary(up.commands)).toEqual(['startActor A 1', 'startActor B 1']);
    expect(up.status.message).toBe(
      'p50 in-flight 9/instance > 2: 1 → 3 instances; starting 2 of 3 instances',
    );

    const three = picture({ A: { actors: [[annotations, 2]] }, B: { actors: [[annotations, 1]] } });
    expect(scaler.plan({ state: three, failures: [] }).status).toEqual({
      type: 'deployed',
      message: '3 instances on 2 hosts (autoscaled 0–3; p50 in-flight 9/instance > 2: 1 → 3 instances)',
    });
    // No call for the delay: scale to zero on every host that runs some.
    for (let index = 0; index < 8; index++)
      rounds.push(round(now + 10_000 + index * 1000, { A: 0, B: 0 }, 2));
    const down = scaler.plan({ state: three, failures: [] });
    expect(summary(down.commands)).toEqual(['scaleToZero A', 'scaleToZero B']);
    expect(down.commands[0]).toMatchObject({ actorKey: ACTOR_KEY, image: 'echo.wasm', annotations });
    expect(down.status.message).toBe('idle 5 s: scaled to zero; scaling to zero on 2 hosts');
    expect(scaler.plan({ state: picture({ A: {}, B: {} }), failures: [] }).status).toEqual({
      type: 'deployed',
      message: '0 instances, scaled to zero (autoscaled 0–3; idle 5 s: scaled to zero)',
    });
    // A host that keeps the actor dormant wakes it for a call, with the scaler's annotations:
    // the instance is kept (one instance, as after a call), not scaled to zero again.
    const woken = scaler.plan({ state: picture({ A: { actors: [[annotations, 1]] }, B: {} }), failures: [] });
    expect(woken.commands).toEqual([]);
    expect(woken.status).toEqual({
      type: 'deployed',
      message: '1 instance on 1 host (autoscaled 0–3; woken by a call while scaled to zero: 0 → 1 instance)',
    });
  });
});

test('an autoscaled actor at zero keeps its link (the key it had)', () => {
  const autoscaler = {
    type: 'autoscaler' as const,
    min: 0,
    max: 2,
    targetConcurrency: 1,
    scaleDownDelayMs: 1000,
    spread: [],
  };
  const linkTo = [{ target: 'http', contract: 'wasmcloud:httpserver', linkName: 'default', values: {} }];
  const scalers = buildAppScalers(
    app('site', 'v1', [
      actor('echo', 'echo.wasm', [autoscaler], linkTo),
      provider('http', 'http.par.gz', 'wasmcloud:httpserver', [daemonscaler(1)]),
    ]),
  );
  const [echo, http] = scalers.workloads;
  const [link] = scalers.links;
  if (echo === undefined || http === undefined || link === undefined)
    throw new Error('three scalers expected');
  const providers = [{ annotations: managedAnnotations('site', http.id) }];
  const running = picture({
    A: { actors: [[managedAnnotations('site', echo.id, 'default'), 1]], providers },
  });
  echo.plan({ state: running, failures: [] });
  const atZero = picture({ A: { providers } });
  expect(link.desiredLinks(atZero).map((held) => held.actor_id)).toEqual([ACTOR_KEY]);
  expect(link.plan({ state: atZero, failures: [] }).status.type).not.toBe('failed');
  expect(summary(link.plan({ state: atZero, failures: [] }).commands)).toEqual([
    `putLink ${ACTOR_KEY} ${PROVIDER_KEY}`,
  ]);
});

describe('provider scalers and links', () => {
  const manifest = app('site', 'v1', [
    actor(
      'echo',
      'echo.wasm',
      [spreadscaler(1)],
      [{ target: 'http', contract: 'wasmcloud:httpserver', linkName: 'default', values: { PORT: '8080' } }],
    ),
    provider('http', 'http.par.gz', 'wasmcloud:httpserver', [daemonscaler(1)]),
  ]);
  const scalers = buildAppScalers(manifest);
  const [echo, http] = scalers.workloads;
  const [link] = scalers.links;
  if (echo === undefined || http === undefined || link === undefined)
    throw new Error('three scalers expected');

  test('a host that runs the same image started by someone else is left alone and named', () => {
    const state = picture({ A: {}, B: { providers: [{ annotations: {} }] } });
    const plan = http.plan({ state, failures: [] });
    expect(summary(plan.commands)).toEqual(['startProvider A']);
    expect(plan.status.message).toContain('1 host already run http.par.gz, started by someone else');
  });

  test('an older version of the same app on the host is replaced (stopped, then started)', () => {
    const older = managedAnnotations('site', 'ProviderDaemonScaler-older');
    const state = picture({ A: { providers: [{ annotations: older }] } });
    const plan = http.plan({ state, failures: [] });
    expect(plan.commands).toEqual([
      expect.objectContaining({ kind: 'stopProvider', hostId: 'A', annotations: older }),
    ]);
  });

  test('the link waits for both ends, then names their keys', () => {
    const empty = picture({ A: {} });
    expect(link.plan({ state: empty, failures: [] }).status.message).toBe(
      'waiting for echo and http to run before linking them',
    );
    const running = picture({
      A: {
        actors: [[managedAnnotations('site', echo.id, 'default'), 1]],
        providers: [{ annotations: managedAnnotations('site', http.id) }],
      },
    });
    const plan = link.plan({ state: running, failures: [] });
    expect(summary(plan.commands)).toEqual([`putLink ${ACTOR_KEY} ${PROVIDER_KEY}`]);
    expect(plan.commands[0]).toMatchObject({
      link: { contract_id: 'wasmcloud:httpserver', values: { PORT: '8080' } },
    });
  });

  test("undeploy takes down exactly the app's instances, providers and links", () => {
    const state = picture({
      A: {
        actors: [
          [managedAnnotations('site', echo.id, 'default'), 2],
          [managedAnnotations('other', 'X'), 1],
          [{}, 1],
        ],
        providers: [{ annotations: managedAnnotations('site', http.id) }],
      },
    });
    const wanted = link.desiredLinks(state);
    state.setLinks(wanted);
    const commands = planCleanup({
      appName: 'site',
      state,
      currentScalers: undefined,
      linksWanted: wanted,
      wantedLinkIds: new Set(),
    });
    expect(summary(commands)).toEqual([`deleteLink ${ACTOR_KEY}`, 'stopActor A 2', 'stopProvider A']);
    // A finished roll-over: the current scalers' instances stay, and so does a link still wanted;
    // one no longer wanted goes.
    const ids = new Set(
      wanted.map((held) => linkDefinitionId(held.actor_id, held.contract_id, held.link_name)),
    );
    const cleanup = (wantedLinkIds: Set<string>) =>
      planCleanup({
        appName: 'site',
        state,
        currentScalers: scalers.ids,
        linksWanted: wanted,
        wantedLinkIds,
      });
    expect(cleanup(ids)).toEqual([]);
    expect(summary(cleanup(new Set()))).toEqual([`deleteLink ${ACTOR_KEY}`]);
  });
});
