// The compiled host: host/build.ts (run by `npm run build`) bundles the host (cli.ts) and its worker
// (runtime/worker.ts) into plain JavaScript in dist/, and host/main.ts runs that instead of the
// .ts files while it is current. Why (issue 19, item 4; `npm run bench -- scale`): Node's type
// stripper costs every isolate that loads a .ts file ~20 MB of RSS in the main thread and ~6 MB in
// each worker, and ~750 module files cost more than a few bundled ones.
//
// dist/ sits one level below the repository like host/ and dashboard/, so the paths the bundled
// code finds beside itself (`../package.json`, `../dashboard/public`) are the same from both.

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const REPO_ROOT = join(import.meta.dirname, '..');
export const COMPILED_DIR = join(REPO_ROOT, 'dist');
/** The bundled host/cli.ts; the worker is worker.js beside it (runtime/worker-pool.ts). */
export const COMPILED_HOST = join(COMPILED_DIR, 'host.js');
/** Written last by the build: the files the bundle was made from, relative to the repository. */
export const COMPILED_MANIFEST = join(COMPILED_DIR, 'host-build.json');

export interface CompiledHostManifest {
  inputs: string[];
}

function modifiedAt(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined; // a file that is gone: the bundle no longer matches the sources
  }
}

/**
 * The compiled host's entry, when there is one and none of the files it was built from changed
 * after it was built (a developer's edit, a `git pull`, an `npm install`): else undefined, and
 * the host runs from its .ts files. Where there are no sources at all (wash's npm package,
 * wash-cli/pack.ts), the compiled host is all there is.
 */
export function currentCompiledHost(root: string = REPO_ROOT): string | undefined {
  const manifestPath = join(root, 'dist', 'host-build.json');
  const builtAt = modifiedAt(manifestPath);
  if (builtAt === undefined || modifiedAt(join(root, 'dist', 'host.js')) === undefined) return undefined;
  if (modifiedAt(join(root, 'host', 'cli.ts')) === undefined) return join(root, 'dist', 'host.js');
  let manifest: CompiledHostManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as CompiledHostManifest;
  } catch {
    return undefined; // unreadable: run the sources, which are always there
  }
  if (!Array.isArray(manifest.inputs) || manifest.inputs.length === 0) return undefined;
  for (const input of manifest.inputs) {
    const at = modifiedAt(join(root, input));
    if (at === undefined || at > builtAt) return undefined;
  }
  return join(root, 'dist', 'host.js');
}
