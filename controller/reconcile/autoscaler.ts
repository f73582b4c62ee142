// The `autoscaler` trait's scaler: an actor's instances between `min` and `max`, as many as its
// calls ask for (autoscale-decision.ts decides from the rounds load-poller.ts gathers), placed
// over the spreads exactly as a spreadscaler places a fixed count (actor-scaler.ts placeActors).
// Going to zero sends `scale` with `scale_to_zero: true`, so hosts that can keep the actor dormant
// do. Unlike the other scalers it has state: the decision and the last round it read, kept while
// the application's manifest stays the same (a new version starts again from what runs).

import type { ActorComponent, AutoscalerSpec } from '../manifest/types.ts';
import { placeActors } from './actor-scaler.ts';
import { scalerId } from './annotations.ts';
import { AutoscaleDecision, type DemandSample } from './autoscale-decision.ts';
import type { Command, ScaleToZeroCommand } from './commands.ts';
import type { LatticeState } from './lattice-state.ts';
import type { LoadRound } from './load-poller.ts';
import { type PlanContext, plural, type Scaler, type ScalerPlan, scalerStatus } from './scaler.ts';
import { DEFAULT_SPREAD, satisfies } from './spread.ts';

export class AutoScaler implements Scaler {
  readonly id: string;
  readonly kind = 'AutoScaler';
  readonly name: string;
  readonly #appName: string;
  readonly #component: ActorComponent;
  readonly #spec: AutoscalerSpec;
  readonly #rounds: () => readonly LoadRound[];
  /** Actor keys its instances have had: their load is its load, even once none runs. */
  readonly #keys = new Set<string>();
  /** calls_total per host and actor key at the last round read: a change is a call. */
  readonly #callsSeen = new Map<string, number>();
  #decision: AutoscaleDecision | undefined;
  #lastSerial = 0;
  /** Set once no instance ran at a target of zero: an instance after that was woken by a host. */
  #atZero = false;

  constructor(
    appName: string,
    component: ActorComponent,
    spec: AutoscalerSpec,
    index: number,
    rounds: () => readonly LoadRound[],
  ) {
    this.id = scalerId('AutoScaler', [appName, component.name, component.image, index]);
    this.name = component.name;
    this.#appName = appName;
    this.#component = component;
    this.#spec = spec;
    this.#rounds = rounds;
  }

  /** Actor keys its instances have had (its links keep naming them while it is at zero). */
  knownKeys(): ReadonlySet<string> {
    return this.#keys;
  }

  /** Hosts whose load matters: those running its instances and those its spreads admit. */
  hostsOfInterest(state: LatticeState): string[] {
    const spreads = this.#spec.spread.length > 0 ? this.#spec.spread : [DEFAULT_SPREAD];
    return state
      .syncedHosts()
      .filter(
        (host) =>
          spreads.some((spread) => satisfies(host.labels, spread.requirements)) ||
          [...host.actors.values()].some((instance) => instance.managed?.scaler === this.id),
      )
      .map((host) => host.id);
  }

  plan({ state, failures }: PlanContext): ScalerPlan {
    const decision = this.#decide(state);
    const target = decision.target;
    const placement = placeActors({
      appName: this.#appName,
      component: this.#component,
      scalerId: this.id,
      bySpread: true,
      instances: target,
      spreads: this.#spec.spread,
      state,
    });
    const commands: Command[] =
      target === 0 ? placement.commands.map((stop) => this.#toZero(stop)) : placement.commands;
    const { missing, excess, total, hostsUsed } = placement;
    const reason = decision.reason;
    const why = reason === undefined ? '' : `${reason}; `;
    const bounds = `autoscaled ${this.#spec.min}–${this.#spec.max}`;
    return {
      commands,
      status: scalerStatus({
        unsatisfiable: placement.unsatisfiable,
        failures,
        pending: commands.length > 0,
        progress:
          target === 0
            ? `${why}scaling to zero on ${plural(commands.length, 'host')}`
            : missing > 0
              ? `${why}starting ${missing} of ${plural(total, 'instance')}`
              : `${why}stopping ${plural(excess, 'instance')} no longer wanted`,
        done:
          target === 0
            ? `0 instances, scaled to zero (${bounds}${reason === undefined ? '' : `; ${reason}`})`
            : `${plural(total, 'instance')} on ${plural(hostsUsed, 'host')} (${bounds}${reason === undefined ? '' : `; ${reason}`})`,
      }),
    };
  }

  /** The decision, brought up to date with the rounds not read yet. */
  #decide(state: LatticeState): AutoscaleDecision {
    let running = 0;
    for (const host of state.syncedHosts())
      for (const instance of host.actors.values())
        if (instance.managed?.scaler === this.id) {
          running += 1;
          this.#keys.add(instance.actorKey);
        }
    const now = Date.now();
    this.#decision ??= new AutoscaleDecision(this.#spec, running, now);
    for (const round of this.#rounds()) {
      if (round.serial <= this.#lastSerial) continue;
      this.#lastSerial = round.serial;
      const sample = this.#sample(round);
      if (sample !== undefined) this.#decision.observe(sample);
    }
    if (this.#decision.target > 0) this.#atZero = false;
    else if (running === 0) this.#atZero = true;
    else if (this.#atZero) {
      // A host that keeps the actor dormant starts an instance for a call, with the annotations
      // of the scale that put it to sleep: it is this scaler's, and it is wanted.
      this.#atZero = false;
      this.#decision.woken(now);
    }
    return this.#decision;
  }

  /** The demand of its actor keys in one round; undefined when no host answered. */
  #sample(round: LoadRound): DemandSample | undefined {
    if (round.hosts.size === 0) return undefined;
    let demand = 0;
    let active = false;
    for (const [hostId, load] of round.hosts)
      for (const actor of load.actors) {
        if (!this.#keys.has(actor.id)) continue;
        demand += actor.in_flight + actor.queued;
        const key = `${hostId}\n${actor.id}`;
        const seen = this.#callsSeen.get(key);
        if (seen !== undefined && seen !== actor.calls_total) active = true;
        this.#callsSeen.set(key, actor.calls_total);
      }
    return { at: round.at, demand, active: active || demand > 0 };
  }

  #toZero(stop: Command): ScaleToZeroCommand | Command {
    if (stop.kind !== 'stopActor') return stop;
    return {
      kind: 'scaleToZero',
      hostId: stop.hostId,
      actorKey: stop.actorKey,
      image: this.#component.image,
      annotations: stop.annotations,
      expected: { scaler: stop.expected.scaler, spread: stop.expected.spread },
    };
  }
}
