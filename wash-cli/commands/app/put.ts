// `wash app put <file>`: stores a manifest (YAML or JSON) in the controller as a new version of its
// application, without deploying it (wash 0.2x). `putManifest` is shared with `wash app deploy <file>`.

import type { Command } from 'commander';
import type { PutReply } from '../../../lattice/wadm-api.ts';
import type { WadmClient } from '../../../lattice/wadm-client.ts';
import type { ConnectionFlags } from '../../connection-options.ts';
import { type CommandResult, runAction } from '../../output.ts';
import { addAppConnectionOptions, controllerRefusal, withWadmClient } from './client.ts';
import { readManifestFile } from './manifest-file.ts';

/** A put the controller accepted. */
export type StoredVersion = PutReply & { result: 'created' | 'newversion' };

/** Puts a manifest read from `path`; throws the controller's refusal as a coded error. */
export async function putManifest(
  client: WadmClient,
  path: string,
  bytes: Uint8Array,
): Promise<StoredVersion> {
  const reply = await client.put(bytes);
  if (reply.result === 'error') throw controllerRefusal(reply.result, reply.message, `${path} was refused`);
  return { ...reply, result: reply.result };
}

/**
 * The warnings in a put's message (a deprecated field, an unknown contract), one per line. The
 * rest of the message only restates the success ("stored version …", wadm's "Successfully put
 * manifest"), which the result line already says; `-o json` keeps the whole message.
 */
export function putWarnings(message: string): string[] {
  return message
    .split(/;\s+|\r?\n/)
    .map((part) => part.trim())
    .filter((part) => /^warning\b/i.test(part));
}

/** One line for a person: what was stored, and how many versions there are now. */
export function storedText(reply: StoredVersion): string {
  const versions =
    reply.result === 'created'
      ? 'its first version'
      : `${reply.total_versions} version${reply.total_versions === 1 ? '' : 's'} stored`;
  const line = `Stored application ${reply.name} version ${reply.current_version} (${versions})`;
  return [line, ...putWarnings(reply.message).map((warning) => `  ${warning}`)].join('\n');
}

async function put(path: string, flags: ConnectionFlags): Promise<CommandResult> {
  // The file first: a typo in its name is reported as such, whatever the lattice's state.
  const bytes = await readManifestFile(path);
  return withWadmClient(flags, async (client) => {
    const reply = await putManifest(client, path, bytes);
    return { json: { ...reply }, text: storedText(reply) };
  });
}

export function registerPutCommand(app: Command): void {
  addAppConnectionOptions(
    app
      .command('put')
      .description(
        'store a manifest (YAML or JSON) as a new version of its application, without deploying it',
      )
      .argument('<file>', 'the manifest: a .yaml, .yml or .json file')
      .action(async (path: string, flags: ConnectionFlags, command: Command) =>
        runAction(command, () => put(path, flags)),
      ),
  );
}
