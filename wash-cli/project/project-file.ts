// wasmcloud.toml: what `wash build` and `wash dev` read in a project folder. wash 0.x's fields
// (name, language, type, version; [actor] claims, call_alias, key_directory, filename; [provider]
// capability_id, vendor) plus what this wash needs: the source entry and WIT world of an actor,
// and a [dev] section with the links `wash dev` puts. Validated with zod; every mistake is named
// with its field.

import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import { errorMessage } from '../../lattice/errors.ts';
import { WashError } from '../errors.ts';

export const PROJECT_FILE = 'wasmcloud.toml';

const devLinkSchema = z.strictObject({
  /** A provider reference: wasmcloud+builtin://httpserver, a file or an OCI reference. */
  provider: z.string().min(1),
  contract: z.string().min(1),
  link_name: z.string().min(1).default('default'),
  values: z.record(z.string(), z.string()).default({}),
});

const devSchema = z.strictObject({
  links: z.array(devLinkSchema).default([]),
  /** The URL `wash dev` prints once the actor runs (e.g. the httpserver link's address). */
  url: z.string().optional(),
});

const commonFields = {
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case letters, digits and "-", starting with a letter'),
  version: z.string().min(1).default('0.1.0'),
  revision: z.number().int().nonnegative().default(0),
  dev: devSchema.default({ links: [] }),
};

const actorSchema = z.strictObject({
  ...commonFields,
  type: z.literal('actor'),
  language: z.enum(['typescript', 'c']),
  actor: z.strictObject({
    claims: z.array(z.string().min(1)).default([]),
    call_alias: z.string().optional(),
    /** Where the module and account keys are kept; default ~/.wash/keys (or $WASH_KEYS). */
    key_directory: z.string().optional(),
    /** The built module's file name in build/; default {name}.wasm (signed: {name}_s.wasm). */
    filename: z.string().optional(),
    /** The source entry: src/actor.ts, or the C file. */
    source: z.string().min(1),
    /** The WIT world of a component (TypeScript); a C module is a 2022 wasmbus module. */
    wit_world: z.string().optional(),
  }),
});

const providerSchema = z.strictObject({
  ...commonFields,
  type: z.literal('provider'),
  language: z.literal('typescript'),
  provider: z.strictObject({
    capability_id: z.string().min(1),
    vendor: z.string().min(1).default('wasmcloud-ts'),
    key_directory: z.string().optional(),
    source: z.string().min(1),
  }),
});

const projectSchema = z.discriminatedUnion('type', [actorSchema, providerSchema]);

export type ActorProject = z.output<typeof actorSchema> & { dir: string };
export type ProviderProject = z.output<typeof providerSchema> & { dir: string };
export type Project = ActorProject | ProviderProject;
export type DevLink = z.output<typeof devLinkSchema>;

/** Reads and checks `dir`/wasmcloud.toml. */
export async function readProject(dir: string): Promise<Project> {
  const path = join(resolve(dir), PROJECT_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new WashError(
      'WASH_NO_PROJECT',
      `no ${PROJECT_FILE} in ${resolve(dir)}: run wash build and wash dev in a folder wash new made (${errorMessage(error)})`,
      { cause: error },
    );
  }
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (error) {
    throw new WashError('WASH_BAD_PROJECT', `${path} is not valid TOML: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  const parsed = projectSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`,
    );
    throw new WashError('WASH_BAD_PROJECT', `${path}: ${problems.join('; ')}`);
  }
  return { ...parsed.data, dir: resolve(dir) };
}
