// `wash ctl scale actor` and `wash ctl update actor`: change a running actor in place. Both are
// acked by the host; scaling then happens in the background, an update is done in the ack.

import type { Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags, withControlClient } from '../../connection-options.ts';
import { type CommandResult, runAction } from '../../output.ts';
import {
  collect,
  keyValuePairs,
  MAX_INSTANCE_COUNT,
  publicKeyArgument,
  wholeNumberArgument,
} from './arguments.ts';
import { resolveActorRef } from './local-artifact.ts';

interface ScaleFlags extends ConnectionFlags {
  count: string;
  annotations?: string[];
}

async function scaleActor(
  hostText: string,
  actorText: string,
  refText: string,
  flags: ScaleFlags,
): Promise<CommandResult> {
  const hostId = publicKeyArgument('host', hostText);
  const actorId = publicKeyArgument('actor', actorText);
  const count = wholeNumberArgument(flags.count, '--count', 0, MAX_INSTANCE_COUNT);
  const annotations = keyValuePairs(flags.annotations ?? [], 'annotation');
  const actorRef = (await resolveActorRef(refText)).ref;
  return withControlClient(flags, async (client) => {
    await client.scaleActor(hostId, actorId, actorRef, count, annotations);
    return {
      json: { actor_id: actorId, actor_ref: actorRef, host_id: hostId, count, result: 'accepted' },
      text: `Request to scale actor ${actorId} to ${count} instances received by host ${hostId}`,
    };
  });
}

async function updateActor(
  hostText: string,
  actorText: string,
  refText: string,
  flags: ConnectionFlags,
): Promise<CommandResult> {
  const hostId = publicKeyArgument('host', hostText);
  const actorId = publicKeyArgument('actor', actorText);
  const newRef = (await resolveActorRef(refText)).ref;
  return withControlClient(flags, async (client) => {
    await client.updateActor(hostId, actorId, newRef);
    return {
      json: { actor_id: actorId, new_actor_ref: newRef, host_id: hostId, result: 'updated' },
      text: `Actor ${actorId} updated to ${newRef} on host ${hostId}`,
    };
  });
}

export function registerScaleCommand(ctl: Command): void {
  addConnectionOptions(
    ctl
      .command('scale')
      .description('change how many instances of an actor run on a host')
      .command('actor')
      .description('set the instance count of an actor on a host (0 stops it)')
      .argument('<host-id>', 'the host (N…)')
      .argument('<actor-id>', 'the actor (M…)')
      .argument('<actor-ref>', 'where the actor comes from (file or OCI reference), for new instances')
      .option('-c, --count <n>', 'the number of instances wanted', '1')
      .option('-a, --annotations <key=value>', 'an annotation for the instances (repeatable)', collect)
      .action(async (host: string, actor: string, ref: string, flags: ScaleFlags, command: Command) =>
        runAction(command, () => scaleActor(host, actor, ref, flags)),
      ),
  );
}

export function registerUpdateCommand(ctl: Command): void {
  addConnectionOptions(
    ctl
      .command('update')
      .description('replace a running actor with a new build')
      .command('actor')
      .description('live-update an actor to a new module signed with the same actor key')
      .argument('<host-id>', 'the host (N…)')
      .argument('<actor-id>', 'the actor (M…)')
      .argument('<new-actor-ref>', 'the new module (file or OCI reference)')
      .action(async (host: string, actor: string, ref: string, flags: ConnectionFlags, command: Command) =>
        runAction(command, () => updateActor(host, actor, ref, flags)),
      ),
  );
}
