// The scalers of a provider component. A host runs at most one provider per key and link name, so a
// provider's unit is a host: `daemonscaler` wants it on every host that satisfies one of its spreads,
// `spreadscaler` on `instances` hosts split over its spreads by weight (hosts already running it
// first, then by host id). Providers start with the component's link name and config (the `lp`
// command's `link_name` and `configuration`) and this scaler's annotations.
//
// A host that already runs the same image under the same link name, not started by this scaler, is
// a conflict: the host would take a second start as a no-op. When that provider is one this
// application started under an older scaler (a new version changed the provider's config or image,
// same key), it is stopped first and this scaler's started after: there cannot be two on one host.
// When someone else started it, this scaler leaves it alone, places elsewhere, and says so.

import type { ProviderComponent, ScalerSpec } from '../manifest/types.ts';
import { managedAnnotations, scalerId } from './annotations.ts';
import type { Command, StartProviderCommand, StopProviderCommand } from './commands.ts';
import type { HostState, ProviderState } from './lattice-state.ts';
import { type PlanContext, plural, type Scaler, type ScalerPlan, scalerStatus } from './scaler.ts';
import { compareText, computeSpreadShares, daemonHosts, describeRequirements, satisfies } from './spread.ts';

/** The host's refusal of a second provider with the same key and link name. */
const ALREADY_RUNNING = /already running/i;

export class ProviderScaler implements Scaler {
  readonly id: string;
  readonly kind: 'ProviderSpreadScaler' | 'ProviderDaemonScaler';
  readonly name: string;
  readonly #appName: string;
  readonly #component: ProviderComponent;
  readonly #spec: ScalerSpec;

  constructor(appName: string, component: ProviderComponent, spec: ScalerSpec, index: number) {
    this.kind = spec.type === 'spreadscaler' ? 'ProviderSpreadScaler' : 'ProviderDaemonScaler';
    const { name, image, linkName, config, contract } = component;
    this.id = scalerId(this.kind, [appName, name, image, linkName, contract, config ?? null, index]);
    this.name = name;
    this.#appName = appName;
    this.#component = component;
    this.#spec = spec;
  }

