// `wash ctl start actor|provider`: without --host-id, hold an auction and take the first bidder
// (as wash 0.1x); send the command; then, unless --skip-wait, wait for the event that says how it
// went (the ack only means the host will try).

import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  type ControlClient,
  DEFAULT_AUCTION_TIMEOUT_MS,
  type EventMatcher,
} from '../../../lattice/control-client.ts';
import { actorStarted, type ControlOutcome, providerStarted } from '../../../lattice/control-outcomes.ts';
import { errorMessage } from '../../../lattice/errors.ts';
import { DEFAULT_LINK_NAME } from '../../../lattice/link-definition.ts';
import { addConnectionOptions, type ConnectionFlags, withControlClient } from '../../connection-options.ts';
import { WashError } from '../../errors.ts';
import { type CommandResult, runAction } from '../../output.ts';
import { withSpinner } from '../../spinner.ts';
import {
  collect,
  keyValuePairs,
  linkNameArgument,
  MAX_INSTANCE_COUNT,
  publicKeyArgument,
  wholeNumberArgument,
} from './arguments.ts';
import { resolveActorRef, resolveProviderRef } from './local-artifact.ts';

/** How long to wait for the outcome event (wash-lib's defaults); a longer -t raises it. */
const ACTOR_START_WAIT_MS = 5_000;
const PROVIDER_START_WAIT_MS = 60_000;

interface StartFlags extends ConnectionFlags {
  hostId?: string;
  constraint?: string[];
  auctionTimeoutMs: string;
  skipWait?: boolean;
}

interface StartActorFlags extends StartFlags {
  count: string;
}

interface StartProviderFlags extends StartFlags {
  linkName: string;
  configJson?: string;
}

function describeConstraints(constraints: Record<string, string>): string {
  const pairs = Object.entries(constraints).map(([key, value]) => `${key}=${value}`);
  return pairs.length === 0 ? 'no constraints' : `constraints ${pairs.join(', ')}`;
}

/** The host to send the command to: the given one, or the first bidder of an auction. */
async function chooseHost(
  flags: StartFlags,
  what: string,
  auction: (constraints: Record<string, string>, timeoutMs: number) => Promise<Array<{ host_id: string }>>,
  latticePrefix: string,
): Promise<string> {
  if (flags.hostId !== undefined) return publicKeyArgument('host', flags.hostId, '--host-id');
  const constraints = keyValuePairs(flags.constraint ?? [], 'constraint');
  const timeoutMs = wholeNumberArgument(flags.auctionTimeoutMs, '--auction-timeout-ms', 1, 3_600_000);
  const bids = await withSpinner(`Holding an auction for ${what} (${timeoutMs} ms)`, () =>
    auction(constraints, timeoutMs),
  );
  const winner = bids[0];
  if (winner === undefined) {
    throw new WashError(
      'WASH_NO_HOST',
      `no host offered to run ${what} in lattice "${latticePrefix}" within ${timeoutMs} ms (${describeConstraints(constraints)})`,
    );
  }
  return winner.host_id;
}

/** Sends the command and, unless skipping, waits for its outcome with a spinner. */
async function commandAndWait(
  client: ControlClient,
  send: () => Promise<void>,
  outcome: EventMatcher<ControlOutcome>,
  waitMs: number,
  description: string,
  spinnerText: string,
  skipWait: boolean | undefined,
): Promise<ControlOutcome | undefined> {
  if (skipWait) {
    await send();
    return undefined;
  }
  return withSpinner(spinnerText, () => client.commandWithOutcome(send, outcome, waitMs, description));
}

async function startActor(refText: string, flags: StartActorFlags): Promise<CommandResult> {
  const count = wholeNumberArgument(flags.count, '--count', 1, MAX_INSTANCE_COUNT);
  keyValuePairs(flags.constraint ?? [], 'constraint'); // checked before connecting
  const { ref, publicKey } = await resolveActorRef(refText);
  return withControlClient(flags, async (client, connection) => {
    const hostId = await chooseHost(
      flags,
      `actor ${ref}`,
      (constraints, timeoutMs) => client.auctionActor(ref, constraints, timeoutMs),
      connection.latticePrefix,
    );
    const outcome = await commandAndWait(
      client,
      () => client.startActor(hostId, ref, count),
      actorStarted(hostId, ref, publicKey),
      Math.max(ACTOR_START_WAIT_MS, connection.timeoutMs),
      'actor_started or actor_start_failed',
      `Starting actor ${ref} on host ${hostId}`,
      flags.skipWait,
    );
    if (outcome === undefined) {
      return {
        json: { actor_ref: ref, host_id: hostId, result: 'accepted' },
        text: `Actor ${ref} is being started on host ${hostId} (not waiting: --skip-wait)`,
      };
    }
    if (!outcome.ok)
      throw new WashError(
        'WASH_START_FAILED',
        `actor ${ref} failed to start on host ${hostId}: ${outcome.error}`,
      );
    return {
      json: { actor_ref: ref, actor_id: outcome.publicKey, host_id: hostId, result: 'started' },
      text: `Actor ${ref} started on host ${hostId} (actor ID ${outcome.publicKey})`,
    };
  });
}

