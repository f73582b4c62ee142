// `wash app history <name>`: the stored versions of an application, oldest first as the controller
// lists them, the deployed one marked.

import type { Command } from 'commander';
import type { VersionsReply } from '../../../lattice/wadm-api.ts';
import type { ConnectionFlags } from '../../connection-options.ts';
import { type CommandResult, runAction } from '../../output.ts';
import { columns } from '../ctl/columns.ts';
import { addAppConnectionOptions, appNameArgument, controllerRefusal, withWadmClient } from './client.ts';

function historyText(name: string, versions: VersionsReply['versions']): string {
  if (versions.length === 0) return `Application ${name} has no stored versions`;
  const rows = versions.map((entry) => [entry.version, entry.deployed ? 'yes' : '']);
  const deployed = versions.find((entry) => entry.deployed);
  const footer = deployed ? `Deployed: ${deployed.version}` : 'No version is deployed';
  return `${columns(['Version', 'Deployed'], rows)}\n\n${footer}`;
}

async function history(nameText: string, flags: ConnectionFlags): Promise<CommandResult> {
  const name = appNameArgument(nameText);
  return withWadmClient(flags, async (client) => {
    const reply = await client.versions(name);
    if (reply.result !== 'success') {
      throw controllerRefusal(reply.result, reply.message, `application ${name} not found`);
    }
    return { json: { ...reply }, text: historyText(name, reply.versions) };
  });
}

export function registerHistoryCommand(app: Command): void {
  addAppConnectionOptions(
    app
      .command('history')
      .description("list an application's stored versions, marking the deployed one")
      .argument('<name>', 'the application')
      .action(async (name: string, flags: ConnectionFlags, command: Command) =>
        runAction(command, () => history(name, flags)),
      ),
  );
}
