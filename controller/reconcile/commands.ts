// The commands scalers issue, in 2022 control-interface terms (wadm.md §4: StartActor → `la`,
// StopActor → `sa`, StartProvider → `lp`, StopProvider → `sp`, PutLinkdef / DeleteLinkdef →
// `linkdefs.put|del`), and for each one: how it is sent, when the lattice shows it done, and which
// event says it failed. A command is done when the picture of the lattice (fed by events) shows its
// effect, not when the host acks it: the ack comes before the work (an OCI pull may take minutes).

import type { ControlClient } from '../../lattice/control-client.ts';
import { type CloudEvent, isEventOf } from '../../lattice/events.ts';
import type { LinkDefinition } from '../../lattice/link-definition.ts';
import { type LatticeState, providerSlot, sameLink } from './lattice-state.ts';

export interface StartActorCommand {
  kind: 'startActor';
  hostId: string;
  image: string;
  count: number;
  annotations: Record<string, string>;
  /** Done once the host runs this many instances of `scaler` (for `spread`). */
  expected: { scaler: string; spread: string | undefined; count: number };
}

export interface StopActorCommand {
  kind: 'stopActor';
  hostId: string;
  actorKey: string;
  count: number;
  /** The stopped instances' own annotations: the host stops instances that carry them first. */
  annotations: Record<string, string>;
  /** Done once the host runs at most this many instances with `annotations`' scaler (and spread). */
  expected: { scaler: string; spread: string | undefined; count: number };
}

/**
 * `cmd.{host}.scale` to 0 with `scale_to_zero: true` (a wasmcloud-ts addition): the autoscaler's way
 * of going to zero, which keeps the actor dormant on hosts that can (2022 hosts ignore the field
 * and stop every instance, which is where a count of 0 leaves it too).
 */
export interface ScaleToZeroCommand {
  kind: 'scaleToZero';
  hostId: string;
  actorKey: string;
  image: string;
  annotations: Record<string, string>;
  /** Done once the host runs none of `scaler`'s instances (for `spread`). */
  expected: { scaler: string; spread: string | undefined };
}

export interface StartProviderCommand {
  kind: 'startProvider';
  hostId: string;
  image: string;
  linkName: string;
  config: string | undefined;
  annotations: Record<string, string>;
  scaler: string;
}

export interface StopProviderCommand {
  kind: 'stopProvider';
  hostId: string;
  providerKey: string;
  linkName: string;
  contractId: string;
  annotations: Record<string, string>;
}

export interface PutLinkCommand {
  kind: 'putLink';
  link: LinkDefinition;
}

export interface DeleteLinkCommand {
  kind: 'deleteLink';
  actorId: string;
  contractId: string;
  linkName: string;
}

export type Command =
  | StartActorCommand
  | StopActorCommand
  | ScaleToZeroCommand
  | StartProviderCommand
  | StopProviderCommand
  | PutLinkCommand
  | DeleteLinkCommand;

/** What a command does, for logs and status messages. */
export function describeCommand(command: Command): string {
  switch (command.kind) {
    case 'startActor':
      return `start ${command.count} instance(s) of ${command.image} on host ${command.hostId}`;
    case 'stopActor':
      return `stop ${command.count} instance(s) of actor ${command.actorKey} on host ${command.hostId}`;
    case 'scaleToZero':
      return `scale actor ${command.actorKey} to zero on host ${command.hostId}`;
    case 'startProvider':
      return `start provider ${command.image} (link ${command.linkName}) on host ${command.hostId}`;
    case 'stopProvider':
      return `stop provider ${command.providerKey} (link ${command.linkName}) on host ${command.hostId}`;
    case 'putLink':
      return `link actor ${command.link.actor_id} to ${command.link.provider_id} (${command.link.contract_id}, link ${command.link.link_name})`;
    case 'deleteLink':
      return `delete the link of actor ${command.actorId} (${command.contractId}, link ${command.linkName})`;
  }
}

/** Sends the command; rejects when no host answered or it refused (the error says why). */
export function sendCommand(client: ControlClient, command: Command): Promise<void> {
  switch (command.kind) {
    case 'startActor':
      return client.startActor(command.hostId, command.image, command.count, command.annotations);
    case 'stopActor':
      return client.stopActor(command.hostId, command.actorKey, command.count, command.annotations);
    case 'scaleToZero':
      return client.scaleActor(command.hostId, command.actorKey, command.image, 0, command.annotations, true);
    case 'startProvider':
      return client.startProvider(
        command.hostId,
        command.image,
        command.linkName,
        command.config,
        command.annotations,
      );
    case 'stopProvider':
      return client.stopProvider(
        command.hostId,
        command.providerKey,
        command.linkName,
        command.contractId,
        command.annotations,
      );
    case 'putLink':
      return client.putLink(command.link);
    case 'deleteLink':
      return client.deleteLink(command.actorId, command.contractId, command.linkName);
  }
}

/** The host a command is addressed to, if any (links go to whichever host answers). */
export function commandHost(command: Command): string | undefined {
  return command.kind === 'putLink' || command.kind === 'deleteLink' ? undefined : command.hostId;
}

/**
 * Whether the lattice shows the command's effect. A host that left the picture settles the commands
 * addressed to it too: there is nothing more to wait for, and the next pass places elsewhere.
 */
export function commandDone(command: Command, state: LatticeState): boolean {
  const hostId = commandHost(command);
  if (hostId !== undefined && state.host(hostId) === undefined) return true;
  switch (command.kind) {
    case 'startActor': {
      const { scaler, spread, count } = command.expected;
      return state.countActors(command.hostId, scaler, spread) >= count;
    }
    case 'stopActor': {
      const { scaler, spread, count } = command.expected;
      return state.countActors(command.hostId, scaler, spread) <= count;
    }
    case 'scaleToZero': {
      const { scaler, spread } = command.expected;
      return state.countActors(command.hostId, scaler, spread) === 0;
    }
    case 'startProvider':
      return state.hasProvider(command.hostId, command.scaler);
    case 'stopProvider':
      return !state.host(command.hostId)?.providers.has(providerSlot(command.providerKey, command.linkName));
    case 'putLink': {
      const held = state.link(command.link.actor_id, command.link.contract_id, command.link.link_name);
      return held !== undefined && sameLink(held, command.link);
    }
    case 'deleteLink':
      return state.link(command.actorId, command.contractId, command.linkName) === undefined;
  }
}

/** The reason `event` gives for the command's failure, or undefined when it is about something else. */
export function commandFailure(command: Command, event: CloudEvent): string | undefined {
  if (command.kind === 'startActor') {
    if (event.source !== command.hostId || !isEventOf(event, 'actor_start_failed')) return undefined;
    return event.data.actor_ref === command.image ? event.data.error : undefined;
  }
  if (command.kind === 'startProvider') {
    if (event.source !== command.hostId || !isEventOf(event, 'provider_start_failed')) return undefined;
    const { provider_ref, link_name, error } = event.data;
    return provider_ref === command.image && link_name === command.linkName ? error : undefined;
  }
  return undefined;
}
