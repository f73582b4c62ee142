// `wash app list`: every application the controller stores, with its latest and deployed version
// and its status (wash 0.2x columns). `-o json` gives the list under `models`, as newer wadm wraps it.

import type { Command } from 'commander';
import type { AppSummary } from '../../../lattice/wadm-api.ts';
import type { ConnectionFlags } from '../../connection-options.ts';
import { type CommandResult, runAction } from '../../output.ts';
import { columns } from '../ctl/columns.ts';
import { addAppConnectionOptions, withWadmClient } from './client.ts';

function listText(models: readonly AppSummary[], lattice: string): string {
  if (models.length === 0)
    return `No applications in lattice "${lattice}" (wash app put or wash app deploy adds one)`;
  const rows = models
    .toSorted((a, b) => a.name.localeCompare(b.name))
    .map((model) => [
      model.name,
      model.version,
      model.deployed_version ?? 'N/A',
      model.status,
      model.description ?? '',
    ]);
  return columns(['Name', 'Latest Version', 'Deployed Version', 'Status', 'Description'], rows);
}

async function list(flags: ConnectionFlags): Promise<CommandResult> {
  return withWadmClient(flags, async (client, connection) => {
    const models = await client.list();
    return { json: { models }, text: listText(models, connection.latticePrefix) };
  });
}

export function registerListCommand(app: Command): void {
  addAppConnectionOptions(
    app
      .command('list')
      .description('list the applications the controller stores: versions and status')
      .action(async (flags: ConnectionFlags, command: Command) => runAction(command, () => list(flags))),
  );
}
