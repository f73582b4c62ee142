// `wash ctl stop actor|provider|host`. Stopping actors and providers waits for the stopped event
// unless --skip-wait; stopping a host only waits for its ack (it then shuts down on its own).

import type { Command } from 'commander';
import { actorStopped, providerStopped } from '../../../lattice/control-outcomes.ts';
import { addConnectionOptions, type ConnectionFlags, withControlClient } from '../../connection-options.ts';
import { type CommandResult, runAction } from '../../output.ts';
import { withSpinner } from '../../spinner.ts';
import {
  contractIdArgument,
  linkNameArgument,
  MAX_INSTANCE_COUNT,
  publicKeyArgument,
  wholeNumberArgument,
} from './arguments.ts';

/** How long to wait for a stopped event; a provider gets its shutdown grace period on top. */
const ACTOR_STOP_WAIT_MS = 5_000;
const PROVIDER_STOP_WAIT_MS = 15_000;

interface StopFlags extends ConnectionFlags {
  skipWait?: boolean;
}

interface StopActorFlags extends StopFlags {
  count: string;
}

interface StopHostFlags extends ConnectionFlags {
  hostTimeout?: string;
}

async function stopActor(hostText: string, actorText: string, flags: StopActorFlags): Promise<CommandResult> {
  const hostId = publicKeyArgument('host', hostText);
  const actorId = publicKeyArgument('actor', actorText);
  const count = wholeNumberArgument(flags.count, '--count', 0, MAX_INSTANCE_COUNT);
  return withControlClient(flags, async (client, connection) => {
    const send = () => client.stopActor(hostId, actorId, count);
    if (flags.skipWait) {
      await send();
      return {
        json: { actor_id: actorId, host_id: hostId, result: 'accepted' },
        text: `Actor ${actorId} is being stopped on host ${hostId} (not waiting: --skip-wait)`,
      };
    }
    await withSpinner(`Stopping actor ${actorId} on host ${hostId}`, () =>
      client.commandWithOutcome(
        send,
        actorStopped(hostId, actorId),
        Math.max(ACTOR_STOP_WAIT_MS, connection.timeoutMs),
        'actor_stopped',
      ),
    );
    return {
      json: { actor_id: actorId, host_id: hostId, result: 'stopped' },
      text: `Actor ${actorId} stopped on host ${hostId}`,
    };
  });
}

async function stopProvider(
  hostText: string,
  providerText: string,
  linkText: string,
  contractText: string,
  flags: StopFlags,
): Promise<CommandResult> {
  const hostId = publicKeyArgument('host', hostText);
  const providerId = publicKeyArgument('provider', providerText);
  const linkName = linkNameArgument(linkText);
  const contractId = contractIdArgument(contractText);
  return withControlClient(flags, async (client, connection) => {
    const send = () => client.stopProvider(hostId, providerId, linkName, contractId);
    const json = { provider_id: providerId, link_name: linkName, contract_id: contractId, host_id: hostId };
    if (flags.skipWait) {
      await send();
      return {
        json: { ...json, result: 'accepted' },
        text: `Provider ${providerId} (${linkName}) is being stopped on host ${hostId} (not waiting: --skip-wait)`,
      };
    }
    await withSpinner(`Stopping provider ${providerId} on host ${hostId}`, () =>
      client.commandWithOutcome(
        send,
        providerStopped(hostId, providerId, linkName),
        Math.max(PROVIDER_STOP_WAIT_MS, connection.timeoutMs),
        'provider_stopped',
      ),
    );
    return {
      json: { ...json, result: 'stopped' },
      text: `Provider ${providerId} (${linkName}) stopped successfully on host ${hostId}`,
    };
  });
}

async function stopHost(hostText: string, flags: StopHostFlags): Promise<CommandResult> {
  const hostId = publicKeyArgument('host', hostText);
  const timeout =
    flags.hostTimeout === undefined
      ? undefined
      : wholeNumberArgument(flags.hostTimeout, '--host-timeout', 0, 3_600_000);
  return withControlClient(flags, async (client) => {
    await client.stopHost(hostId, timeout);
    return {
      json: { host_id: hostId, result: 'accepted' },
      text: `Host ${hostId} acknowledged stop request`,
    };
  });
}

export function registerStopCommands(ctl: Command): void {
  const stop = ctl.command('stop').description('stop an actor, a provider or a whole host');

  addConnectionOptions(
    stop
      .command('actor')
      .description(`stop instances of an actor and wait (up to ${ACTOR_STOP_WAIT_MS} ms) for actor_stopped`)
      .argument('<host-id>', 'the host running it (N…)')
      .argument('<actor-id>', 'the actor (M…)')
      .option('--count <n>', 'how many instances to stop (0: all)', '1')
      .option('--skip-wait', 'return once the host accepts, without waiting for actor_stopped')
      .action(async (host: string, actor: string, flags: StopActorFlags, command: Command) =>
        runAction(command, () => stopActor(host, actor, flags)),
      ),
  );

  addConnectionOptions(
    stop
      .command('provider')
      .description(`stop a provider and wait (up to ${PROVIDER_STOP_WAIT_MS} ms) for provider_stopped`)
      .argument('<host-id>', 'the host running it (N…)')
      .argument('<provider-id>', 'the provider (V…)')
      .argument('<link-name>', 'its link name, e.g. default')
      .argument('<contract-id>', 'its contract, e.g. wasmcloud:httpserver')
      .option('--skip-wait', 'return once the host accepts, without waiting for provider_stopped')
      .action(
        async (
          host: string,
          provider: string,
          link: string,
          contract: string,
          flags: StopFlags,
          command: Command,
        ) => runAction(command, () => stopProvider(host, provider, link, contract, flags)),
      ),
  );

  addConnectionOptions(
    stop
      .command('host')
      .description('ask a host to stop its actors and providers and exit')
      .argument('<host-id>', 'the host (N…)')
      .option('--host-timeout <ms>', 'grace period passed to the host (the 2022 host ignores it)')
      .action(async (host: string, flags: StopHostFlags, command: Command) =>
        runAction(command, () => stopHost(host, flags)),
      ),
  );
}
