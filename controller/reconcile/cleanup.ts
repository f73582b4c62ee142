// Taking down what an application started and no longer wants: everything it started when it is
// undeployed (its name no longer among the desired apps), and, once a new version is fully deployed,
// what older versions' scalers started (their ids are not among the new version's). Only instances
// and providers whose annotations name this application are touched, each stop naming their own
// annotations, and only links this application wanted (links carry no annotations in 2022, so the
// reconciler records the links its link scalers wanted) that still point where it pointed them
// and that no deployed application wants now.

import { type LinkDefinition, linkDefinitionId } from '../../lattice/link-definition.ts';
import type { Command } from './commands.ts';
import type { LatticeState } from './lattice-state.ts';
import { compareText } from './spread.ts';

export interface CleanupInput {
  appName: string;
  state: LatticeState;
  /** The scaler ids of the deployed version; undefined when the application is not deployed. */
  currentScalers: ReadonlySet<string> | undefined;
  /** Links this application's link scalers wanted, now or before. */
  linksWanted: Iterable<LinkDefinition>;
  /** Link ids (linkDefinitionId) some deployed application wants now. */
  wantedLinkIds: ReadonlySet<string>;
}

/** Instances on one host of one actor key carrying the same annotations: one stop command. */
interface StaleActors {
  actorKey: string;
  scaler: string;
  annotations: Record<string, string>;
  count: number;
}

function annotationsKey(annotations: Record<string, string>): string {
  return JSON.stringify(Object.entries(annotations).sort(([a], [b]) => compareText(a, b)));
}

/** The commands that remove what `appName` started and no longer wants (empty when nothing is left). */
export function planCleanup(input: CleanupInput): Command[] {
  const { appName, state, currentScalers } = input;
  const unwanted = (mark: { app: string; scaler: string } | undefined) =>
    mark !== undefined && mark.app === appName && !currentScalers?.has(mark.scaler);
  const commands: Command[] = [];

  for (const link of input.linksWanted) {
    const id = linkDefinitionId(link.actor_id, link.contract_id, link.link_name);
    if (input.wantedLinkIds.has(id)) continue;
    const held = state.link(link.actor_id, link.contract_id, link.link_name);
    if (held === undefined || held.provider_id !== link.provider_id) continue;
    commands.push({
      kind: 'deleteLink',
      actorId: link.actor_id,
      contractId: link.contract_id,
      linkName: link.link_name,
    });
  }

  for (const host of state.syncedHosts()) {
    const groups = new Map<string, StaleActors>();
    for (const instance of host.actors.values()) {
      const mark = instance.managed;
      if (mark === undefined || !unwanted(mark)) continue;
      const key = `${instance.actorKey}\n${annotationsKey(instance.annotations)}`;
      const group = groups.get(key);
      if (group !== undefined) group.count += 1;
      else
        groups.set(key, {
          actorKey: instance.actorKey,
          scaler: mark.scaler,
          annotations: instance.annotations,
          count: 1,
        });
    }
    for (const group of groups.values()) {
      commands.push({
        kind: 'stopActor',
        hostId: host.id,
        actorKey: group.actorKey,
        count: group.count,
        annotations: group.annotations,
        // Done when this many are left of that scaler on the host (other groups may be stopping too).
        expected: {
          scaler: group.scaler,
          spread: undefined,
          count: state.countActors(host.id, group.scaler) - group.count,
        },
      });
    }
    for (const provider of host.providers.values()) {
      if (!unwanted(provider.managed)) continue;
      commands.push({
        kind: 'stopProvider',
        hostId: host.id,
        providerKey: provider.key,
        linkName: provider.linkName,
        contractId: provider.contractId,
        annotations: provider.annotations,
      });
    }
  }
  return commands;
}

/** Every application that something in the lattice says it was started by. */
export function appsInLattice(state: LatticeState): Set<string> {
  const apps = new Set<string>();
  for (const host of state.syncedHosts()) {
    for (const instance of host.actors.values())
      if (instance.managed !== undefined) apps.add(instance.managed.app);
    for (const provider of host.providers.values())
      if (provider.managed !== undefined) apps.add(provider.managed.app);
  }
  return apps;
}