async function readConfigJson(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new WashError(
      'WASH_FILE_UNREADABLE',
      `cannot read --config-json file ${file}: ${errorMessage(error)}`,
      { cause: error },
    );
  }
  try {
    return JSON.stringify(JSON.parse(text));
  } catch (error) {
    throw new WashError(
      'WASH_BAD_ARGUMENT',
      `--config-json file ${file} is not valid JSON: ${errorMessage(error)}`,
      { cause: error },
    );
  }
}

async function startProvider(refText: string, flags: StartProviderFlags): Promise<CommandResult> {
  const linkName = linkNameArgument(flags.linkName);
  keyValuePairs(flags.constraint ?? [], 'constraint');
  const configuration = flags.configJson === undefined ? undefined : await readConfigJson(flags.configJson);
  const { ref, publicKey } = await resolveProviderRef(refText);
  return withControlClient(flags, async (client, connection) => {
    const hostId = await chooseHost(
      flags,
      `provider ${ref} (link ${linkName})`,
      (constraints, timeoutMs) => client.auctionProvider(ref, linkName, constraints, timeoutMs),
      connection.latticePrefix,
    );
    const outcome = await commandAndWait(
      client,
      () => client.startProvider(hostId, ref, linkName, configuration),
      providerStarted(hostId, ref, publicKey, linkName),
      Math.max(PROVIDER_START_WAIT_MS, connection.timeoutMs),
      'provider_started or provider_start_failed',
      `Starting provider ${ref} on host ${hostId}`,
      flags.skipWait,
    );
    if (outcome === undefined) {
      return {
        json: { provider_ref: ref, link_name: linkName, host_id: hostId, result: 'accepted' },
        text: `Provider ${ref} is being started on host ${hostId} (not waiting: --skip-wait)`,
      };
    }
    if (!outcome.ok)
      throw new WashError(
        'WASH_START_FAILED',
        `provider ${ref} failed to start on host ${hostId}: ${outcome.error}`,
      );
    return {
      json: {
        provider_ref: ref,
        provider_id: outcome.publicKey,
        link_name: linkName,
        host_id: hostId,
        result: 'started',
      },
      text: `Provider ${ref} started on host ${hostId} (provider ID ${outcome.publicKey}, link ${linkName})`,
    };
  });
}

function addStartOptions(command: Command): Command {
  return addConnectionOptions(
    command
      .option('--host-id <host-id>', 'the host to start on (default: the first bidder of an auction)')
      .option(
        '-c, --constraint <key=value>',
        'a label the auction winner must have (repeatable)',
        collect,
        [],
      )
      .option(
        '--auction-timeout-ms <ms>',
        'how long to collect auction bids',
        String(DEFAULT_AUCTION_TIMEOUT_MS),
      )
      .option('--skip-wait', 'return once the host accepts, without waiting for the outcome'),
  );
}

export function registerStartCommands(ctl: Command): void {
  const start = ctl.command('start').description('start an actor or a provider on a host');

  addStartOptions(
    start
      .command('actor')
      .description(
        `start an actor and wait (up to ${ACTOR_START_WAIT_MS} ms, or -t if longer) for actor_started`,
      )
      .argument('<actor-ref>', 'a signed .wasm file or an OCI reference')
      .option('--count <n>', 'how many instances', '1')
      .action(async (ref: string, flags: StartActorFlags, command: Command) =>
        runAction(command, () => startActor(ref, flags)),
      ),
  );

  addStartOptions(
    start
      .command('provider')
      .description(
        `start a provider and wait (up to ${PROVIDER_START_WAIT_MS} ms, or -t if longer) for provider_started`,
      )
      .argument(
        '<provider-ref>',
        'a provider archive (.par, .par.gz), an OCI reference, or wasmcloud+builtin://httpserver|keyvalue|messaging (built into the host)',
      )
      .option('-l, --link-name <name>', 'link name', DEFAULT_LINK_NAME)
      .option('--config-json <file>', 'a JSON file handed to the provider as its configuration')
      .action(async (ref: string, flags: StartProviderFlags, command: Command) =>
        runAction(command, () => startProvider(ref, flags)),
      ),
  );
}
