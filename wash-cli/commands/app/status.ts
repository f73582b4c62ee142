// `wash app status <name>`: the application's status (its worst scaler's, wadm.md §3) and each
// scaler's, with the reason a person can act on ("no host satisfies zone=us-east-1").

import type { Command } from 'commander';
import type { AppStatus } from '../../../lattice/wadm-api.ts';
import type { ConnectionFlags } from '../../connection-options.ts';
import { type CommandResult, runAction, table } from '../../output.ts';
import { columns, indent } from '../ctl/columns.ts';
import {
  addAppConnectionOptions,
  appNameArgument,
  controllerRefusal,
  oneLine,
  withWadmClient,
} from './client.ts';

function statusText(name: string, status: AppStatus | undefined): string {
  if (status === undefined) return `Application ${name}: no status yet`;
  const reason = oneLine(status.status.message);
  const parts = [
    table([
      ['Application', name],
      ['Status', status.status.type],
      ...(reason === '' ? [] : ([['Reason', reason]] as Array<[string, string]>)),
    ]),
    '',
    'Scalers',
  ];
  parts.push(
    status.scalers.length === 0
      ? '  No scalers (not deployed)'
      : indent(
          columns(
            ['Kind', 'Name', 'Status', 'Reason'],
            status.scalers.map((scaler) => [
              scaler.kind,
              scaler.name,
              scaler.status.type,
              oneLine(scaler.status.message),
            ]),
          ),
        ),
  );
  return parts.join('\n');
}

async function status(nameText: string, flags: ConnectionFlags): Promise<CommandResult> {
  const name = appNameArgument(nameText);
  return withWadmClient(flags, async (client) => {
    const reply = await client.status(name);
    if (reply.result !== 'ok')
      throw controllerRefusal(reply.result, reply.message, `application ${name} not found`);
    return { json: { ...reply }, text: statusText(name, reply.status) };
  });
}

export function registerStatusCommand(app: Command): void {
  addAppConnectionOptions(
    app
      .command('status')
      .description("show an application's status and each scaler's, with its reason")
      .argument('<name>', 'the application')
      .action(async (name: string, flags: ConnectionFlags, command: Command) =>
        runAction(command, () => status(name, flags)),
      ),
  );
}
