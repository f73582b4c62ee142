// `wash build`: compile and sign the project in this folder (or --project), as wasmcloud.toml
// says (wash-cli/project/build-project.ts).

import { relative } from 'node:path';
import type { Command } from 'commander';
import { runAction } from '../output.ts';
import { buildProject } from '../project/build-project.ts';
import { readProject } from '../project/project-file.ts';

async function build(folder: string) {
  const project = await readProject(folder);
  const built = await buildProject(project);
  const shown = relative(process.cwd(), built.path);
  return {
    json: { path: built.path, public_key: built.publicKey, bytes: built.bytes, ms: built.ms },
    text: `Built ${project.name} in ${(built.ms / 1000).toFixed(1)} s → ${shown} (${built.publicKey})`,
  };
}

export function registerBuildCommand(program: Command): void {
  program
    .command('build')
    .description('build and sign the actor or provider project here (its wasmcloud.toml)')
    .option('--project <folder>', 'the project folder', '.')
    .action(async (flags: { project: string }, command: Command) =>
      runAction(command, () => build(flags.project)),
    );
}
