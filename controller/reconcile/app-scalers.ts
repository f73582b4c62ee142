// One application's scalers, made from its manifest: per component, one scaler per scaler trait
// (actor-scaler.ts, autoscaler.ts, provider-scaler.ts), and per link trait a link scaler (link-scaler.ts) that
// knows which scalers run its two ends. Building is pure: the same manifest always gives the same
// ids, so a manifest handed over again (setDesired is called on every store change) changes
// nothing, and a new version shares the ids of every scaler whose component did not change.

import type { ActorComponent, ActorScalerSpec, AppManifest } from '../manifest/types.ts';
import { ActorScaler } from './actor-scaler.ts';
import { AutoScaler } from './autoscaler.ts';
import { LinkScaler } from './link-scaler.ts';
import type { LoadRound } from './load-poller.ts';
import { ProviderScaler } from './provider-scaler.ts';
import type { Scaler } from './scaler.ts';

export interface AppScalers {
  manifest: AppManifest;
  /** Scalers that run instances (actors and providers). */
  workloads: Scaler[];
  links: LinkScaler[];
  /** Every scaler's id: what this version started carries one of them. */
  ids: ReadonlySet<string>;
}

function actorScaler(
  appName: string,
  component: ActorComponent,
  spec: ActorScalerSpec,
  index: number,
  loadRounds: () => readonly LoadRound[],
): Scaler {
  return spec.type === 'autoscaler'
    ? new AutoScaler(appName, component, spec, index, loadRounds)
    : new ActorScaler(appName, component, spec, index);
}

/** `loadRounds`: the hosts' load as load-poller.ts gathers it, for autoscalers. */
export function buildAppScalers(
  manifest: AppManifest,
  loadRounds: () => readonly LoadRound[] = () => [],
): AppScalers {
  const workloads: Scaler[] = [];
  const scalersOf = new Map<string, Set<string>>();
  const autoscalersOf = new Map<string, AutoScaler[]>();
  for (const component of manifest.components) {
    const ids = new Set<string>();
    const made =
      component.kind === 'actor'
        ? component.scalers.map((spec, index) =>
            actorScaler(manifest.name, component, spec, index, loadRounds),
          )
        : component.scalers.map((spec, index) => new ProviderScaler(manifest.name, component, spec, index));
    for (const scaler of made) {
      workloads.push(scaler);
      ids.add(scaler.id);
    }
    scalersOf.set(component.name, ids);
    autoscalersOf.set(
      component.name,
      made.filter((scaler) => scaler instanceof AutoScaler),
    );
  }
  const links: LinkScaler[] = [];
  for (const component of manifest.components) {
    if (component.kind !== 'actor') continue;
    for (const link of component.links) {
      const sources = scalersOf.get(component.name) ?? new Set<string>();
      const targets = scalersOf.get(link.target) ?? new Set<string>();
      const autoscalers = autoscalersOf.get(component.name) ?? [];
      const knownKeys = () => autoscalers.flatMap((scaler) => [...scaler.knownKeys()]);
      links.push(new LinkScaler(manifest.name, component, link, sources, targets, knownKeys));
    }
  }
  const ids = new Set([...workloads, ...links].map((scaler) => scaler.id));
  return { manifest, workloads, links, ids };
}
