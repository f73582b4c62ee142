// What `wash new` creates: one folder per project, outside this repository, holding everything the
// project builds from (its sources, its WIT world and the wasmCloud contracts it uses, or the C
// headers), a wasmcloud.toml, a README and a package.json. The contracts and headers are copied
// from this repository (actors/wit, actors/toolchains) so there is one source of each; the
// TypeScript sources come from wash-cli/templates. docs/first-actor.md walks through one.

import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { WashError } from '../errors.ts';
import { REPO_DIR, WASH_DIR } from '../install-paths.ts';

const TEMPLATES_DIR = join(WASH_DIR, 'templates');
const CONTRACTS_DIR = join(REPO_DIR, 'actors', 'wit');
const C_TOOLCHAIN_DIR = join(REPO_DIR, 'actors', 'toolchains');

/** The Node the generated project runs wash with (Node ≥ 24: its syntax, and the TypeScript the project runs). */
const NODE_VERSION = '^24.21.0';

export type TemplateKind = 'actor' | 'provider';

export interface Template {
  name: string;
  kind: TemplateKind;
  description: string;
  /** Writes the template's own files (sources, WIT or headers) into `dir`. */
  write(dir: string, name: string): Promise<string[]>;
  /** The [actor] or [provider] table and [dev] section of its wasmcloud.toml. */
  projectFile(name: string): string;
  /** What to try once `wash dev` runs, for the README. */
  tryIt: string;
}

/** Copies a template file, putting the project's name where the template says {{name}}. */
async function writeFromTemplate(from: string, to: string, values: Record<string, string>): Promise<void> {
  let text = await readFile(join(TEMPLATES_DIR, from), 'utf8');
  for (const [key, value] of Object.entries(values)) text = text.replaceAll(`{{${key}}}`, value);
  await mkdir(dirname(to), { recursive: true });
  await writeFile(to, text);
}

/** wit/world.wit plus wit/deps/{contract}/{contract}.wit, the layout wit-parser expects. */
async function writeWit(dir: string, name: string, worldTemplate: string): Promise<string[]> {
  await writeFromTemplate(worldTemplate, join(dir, 'wit', 'world.wit'), { name, package: 'local' });
  const written = ['wit/world.wit'];
  for (const file of await readdir(CONTRACTS_DIR)) {
    if (!file.endsWith('.wit')) continue;
    const contract = basename(file, '.wit');
    await mkdir(join(dir, 'wit', 'deps', contract), { recursive: true });
    await copyFile(join(CONTRACTS_DIR, file), join(dir, 'wit', 'deps', contract, file));
    written.push(`wit/deps/${contract}/${file}`);
  }
  return written;
}

async function writeTypeScriptActor(dir: string, name: string, template: string): Promise<string[]> {
  await writeFromTemplate(`${template}/src/actor.ts`, join(dir, 'src', 'actor.ts'), { name });
  await writeFromTemplate('typescript/imports.d.ts', join(dir, 'src', 'imports.d.ts'), { name });
  await writeFromTemplate('typescript/tsconfig.json', join(dir, 'tsconfig.json'), { name });
  return [
    'src/actor.ts',
    'src/imports.d.ts',
    'tsconfig.json',
    ...(await writeWit(dir, name, `${template}/wit-world.wit`)),
  ];
}

const httpDev = (port: number) => `
# What \`wash dev\` starts next to the actor: the host's built-in httpserver, serving it on a port.
[dev]
url = "http://127.0.0.1:${port}/"

[[dev.links]]
provider = "wasmcloud+builtin://httpserver"
contract = "wasmcloud:httpserver"
values = { ADDRESS = "127.0.0.1:${port}" }
`;

export const TEMPLATES: readonly Template[] = [
  {
    name: 'hello',
    kind: 'actor',
    description: 'TypeScript component: answers HTTP requests with a greeting (the default)',
    write: (dir, name) => writeTypeScriptActor(dir, name, 'actor-hello'),
    projectFile: (name) => `
[actor]
claims = ["wasmcloud:httpserver", "wasmcloud:builtin:logging"]
source = "src/actor.ts"
wit_world = "${name}"
# call_alias = "${name}"
# key_directory = "./keys"    # default: ~/.wash/keys (or $WASH_KEYS)
${httpDev(8080)}`,
    tryIt: 'curl -s http://127.0.0.1:8080/    # Hello from {{name}}!',
  },
  {
    name: 'kvcounter',
    kind: 'actor',
    description: 'TypeScript component: counts requests in the key-value store, answers {"counter":N}',
    write: (dir, name) => writeTypeScriptActor(dir, name, 'actor-kvcounter'),
    projectFile: (name) => `
[actor]
claims = ["wasmcloud:httpserver", "wasmcloud:keyvalue"]
source = "src/actor.ts"
wit_world = "${name}"
# key_directory = "./keys"    # default: ~/.wash/keys (or $WASH_KEYS)
${httpDev(8080)}
# The host's built-in keyvalue provider: a JetStream KV bucket on the lattice's NATS.
[[dev.links]]
provider = "wasmcloud+builtin://keyvalue"
contract = "wasmcloud:keyvalue"
values = { BUCKET = "${name}" }
`,
    tryIt: 'curl -s http://127.0.0.1:8080/    # {"counter":1}, then 2, 3, …',
  },
  {
    name: 'c-echo',
    kind: 'actor',
    description: 'C (clang-14, no libc): a 2022 wasmbus module echoing each HTTP request as JSON',
    write: async (dir) => {
      await mkdir(join(dir, 'src'), { recursive: true });
      await copyFile(join(REPO_DIR, 'actors', 'wasmbus-echo', 'wasmbus-echo.c'), join(dir, 'src', 'actor.c'));
      for (const header of ['wasmbus-guest.h', 'arena.h'])
        await copyFile(join(C_TOOLCHAIN_DIR, header), join(dir, 'src', header));
      return ['src/actor.c', 'src/wasmbus-guest.h', 'src/arena.h'];
    },
    projectFile: () => `
[actor]
claims = ["wasmcloud:httpserver"]
source = "src/actor.c"
# key_directory = "./keys"    # default: ~/.wash/keys (or $WASH_KEYS)
${httpDev(8080)}`,
    tryIt: 'curl -s http://127.0.0.1:8080/hi    # {"body":[],"method":"GET","path":"/hi","query_string":""}',
  },
  {
    name: 'provider',
    kind: 'provider',
    description: 'TypeScript capability provider on the provider SDK: one operation and its test',
    write: async (dir, name) => {
      const values = { name, capability: `local:${name}` };
      await writeFromTemplate('provider/src/provider.ts', join(dir, 'src', 'provider.ts'), values);
      await writeFromTemplate('provider/src/operations.ts', join(dir, 'src', 'operations.ts'), values);
      await writeFromTemplate(
        'provider/test/operations.test.ts',
        join(dir, 'test', 'operations.test.ts'),
        values,
      );
      return ['src/provider.ts', 'src/operations.ts', 'test/operations.test.ts'];
    },
    projectFile: (name) => `
[provider]
capability_id = "local:${name}"
vendor = "local"
source = "src/provider.ts"
# key_directory = "./keys"    # default: ~/.wash/keys (or $WASH_KEYS)
`,
    tryIt: 'npm test    # the operation, called as the SDK calls it',
  },
];

