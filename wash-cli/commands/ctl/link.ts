// `wash ctl link put|del|query`: the link definitions that tie an actor's calls on a contract to a
// provider (protocol.md §4). A link is identified by (actor, contract, link name).

import type { Command } from 'commander';
import { DEFAULT_LINK_NAME, type LinkDefinition } from '../../../lattice/link-definition.ts';
import { addConnectionOptions, type ConnectionFlags, withControlClient } from '../../connection-options.ts';
import { type CommandResult, runAction } from '../../output.ts';
import { contractIdArgument, keyValuePairs, linkNameArgument, publicKeyArgument } from './arguments.ts';
import { columns } from './columns.ts';

interface LinkFlags extends ConnectionFlags {
  linkName: string;
}

async function putLink(
  actorText: string,
  providerText: string,
  contractText: string,
  values: string[],
  flags: LinkFlags,
): Promise<CommandResult> {
  const link = {
    actor_id: publicKeyArgument('actor', actorText),
    provider_id: publicKeyArgument('provider', providerText),
    contract_id: contractIdArgument(contractText),
    link_name: linkNameArgument(flags.linkName),
    values: keyValuePairs(values, 'link value'),
  };
  return withControlClient(flags, async (client) => {
    await client.putLink(link);
    return {
      json: {
        actor_id: link.actor_id,
        provider_id: link.provider_id,
        contract_id: link.contract_id,
        link_name: link.link_name,
      },
      text: `Published link (${link.actor_id}) <-> (${link.provider_id}) successfully`,
    };
  });
}

async function deleteLink(actorText: string, contractText: string, flags: LinkFlags): Promise<CommandResult> {
  const actorId = publicKeyArgument('actor', actorText);
  const contractId = contractIdArgument(contractText);
  const linkName = linkNameArgument(flags.linkName);
  return withControlClient(flags, async (client) => {
    await client.deleteLink(actorId, contractId, linkName);
    return {
      json: { actor_id: actorId, contract_id: contractId, link_name: linkName },
      text: `Deleted link for ${actorId} on ${contractId} (${linkName}) successfully`,
    };
  });
}

function linksText(links: LinkDefinition[]): string {
  if (links.length === 0) return 'No links found';
  return columns(
    ['Actor ID', 'Provider ID', 'Contract ID', 'Link Name'],
    links.map((link) => [link.actor_id, link.provider_id, link.contract_id, link.link_name]),
  );
}

async function queryLinks(flags: ConnectionFlags): Promise<CommandResult> {
  return withControlClient(flags, async (client) => {
    const links = await client.getLinks();
    return { json: { links }, text: linksText(links) };
  });
}

export function registerLinkCommands(ctl: Command): void {
  const link = ctl.command('link').description('put, delete and list link definitions');

  addConnectionOptions(
    link
      .command('put')
      .description("link an actor to a provider for a contract; the values are the provider's settings")
      .argument('<actor-id>', 'the actor (M…)')
      .argument('<provider-id>', 'the provider (V…)')
      .argument('<contract-id>', 'the contract, e.g. wasmcloud:httpserver')
      .argument('[values...]', 'link values as KEY=VALUE, e.g. PORT=8080')
      .option('-l, --link-name <name>', 'link name', DEFAULT_LINK_NAME)
      .action(
        async (
          actor: string,
          provider: string,
          contract: string,
          values: string[],
          flags: LinkFlags,
          command: Command,
        ) => runAction(command, () => putLink(actor, provider, contract, values, flags)),
      ),
  );

  addConnectionOptions(
    link
      .command('del')
      .description("delete an actor's link for a contract and link name")
      .argument('<actor-id>', 'the actor (M…)')
      .argument('<contract-id>', 'the contract, e.g. wasmcloud:httpserver')
      .option('-l, --link-name <name>', 'link name', DEFAULT_LINK_NAME)
      .action(async (actor: string, contract: string, flags: LinkFlags, command: Command) =>
        runAction(command, () => deleteLink(actor, contract, flags)),
      ),
  );

  addConnectionOptions(
    link
      .command('query')
      .description('list every link definition in the lattice')
      .action(async (flags: ConnectionFlags, command: Command) =>
        runAction(command, () => queryLinks(flags)),
      ),
  );
}