  plan({ state, failures }: PlanContext): ScalerPlan {
    const hosts = state.syncedHosts();
    const ours = new Map<string, ProviderState>();
    for (const host of hosts)
      for (const provider of host.providers.values())
        if (provider.managed?.scaler === this.id) ours.set(host.id, provider);
    const knownKey = [...ours.values()][0]?.key;
    // Hosts that refused our start as "already running": a provider with our (unknown) key is there.
    const refusedOn = new Set(
      failures.filter((failure) => ALREADY_RUNNING.test(failure.reason)).map((failure) => failure.hostId),
    );
    const conflictOn = (host: HostState): ProviderState | undefined => {
      if (ours.has(host.id)) return undefined;
      for (const provider of host.providers.values()) {
        if (provider.managed?.scaler === this.id || provider.linkName !== this.#component.linkName) continue;
        const sameImage = provider.imageRef === this.#component.image;
        const sameKey = provider.key === knownKey;
        const ourOlder = this.#isOurOlder(provider) && refusedOn.has(host.id);
        if (sameImage || sameKey || ourOlder) return provider;
      }
      return undefined;
    };
    const blocked = (host: HostState) => {
      const conflict = conflictOn(host);
      return conflict !== undefined && !this.#isOurOlder(conflict);
    };

    const unsatisfiable: string[] = [];
    const wanted = this.#chooseHosts(hosts, ours, blocked, unsatisfiable);
    const starts: Command[] = [];
    for (const [hostId, spread] of wanted) {
      if (ours.has(hostId)) continue;
      const host = state.host(hostId);
      const conflict = host === undefined ? undefined : conflictOn(host);
      if (conflict !== undefined) starts.push(this.#stopCommand(hostId, conflict));
      else starts.push(this.#startCommand(hostId, spread));
    }
    const stops =
      starts.length > 0
        ? []
        : [...ours]
            .filter(([hostId]) => !wanted.has(hostId))
            .map(([hostId, provider]) => this.#stopCommand(hostId, provider));
    const commands = starts.length > 0 ? starts : stops;
    const missing = [...wanted.keys()].filter((hostId) => !ours.has(hostId)).length;
    return {
      commands,
      status: scalerStatus({
        unsatisfiable,
        failures,
        pending: commands.length > 0,
        progress:
          missing > 0
            ? `starting ${this.#component.image} on ${missing} of ${plural(wanted.size, 'host')}`
            : `stopping ${this.#component.image} on ${plural(stops.length, 'host')} no longer wanted`,
        done: `running on ${plural(wanted.size, 'host')}`,
      }),
    };
  }

  #isOurOlder(provider: ProviderState): boolean {
    return (
      provider.managed !== undefined &&
      provider.managed.app === this.#appName &&
      provider.managed.scaler !== this.id &&
      provider.linkName === this.#component.linkName &&
      (provider.contractId === '' || provider.contractId === this.#component.contract)
    );
  }

  /** The hosts that should run this provider, each with the spread it is there for. */
  #chooseHosts(
    hosts: readonly HostState[],
    ours: ReadonlyMap<string, ProviderState>,
    blocked: (host: HostState) => boolean,
    unsatisfiable: string[],
  ): Map<string, string | undefined> {
    const wanted = new Map<string, string | undefined>();
    const { instances, spread: spreads } = this.#spec;
    const image = this.#component.image;
    const blockedCount = (eligible: readonly HostState[]) => eligible.filter(blocked).length;
    const alsoBlocked = (eligible: readonly HostState[]) => {
      const count = blockedCount(eligible);
      return count === 0 ? '' : ` (${plural(count, 'host')} already run ${image}, started by someone else)`;
    };
    if (this.#spec.type === 'daemonscaler') {
      if (instances === 0) return wanted;
      const { eligible, unsatisfied } = daemonHosts(hosts, spreads);
      if (unsatisfied !== undefined) {
        unsatisfiable.push(unsatisfied);
      } else if (blockedCount(eligible) > 0) {
        unsatisfiable.push(`not started on every host${alsoBlocked(eligible)}`);
      }
      for (const host of eligible) if (!blocked(host)) wanted.set(host.id, undefined);
      return wanted;
    }
    for (const { spread, count } of computeSpreadShares(instances, spreads)) {
      if (count === 0) continue;
      const eligible = hosts.filter(
        (host) => !wanted.has(host.id) && satisfies(host.labels, spread.requirements),
      );
      const usable = eligible
        .filter((host) => !blocked(host))
        .sort((a, b) => Number(ours.has(b.id)) - Number(ours.has(a.id)) || compareText(a.id, b.id));
      for (const host of usable.slice(0, count))
        wanted.set(host.id, spreads.length > 0 ? spread.name : undefined);
      if (usable.length < count) {
        const which = spreads.length > 1 ? `spread ${spread.name} ` : '';
        unsatisfiable.push(
          `${which}wants ${plural(count, 'host')} satisfying ${describeRequirements(spread.requirements)}, ${usable.length} available${alsoBlocked(eligible)}`,
        );
      }
    }
    return wanted;
  }

  #startCommand(hostId: string, spread: string | undefined): StartProviderCommand {
    return {
      kind: 'startProvider',
      hostId,
      image: this.#component.image,
      linkName: this.#component.linkName,
      config: this.#component.config,
      annotations: managedAnnotations(this.#appName, this.id, spread),
      scaler: this.id,
    };
  }

  #stopCommand(hostId: string, provider: ProviderState): StopProviderCommand {
    return {
      kind: 'stopProvider',
      hostId,
      providerKey: provider.key,
      linkName: provider.linkName,
      contractId: provider.contractId || this.#component.contract,
      annotations: provider.annotations,
    };
  }
}
