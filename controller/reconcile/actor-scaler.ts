// The scalers of an actor component: `spreadscaler` (a total split over spreads by weight, each
// spread's share split evenly over the hosts that satisfy its requirements) and `daemonscaler`
// (`instances` on every host that satisfies one of its spreads). Both work out a wish per host (and
// per spread), compare it with the instances this scaler started there, and send the difference:
// starts first, and stops only once nothing is missing, so moving instances (a host came back, a
// rebalance) never leaves fewer running than asked for. Only instances carrying this scaler's id
// are counted or stopped; stops name them by their own annotations and never ask for more than
// this scaler started on that host. The placement (placeActors) is shared with the autoscaler,
// which places the count it decides as a spreadscaler places its fixed one.

import type { ActorComponent, ScalerSpec, Spread } from '../manifest/types.ts';
import { managedAnnotations, scalerId } from './annotations.ts';
import type { StartActorCommand, StopActorCommand } from './commands.ts';
import type { HostState } from './lattice-state.ts';
import { type PlanContext, plural, type Scaler, type ScalerPlan, scalerStatus } from './scaler.ts';
import {
  compareText,
  computeSpreadShares,
  daemonHosts,
  describeRequirements,
  evenSplit,
  satisfies,
} from './spread.ts';

/** Instances of this scaler on one host for one spread ('' for a daemonscaler). */
interface Slot {
  hostId: string;
  spread: string;
  wanted: number;
  /** By actor key: how many run, and the annotations they carry. */
  running: Map<string, { count: number; annotations: Record<string, string> }>;
}

function slotKey(hostId: string, spread: string): string {
  return `${hostId}\n${spread}`;
}

function runningCount(slot: Slot): number {
  let count = 0;
  for (const group of slot.running.values()) count += group.count;
  return count;
}

/** What an actor placement needs: whose instances, how many, over which spreads. */
export interface ActorPlacementInput {
  appName: string;
  component: ActorComponent;
  /** The scaler whose instances these are (their `wasmcloud.dev/scaler` annotation). */
  scalerId: string;
  /** A spreadscaler's total split over `spreads`; else (daemonscaler) `instances` on each host. */
  bySpread: boolean;
  instances: number;
  spreads: readonly Spread[];
  state: PlanContext['state'];
}

/** The commands that bring one scaler's instances to the placement wished, and what they do. */
export interface ActorPlacement {
  /** Starts when some are missing, else stops of those no longer wanted (never both at once). */
  commands: (StartActorCommand | StopActorCommand)[];
  unsatisfiable: string[];
  /** Instances wished in total, missing, and running beyond the wish. */
  total: number;
  missing: number;
  excess: number;
  hostsUsed: number;
}

/**
 * Works out a wish per host (and per spread), compares it with the instances this scaler started
 * there, and gives the difference: starts first, stops only once nothing is missing.
 */
export function placeActors(input: ActorPlacementInput): ActorPlacement {
  const { state, scalerId: id, bySpread } = input;
  const hosts = state.syncedHosts();
  const slots = new Map<string, Slot>();
  const slotOf = (hostId: string, spread: string): Slot => {
    const key = slotKey(hostId, spread);
    let slot = slots.get(key);
    if (slot === undefined) {
      slot = { hostId, spread, wanted: 0, running: new Map() };
      slots.set(key, slot);
    }
    return slot;
  };
  const unsatisfiable = placeWishes(input, hosts, slotOf, (hostId, spread) =>
    state.countActors(hostId, id, spread),
  );
  for (const host of hosts) {
    for (const instance of host.actors.values()) {
      if (instance.managed?.scaler !== id) continue;
      const slot = slotOf(host.id, bySpread ? (instance.managed.spread ?? '') : '');
      const group = slot.running.get(instance.actorKey);
      if (group === undefined)
        slot.running.set(instance.actorKey, { count: 1, annotations: instance.annotations });
      else group.count += 1;
    }
  }

  const ordered = [...slots.values()].sort(
    (a, b) => compareText(a.hostId, b.hostId) || compareText(a.spread, b.spread),
  );
  const starts = ordered.flatMap((slot) => startCommands(input, slot));
  const stops = starts.length > 0 ? [] : ordered.flatMap((slot) => stopCommands(input, slot));
  return {
    commands: starts.length > 0 ? starts : stops,
    unsatisfiable,
    total: ordered.reduce((sum, slot) => sum + slot.wanted, 0),
    missing: starts.reduce((sum, command) => sum + command.count, 0),
    excess: stops.reduce((sum, command) => sum + command.count, 0),
    hostsUsed: new Set(ordered.filter((slot) => slot.wanted > 0).map((slot) => slot.hostId)).size,
  };
}

