// TypeScript → component: strip the types with Node's own stripper (node:module), then
// componentize-js against the actor's world with every WASI feature disabled, so the component
// imports nothing but our contracts. Shared by the example actors written in TypeScript.

import { readdir, readFile, writeFile } from 'node:fs/promises';
import { stripTypeScriptTypes } from 'node:module';
import { join } from 'node:path';
import { componentize } from '@bytecodealliance/componentize-js';
import type { BuildContext } from '../build-context.ts';

/** Relative imports of `.ts` modules, rewritten to the `.js` files written next to the entry. */
const RELATIVE_TS_IMPORT = /(\bfrom\s*|\bimport\s*\(?\s*)(['"])(\.{1,2}\/[^'"\n]+)\.ts\2/g;

/** Strips every TypeScript source of the actor into workDir; returns the entry's .js path. */
export async function stripSources(context: BuildContext, entry: string): Promise<string> {
  for (const file of await readdir(context.actorDir)) {
    if (!file.endsWith('.ts') || file.endsWith('.d.ts') || file === 'build.ts') continue;
    const source = await readFile(join(context.actorDir, file), 'utf8');
    const js = stripTypeScriptTypes(source, { mode: 'strip' }).replace(RELATIVE_TS_IMPORT, '$1$2$3.js$2');
    await writeFile(join(context.workDir, file.replace(/\.ts$/, '.js')), js);
  }
  return join(context.workDir, entry.replace(/\.ts$/, '.js'));
}

type WasiFeature = 'stdio' | 'random' | 'clocks' | 'http' | 'fetch-event';
const ALL_WASI_FEATURES: WasiFeature[] = ['stdio', 'random', 'clocks', 'http', 'fetch-event'];

/**
 * Builds the component of `entry` (an actor's .ts file; relative imports are bundled) for
 * `world`. Every WASI feature is disabled unless the actor names the ones to disable.
 */
export async function buildTypeScriptComponent(
  context: BuildContext,
  entry: string,
  world: string,
  disableFeatures: WasiFeature[] = ALL_WASI_FEATURES,
): Promise<Uint8Array> {
  const { component } = await componentize({
    sourcePath: await stripSources(context, entry),
    witPath: context.witDir,
    worldName: world,
    disableFeatures,
  });
  return component;
}