export function templateNamed(name: string, kind: TemplateKind): Template {
  const template = TEMPLATES.find((candidate) => candidate.name === name && candidate.kind === kind);
  if (template) return template;
  const names = TEMPLATES.filter((candidate) => candidate.kind === kind).map((candidate) => candidate.name);
  throw new WashError(
    'WASH_UNKNOWN_TEMPLATE',
    `no ${kind} template "${name}": use one of ${names.join(', ')}`,
  );
}

function packageJson(name: string, kind: TemplateKind, washTarball: string): string {
  const scripts: Record<string, string> = { build: 'wash build', dev: 'wash dev' };
  if (kind === 'provider') scripts.test = "node --test 'test/**/*.test.ts'";
  return `${JSON.stringify(
    {
      name,
      version: '0.1.0',
      private: true,
      type: 'module',
      scripts,
      // wash is not on the npm registry: its package is in the project (vendor/, from the
      // checkout that made it; docs/first-actor.md, "What a project depends on").
      devDependencies: { node: NODE_VERSION, wash: `file:vendor/${washTarball}` },
      // node installs Node 24; msgpackr's native codec is optional (it runs without).
      allowScripts: { node: true, 'msgpackr-extract': false },
    },
    null,
    2,
  )}\n`;
}

function readme(name: string, template: Template): string {
  const build = template.kind === 'actor' ? `build/${name}_s.wasm` : `build/${name}.par.gz`;
  return `# ${name}

A wasmCloud ${template.kind} made by \`wash new ${template.kind}\` (template \`${template.name}\`:
${template.description}).

\`\`\`sh
npm install      # Node 24, and wash from vendor/ (its package: wash, the host, the SDK)
npx wash dev     # build, run it on a lattice (yours, or one wash starts), rebuild on every save
\`\`\`

${template.tryIt.replaceAll('{{name}}', name)}

\`npx wash build\` builds and signs \`${build}\` once (keys: \`key_directory\` in wasmcloud.toml, else
\`~/.wash/keys\`). \`wasmcloud.toml\` holds the claims, the version and what \`wash dev\` links.
`;
}

/**
 * Creates the project `dir` (which must not exist) from `template`, with wash's npm package
 * (`washTarball`, wash-cli/pack.ts) in its vendor/ folder; the files written.
 */
export async function createProject(dir: string, template: Template, washTarball: string): Promise<string[]> {
  const target = resolve(dir);
  if (existsSync(target))
    throw new WashError('WASH_PROJECT_EXISTS', `${target} already exists: wash new creates a new folder`);
  const name = basename(target);
  if (!/^[a-z][a-z0-9-]*$/.test(name))
    throw new WashError(
      'WASH_BAD_ARGUMENT',
      `invalid project name "${name}": lower-case letters, digits and "-", starting with a letter`,
    );
  await mkdir(target, { recursive: true });
  const written = await template.write(target, name);
  const language = template.name === 'c-echo' ? 'c' : 'typescript';
  const header = `# ${name}: read by wash build and wash dev (wash 0.x's wasmcloud.toml, plus [dev]).
name = "${name}"
type = "${template.kind}"
language = "${language}"
version = "0.1.0"
`;
  await writeFile(join(target, 'wasmcloud.toml'), header + template.projectFile(name));
  await mkdir(join(target, 'vendor'));
  await copyFile(washTarball, join(target, 'vendor', basename(washTarball)));
  await writeFile(join(target, 'package.json'), packageJson(name, template.kind, basename(washTarball)));
  await writeFile(join(target, 'README.md'), readme(name, template));
  await writeFile(join(target, '.gitignore'), 'node_modules/\nbuild/\nkeys/\n');
  return [
    'wasmcloud.toml',
    'package.json',
    `vendor/${basename(washTarball)}`,
    'README.md',
    '.gitignore',
    ...written,
  ];
}