/** Sets each slot's wish; returns why some instances have nowhere to go. */
function placeWishes(
  input: ActorPlacementInput,
  hosts: readonly HostState[],
  slotOf: (hostId: string, spread: string) => Slot,
  runningOn: (hostId: string, spread: string) => number,
): string[] {
  const unsatisfiable: string[] = [];
  const { instances, spreads } = input;
  if (input.bySpread) {
    for (const { spread, count } of computeSpreadShares(instances, spreads)) {
      const eligible = hosts
        .filter((host) => satisfies(host.labels, spread.requirements))
        .map((host) => host.id);
      if (eligible.length === 0) {
        if (count > 0)
          unsatisfiable.push(
            noHostFor(spread.requirements, count, spreads.length > 1 ? spread.name : undefined),
          );
        continue;
      }
      for (const [hostId, wanted] of evenSplit(count, eligible, (id) => runningOn(id, spread.name)))
        slotOf(hostId, spread.name).wanted = wanted;
    }
    return unsatisfiable;
  }
  const { eligible, unsatisfied } = daemonHosts(hosts, spreads);
  if (unsatisfied !== undefined && instances > 0) unsatisfiable.push(unsatisfied);
  for (const host of eligible) slotOf(host.id, '').wanted = instances;
  return unsatisfiable;
}

function startCommands(input: ActorPlacementInput, slot: Slot): StartActorCommand[] {
  const running = runningCount(slot);
  if (slot.wanted <= running) return [];
  const spread = input.bySpread ? slot.spread : undefined;
  return [
    {
      kind: 'startActor',
      hostId: slot.hostId,
      image: input.component.image,
      count: slot.wanted - running,
      annotations: managedAnnotations(input.appName, input.scalerId, spread),
      expected: { scaler: input.scalerId, spread, count: slot.wanted },
    },
  ];
}

function stopCommands(input: ActorPlacementInput, slot: Slot): StopActorCommand[] {
  let left = runningCount(slot);
  let excess = left - slot.wanted;
  const commands: StopActorCommand[] = [];
  const keys = [...slot.running.keys()].sort(compareText);
  for (const actorKey of keys) {
    const group = slot.running.get(actorKey);
    if (excess <= 0 || group === undefined) break;
    const count = Math.min(excess, group.count);
    excess -= count;
    left -= count;
    commands.push({
      kind: 'stopActor',
      hostId: slot.hostId,
      actorKey,
      count,
      annotations: group.annotations,
      expected: { scaler: input.scalerId, spread: input.bySpread ? slot.spread : undefined, count: left },
    });
  }
  return commands;
}

export class ActorScaler implements Scaler {
  readonly id: string;
  readonly kind: 'SpreadScaler' | 'DaemonScaler';
  readonly name: string;
  readonly #appName: string;
  readonly #component: ActorComponent;
  readonly #spec: ScalerSpec;

  /** `index` tells apart two scalers of the same type on one component. */
  constructor(appName: string, component: ActorComponent, spec: ScalerSpec, index: number) {
    this.kind = spec.type === 'spreadscaler' ? 'SpreadScaler' : 'DaemonScaler';
    this.id = scalerId(this.kind, [appName, component.name, component.image, index]);
    this.name = component.name;
    this.#appName = appName;
    this.#component = component;
    this.#spec = spec;
  }

  plan({ state, failures }: PlanContext): ScalerPlan {
    const placement = placeActors({
      appName: this.#appName,
      component: this.#component,
      scalerId: this.id,
      bySpread: this.#spec.type === 'spreadscaler',
      instances: this.#spec.instances,
      spreads: this.#spec.spread,
      state,
    });
    const { commands, total, missing, excess, hostsUsed } = placement;
    return {
      commands,
      status: scalerStatus({
        unsatisfiable: placement.unsatisfiable,
        failures,
        pending: commands.length > 0,
        progress:
          missing > 0
            ? `starting ${missing} of ${plural(total, 'instance')}`
            : `stopping ${plural(excess, 'instance')} no longer wanted`,
        done: `${plural(total, 'instance')} on ${plural(hostsUsed, 'host')}`,
      }),
    };
  }
}

/** "no host satisfies zone=us-east-1 (spread east: 4 instances)". */
function noHostFor(
  requirements: Record<string, string>,
  count: number,
  spreadName: string | undefined,
): string {
  const which = spreadName === undefined ? '' : `spread ${spreadName}: `;
  return `no host satisfies ${describeRequirements(requirements)} (${which}${plural(count, 'instance')})`;
}
