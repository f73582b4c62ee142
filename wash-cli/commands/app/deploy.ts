// `wash app deploy <name|file> [version]` and `wash app undeploy <name>`. Deploying a file puts it
// first and then deploys exactly the version that put stored (wash 0.2x `wash app deploy ./app.yaml`);
// a name deploys the given version, or the latest when none is given. The controller acknowledges
// and then reconciles: `wash app status` shows how far it got.

import type { Command } from 'commander';
import type { DeployReply } from '../../../lattice/wadm-api.ts';
import type { WadmClient } from '../../../lattice/wadm-client.ts';
import type { ConnectionFlags } from '../../connection-options.ts';
import { WashError } from '../../errors.ts';
import { type CommandResult, runAction } from '../../output.ts';
import { addAppConnectionOptions, appNameArgument, controllerRefusal, withWadmClient } from './client.ts';
import { looksLikeManifestFile, readManifestFile } from './manifest-file.ts';
import { putManifest, storedText } from './put.ts';

async function deployVersion(client: WadmClient, name: string, version: string | undefined) {
  const reply: DeployReply = await client.deploy(name, version);
  if (reply.result !== 'acknowledged') {
    const which = version === undefined ? `application ${name}` : `version ${version} of application ${name}`;
    const fallback = reply.result === 'notfound' ? `${which} not found` : `deploying ${which} failed`;
    throw controllerRefusal(reply.result, reply.message, fallback);
  }
  return reply;
}

function deployedText(reply: DeployReply, name: string, version: string | undefined): string {
  const shown = reply.version ?? version;
  return `Deploying application ${reply.name ?? name}${shown ? ` version ${shown}` : ''}: acknowledged (wash app status ${reply.name ?? name} shows its progress)`;
}

async function deploy(target: string, version: string | undefined, flags: ConnectionFlags) {
  const fromFile = looksLikeManifestFile(target);
  if (fromFile && version !== undefined) {
    throw new WashError(
      'WASH_BAD_ARGUMENT',
      `a version goes with an application name, not a file: ${target} deploys the version it puts`,
    );
  }
  const name = fromFile ? '' : appNameArgument(target);
  const bytes = fromFile ? await readManifestFile(target) : undefined;
  return withWadmClient(flags, async (client): Promise<CommandResult> => {
    if (bytes === undefined) {
      const reply = await deployVersion(client, name, version);
      return { json: { ...reply }, text: deployedText(reply, name, version) };
    }
    const stored = await putManifest(client, target, bytes);
    const reply = await deployVersion(client, stored.name, stored.current_version);
    return {
      json: { ...reply, put: stored },
      text: `${storedText(stored)}\n${deployedText(reply, stored.name, stored.current_version)}`,
    };
  });
}

async function undeploy(nameText: string, flags: ConnectionFlags): Promise<CommandResult> {
  const name = appNameArgument(nameText);
  return withWadmClient(flags, async (client) => {
    const reply = await client.undeploy(name);
    if (reply.result !== 'acknowledged') {
      const fallback =
        reply.result === 'notfound'
          ? `application ${name} not found`
          : `undeploying application ${name} failed`;
      throw controllerRefusal(reply.result, reply.message, fallback);
    }
    return {
      json: { ...reply },
      text: `Undeploying application ${name}: acknowledged (what it started is being stopped)`,
    };
  });
}

export function registerDeployCommands(app: Command): void {
  addAppConnectionOptions(
    app
      .command('deploy')
      .description('deploy an application: a stored one by name, or a manifest file (put, then deployed)')
      .argument('<name|file>', 'an application name, or a .yaml, .yml or .json manifest file')
      .argument('[version]', 'the version of a named application (default: its latest)')
      .action(async (target: string, version: string | undefined, flags: ConnectionFlags, command: Command) =>
        runAction(command, () => deploy(target, version, flags)),
      ),
  );
  addAppConnectionOptions(
    app
      .command('undeploy')
      .description(
        'undeploy an application: stop what the controller started for it (its versions stay stored)',
      )
      .argument('<name>', 'the application')
      .action(async (name: string, flags: ConnectionFlags, command: Command) =>
        runAction(command, () => undeploy(name, flags)),
      ),
  );
}
