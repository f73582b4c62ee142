// `wash app get <name> [version]`: one version of an application's manifest (the latest when no
// version is given), printed as YAML for a person; `-o json` gives the controller's reply, with the
// manifest as JSON.

import type { Command } from 'commander';
import { dump } from 'js-yaml';
import type { ConnectionFlags } from '../../connection-options.ts';
import { type CommandResult, runAction } from '../../output.ts';
import { addAppConnectionOptions, appNameArgument, controllerRefusal, withWadmClient } from './client.ts';

/** The manifest as YAML; a manifest stored as text is shown as it was written. */
export function manifestYaml(manifest: unknown): string {
  if (typeof manifest === 'string') return manifest;
  return dump(manifest, { noRefs: true, lineWidth: -1, sortKeys: false });
}

async function get(nameText: string, version: string | undefined, flags: ConnectionFlags) {
  const name = appNameArgument(nameText);
  return withWadmClient(flags, async (client): Promise<CommandResult> => {
    const reply = await client.get(name, version);
    if (reply.result !== 'success') {
      const which =
        version === undefined ? `application ${name}` : `version ${version} of application ${name}`;
      throw controllerRefusal(reply.result, reply.message, `${which} not found`);
    }
    return { json: { ...reply }, text: manifestYaml(reply.manifest).trimEnd() };
  });
}

export function registerGetCommand(app: Command): void {
  addAppConnectionOptions(
    app
      .command('get')
      .description("print an application's manifest as YAML (-o json: as JSON)")
      .argument('<name>', 'the application')
      .argument('[version]', 'the version (default: the latest)')
      .action(async (name: string, version: string | undefined, flags: ConnectionFlags, command: Command) =>
        runAction(command, () => get(name, version, flags)),
      ),
  );
}
