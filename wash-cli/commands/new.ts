// `wash new actor|provider <folder> [--template …]`: a project to build on, in a new folder
// (wash-cli/project/templates.ts says what each template holds).

import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { WashError } from '../errors.ts';
import { FROM_CHECKOUT } from '../install-paths.ts';
import { runAction } from '../output.ts';
import { currentWashTarball, rebuildWashTarball } from '../pack.ts';
import { createProject, TEMPLATES, type TemplateKind, templateNamed } from '../project/templates.ts';
import { withSpinner } from '../spinner.ts';

const DEFAULT_TEMPLATE: Record<TemplateKind, string> = { actor: 'hello', provider: 'provider' };

function templateList(kind: TemplateKind): string {
  return TEMPLATES.filter((template) => template.kind === kind)
    .map((template) => `  ${template.name.padEnd(10)} ${template.description}`)
    .join('\n');
}

async function create(kind: TemplateKind, folder: string, templateName: string | undefined) {
  const template = templateNamed(templateName ?? DEFAULT_TEMPLATE[kind], kind);
  const dir = resolve(folder);
  if (existsSync(dir))
    throw new WashError('WASH_PROJECT_EXISTS', `${dir} already exists: wash new creates a new folder`);
  if (!FROM_CHECKOUT)
    throw new WashError(
      'WASH_NOT_A_CHECKOUT',
      'wash new makes projects from a wasmcloud-ts checkout (its templates, contracts and wash package): run it from one (docs/first-actor.md)',
    );
  const tarball =
    currentWashTarball() ??
    (await withSpinner(
      "Packing wash's npm package for the project (once after a change; ~10 s)",
      rebuildWashTarball,
    ));
  const files = await createProject(dir, template, tarball);
  const shown = relative(process.cwd(), dir) || '.';
  return {
    json: { path: dir, template: template.name, kind, files },
    text: [
      `Created ${kind} ${shown} from the ${template.name} template (${files.length} files).`,
      '',
      'Next:',
      `  cd ${shown}`,
      '  npm install',
      '  npx wash dev',
    ].join('\n'),
  };
}

export function registerNewCommands(program: Command): void {
  const created = program
    .command('new')
    .description('create a new actor or provider project from a template');
  for (const kind of ['actor', 'provider'] as const) {
    created
      .command(kind)
      .description(`create a ${kind} project in a new folder`)
      .argument('<folder>', 'the folder to create; its name is the project name')
      .option('--template <name>', `the template (default ${DEFAULT_TEMPLATE[kind]})`)
      .addHelpText('after', `\nTemplates:\n${templateList(kind)}`)
      .action(async (folder: string, flags: { template?: string }, command: Command) =>
        runAction(command, () => create(kind, folder, flags.template)),
      );
  }
}
