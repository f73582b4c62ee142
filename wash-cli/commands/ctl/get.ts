// `wash ctl get hosts|inventory|load|claims`: what is running where, how busy it is (a wasmcloud-ts
// addition), and the claims the lattice knows.

import type { Command } from 'commander';
import type { HostInventory, HostLoad, HostPingReply } from '../../../lattice/control.ts';
import { addConnectionOptions, type ConnectionFlags, withControlClient } from '../../connection-options.ts';
import { type CommandResult, runAction, table } from '../../output.ts';
import { withSpinner } from '../../spinner.ts';
import { publicKeyArgument } from './arguments.ts';
import { columns, indent } from './columns.ts';

function hostsText(hosts: HostPingReply[], where: string): string {
  if (hosts.length === 0) return `No hosts answered in ${where}`;
  const rows = hosts
    .toSorted((a, b) => a.id.localeCompare(b.id))
    .map((host) => [host.id, host.friendly_name ?? '', String(host.uptime_seconds)]);
  return columns(['Host ID', 'Friendly Name', 'Uptime (seconds)'], rows);
}

/**
 * Without a timeout given, `get hosts` stops once no host has answered for this long, or for twice
 * as long as the first answer took (ControlClient's settleMs): hosts answer a ping at once, so a
 * person waits a few tens of milliseconds, not the 2 s timeout. With a timeout given, it waits it all.
 */
const HOSTS_SETTLE_MS = 30;

async function getHosts(flags: ConnectionFlags): Promise<CommandResult> {
  return withControlClient(flags, async (client, connection) => {
    const settleMs = connection.timeoutGiven ? undefined : HOSTS_SETTLE_MS;
    const hosts = await withSpinner(`Gathering hosts for up to ${connection.timeoutMs} ms`, () =>
      client.getHosts(undefined, { settleMs }),
    );
    const where = `lattice "${connection.latticePrefix}" (NATS ${connection.url}) within ${connection.timeoutMs} ms`;
    return { json: { hosts }, text: hostsText(hosts, where) };
  });
}

function inventoryText(inventory: HostInventory): string {
  const parts = [
    table([
      ['Host ID', inventory.host_id],
      ['Friendly Name', inventory.friendly_name ?? ''],
    ]),
    '',
    'Labels',
  ];
  const labels = Object.entries(inventory.labels).sort(([a], [b]) => a.localeCompare(b));
  parts.push(labels.length === 0 ? '  No labels' : indent(table(labels)));
  parts.push('', 'Actors');
  parts.push(
    inventory.actors.length === 0
      ? '  No actors found'
      : indent(
          columns(
            ['Actor ID', 'Name', 'Count', 'Image Reference'],
            inventory.actors.map((actor) => [
              actor.id,
              actor.name ?? 'N/A',
              // Loaded but dormant (a wasmcloud-ts addition), unlike an actor not running at all.
              actor.scaled_to_zero === true ? '0 (scaled to zero)' : String(actor.instances.length),
              actor.image_ref ?? 'N/A',
            ]),
          ),
        ),
  );
  parts.push('', 'Providers');
  parts.push(
    inventory.providers.length === 0
      ? '  No providers found'
      : indent(
          columns(
            ['Provider ID', 'Name', 'Link Name', 'Contract ID', 'Image Reference'],
            inventory.providers.map((provider) => [
              provider.id,
              provider.name ?? 'N/A',
              provider.link_name,
              provider.contract_id ?? 'N/A',
              provider.image_ref ?? 'N/A',
            ]),
          ),
        ),
  );
  return parts.join('\n');
}

async function getInventory(hostIdText: string, flags: ConnectionFlags): Promise<CommandResult> {
  const hostId = publicKeyArgument('host', hostIdText);
  return withControlClient(flags, async (client) => {
    const inventory = await client.getInventory(hostId);
    return { json: { inventory }, text: inventoryText(inventory) };
  });
}

/** `12:03:04` for a time today (UTC), the full ISO time otherwise; `never` for 0. */
function lastCallText(at: number, now = Date.now()): string {
  if (at === 0) return 'never';
  const iso = new Date(at).toISOString();
  return iso.slice(0, 10) === new Date(now).toISOString().slice(0, 10) ? iso.slice(11, 19) : iso;
}

function loadText(load: HostLoad): string {
  if (load.actors.length === 0) return `No actors running on host ${load.host_id}`;
  return columns(
    ['Actor ID', 'Instances', 'In Flight', 'Queued', 'Max Concurrency', 'Calls', 'Last Call (UTC)'],
    load.actors.map((actor) => [
      actor.id,
      actor.scaled_to_zero ? '0 (scaled to zero)' : String(actor.instances),
      String(actor.in_flight),
      String(actor.queued),
      String(actor.max_concurrency),
      String(actor.calls_total),
      lastCallText(actor.last_call_at),
    ]),
  );
}

async function getLoad(hostIdText: string, flags: ConnectionFlags): Promise<CommandResult> {
  const hostId = publicKeyArgument('host', hostIdText);
  return withControlClient(flags, async (client) => {
    const load = await client.getLoad(hostId);
    return { json: { load }, text: loadText(load) };
  });
}

function claimsText(claims: Array<Record<string, string>>): string {
  if (claims.length === 0) return 'No claims found';
  return claims
    .map((claim) =>
      [
        claim.name ?? claim.sub ?? 'unnamed',
        indent(
          table([
            ['Issuer', claim.iss ?? ''],
            ['Subject', claim.sub ?? ''],
            ['Capabilities', claim.caps ?? claim.contract_id ?? ''],
            ['Version', claim.version ?? ''],
            ['Revision', claim.rev ?? ''],
          ]),
        ),
      ].join('\n'),
    )
    .join('\n\n');
}

async function getClaims(flags: ConnectionFlags): Promise<CommandResult> {
  return withControlClient(flags, async (client) => {
    const claims = await client.getClaims();
    return { json: { claims: { claims } }, text: claimsText(claims) };
  });
}

export function registerGetCommands(ctl: Command): void {
  const get = ctl.command('get').description("query the lattice: hosts, a host's inventory or load, claims");

  addConnectionOptions(
    get
      .command('hosts')
      .description('list the hosts that answer a ping within the timeout (-t)')
      .action(async (flags: ConnectionFlags, command: Command) => runAction(command, () => getHosts(flags))),
  );

  addConnectionOptions(
    get
      .command('inventory')
      .description("show a host's labels, actors and providers")
      .argument('<host-id>', 'the host (N…), as listed by wash ctl get hosts')
      .action(async (hostId: string, flags: ConnectionFlags, command: Command) =>
        runAction(command, () => getInventory(hostId, flags)),
      ),
  );

  addConnectionOptions(
    get
      .command('load')
      .description(
        "show a host's calls per actor: in flight, queued, taken, the last one (wasmcloud-ts hosts only)",
      )
      .argument('<host-id>', 'the host (N…), as listed by wash ctl get hosts')
      .action(async (hostId: string, flags: ConnectionFlags, command: Command) =>
        runAction(command, () => getLoad(hostId, flags)),
      ),
  );

  addConnectionOptions(
    get
      .command('claims')
      .description('list the claims of every actor and provider the lattice has seen')
      .action(async (flags: ConnectionFlags, command: Command) => runAction(command, () => getClaims(flags))),
  );
}
