// `wash app del <name> [version]` (also `wash app delete`): deletes one stored version, or every
// version of the application when none is given. The controller undeploys what it deletes if that
// was deployed, and says so (`undeploy`). A `noop` (nothing matched) is not a failure.

import type { Command } from 'commander';
import type { DeleteReply } from '../../../lattice/wadm-api.ts';
import type { ConnectionFlags } from '../../connection-options.ts';
import { type CommandResult, runAction } from '../../output.ts';
import {
  addAppConnectionOptions,
  appNameArgument,
  controllerRefusal,
  oneLine,
  withWadmClient,
} from './client.ts';

function deletedText(reply: DeleteReply, name: string, version: string | undefined): string {
  const which =
    version === undefined
      ? `every version of application ${name}`
      : `version ${version} of application ${name}`;
  if (reply.result === 'noop')
    return `Nothing deleted: ${oneLine(reply.message) || `${which} was not stored`}`;
  return `Deleted ${which}${reply.undeploy ? ' (it was deployed: undeploying)' : ''}`;
}

async function del(nameText: string, version: string | undefined, flags: ConnectionFlags) {
  const name = appNameArgument(nameText);
  return withWadmClient(flags, async (client): Promise<CommandResult> => {
    const reply = await client.delete(name, version);
    if (reply.result === 'error')
      throw controllerRefusal(reply.result, reply.message, `deleting ${name} failed`);
    return { json: { ...reply }, text: deletedText(reply, name, version) };
  });
}

export function registerDelCommand(app: Command): void {
  addAppConnectionOptions(
    app
      .command('del')
      .alias('delete')
      .description('delete a stored version of an application, or all of its versions (undeploying it)')
      .argument('<name>', 'the application')
      .argument('[version]', 'the version to delete (default: every version)')
      .action(async (name: string, version: string | undefined, flags: ConnectionFlags, command: Command) =>
        runAction(command, () => del(name, version, flags)),
      ),
  );
}
