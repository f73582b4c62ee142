// The link scaler of one `linkdef` / `link` trait: the link definition from the actor component to
// the provider component it targets, put when missing or different and left alone when it matches.
// A 2022 link names both ends by public key, which a manifest does not give: the keys are read from
// what this application's scalers run (the `public_key` of actor instances and providers carrying
// their scaler ids, from inventories and actor_started / provider_started events). So a link is
// put once both ends run somewhere, and follows them when a new version brings new keys. (The
// alternative, the lattice's claims list, names keys but not which image holds them.)

import type { LinkDefinition } from '../../lattice/link-definition.ts';
import type { ActorComponent, LinkSpec } from '../manifest/types.ts';
import { scalerId } from './annotations.ts';
import type { PutLinkCommand } from './commands.ts';
import { type LatticeState, sameLink } from './lattice-state.ts';
import { type PlanContext, type Scaler, type ScalerPlan, scalerStatus } from './scaler.ts';
import { compareText } from './spread.ts';

export class LinkScaler implements Scaler {
  readonly id: string;
  readonly kind = 'LinkScaler';
  readonly name: string;
  readonly #source: ActorComponent;
  readonly #link: LinkSpec;
  readonly #sourceScalers: ReadonlySet<string>;
  readonly #targetScalers: ReadonlySet<string>;
  readonly #knownSourceKeys: () => Iterable<string>;

  /**
   * `sourceScalers` / `targetScalers`: the ids of the scalers that run the actor and the provider.
   * `knownSourceKeys`: actor keys the source had even if none runs now (an autoscaled actor at
   * zero keeps its link, so its next instance, or the host keeping it dormant, still has it).
   */
  constructor(
    appName: string,
    source: ActorComponent,
    link: LinkSpec,
    sourceScalers: ReadonlySet<string>,
    targetScalers: ReadonlySet<string>,
    knownSourceKeys: () => Iterable<string> = () => [],
  ) {
    const values = Object.entries(link.values).sort(([a], [b]) => compareText(a, b));
    this.id = scalerId(this.kind, [appName, source.name, link.target, link.contract, link.linkName, values]);
    this.name = `${source.name} -> ${link.target} (${link.contract}, link ${link.linkName})`;
    this.#source = source;
    this.#link = link;
    this.#sourceScalers = sourceScalers;
    this.#targetScalers = targetScalers;
    this.#knownSourceKeys = knownSourceKeys;
  }

  /** The links this scaler wants now: one per actor key its source runs under (usually one). */
  desiredLinks(state: LatticeState): LinkDefinition[] {
    const actorKeys = new Set<string>(this.#knownSourceKeys());
    const providerKeys = new Set<string>();
    for (const host of state.syncedHosts()) {
      for (const instance of host.actors.values())
        if (instance.managed !== undefined && this.#sourceScalers.has(instance.managed.scaler))
          actorKeys.add(instance.actorKey);
      for (const provider of host.providers.values())
        if (provider.managed !== undefined && this.#targetScalers.has(provider.managed.scaler))
          providerKeys.add(provider.key);
    }
    // Two keys for one provider component would be two images signed by different keys under one
    // scaler set; the link can name only one, and the first in key order is stable.
    const providerKey = [...providerKeys].sort(compareText)[0];
    if (providerKey === undefined) return [];
    return [...actorKeys].sort(compareText).map((actorKey) => ({
      actor_id: actorKey,
      provider_id: providerKey,
      contract_id: this.#link.contract,
      link_name: this.#link.linkName,
      values: { ...this.#link.values },
    }));
  }

  plan({ state, failures }: PlanContext): ScalerPlan {
    const desired = this.desiredLinks(state);
    const commands: PutLinkCommand[] = desired
      .filter((link) => {
        const held = state.link(link.actor_id, link.contract_id, link.link_name);
        return held === undefined || !sameLink(held, link);
      })
      .map((link) => ({ kind: 'putLink', link }));
    if (desired.length === 0) {
      return {
        commands,
        status: {
          type: 'reconciling',
          message: `waiting for ${this.#source.name} and ${this.#link.target} to run before linking them`,
        },
      };
    }
    return {
      commands,
      status: scalerStatus({
        unsatisfiable: [],
        failures,
        pending: commands.length > 0,
        progress: `putting the link from ${this.#source.name} to ${this.#link.target}`,
        done: '',
      }),
    };
  }
}
