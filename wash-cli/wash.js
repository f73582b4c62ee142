#!/usr/bin/env -S node --min-semi-space-size=16
// The `wash` executable (package.json "bin"). Plain JavaScript on purpose, so nothing here pays for
// Node's type stripper: it turns on Node's module compile cache (V8 code cached in the OS temp
// folder, or in NODE_COMPILE_CACHE), then runs the bundled wash in dist/ (wash-cli/build.ts, made
// by `npm run build`) while none of the files it was made from changed since, else the .ts
// sources (docs/wash.md, "Start-up time"). The first line's flag starts V8's young generation at
// 16 MB: a command allocates ~15 MB while it loads, which the default would collect six times.

import { readFileSync, statSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { join } from 'node:path';

// An older Node found first on PATH (running node_modules/.bin/wash directly) cannot run the
// TypeScript or the bundle's syntax: say which Node to use rather than fail on a missing export.
const nodeMajor = Number(process.versions.node.split('.')[0]);
if (nodeMajor < 24) {
  process.stderr.write(
    `error: wash needs Node 24 or later; this is Node ${process.version} (${process.execPath}). ` +
      "Run it as `npx wash`, which finds the project's own Node 24, or put node_modules/.bin first on PATH.\n",
  );
  process.exit(1);
}
nodeModule.enableCompileCache?.();
// wash build strips TypeScript with node:module's stripTypeScriptTypes, which warns "experimental"
// on every build; that line would sit between wash dev's status lines and means nothing to a user.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) =>
  String(warning).includes('stripTypeScriptTypes') ? undefined : emitWarning.call(process, warning, ...rest);

const REPO_DIR = join(import.meta.dirname, '..');

/** When the file was last changed, or undefined when it is gone. */
function modifiedAt(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * dist/wash.js when it was built after every file it was made from changed (an edit, a pull), or
 * when there are no sources to run (wash's npm package, wash-cli/pack.ts).
 */
function currentBundle() {
  if (modifiedAt(join(REPO_DIR, 'wash-cli', 'main.ts')) === undefined)
    return join(REPO_DIR, 'dist', 'wash.js');
  const manifestPath = join(REPO_DIR, 'dist', 'wash-build.json');
  const builtAt = modifiedAt(manifestPath);
  if (builtAt === undefined) return undefined;
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(manifestPath, 'utf8')).inputs;
  } catch {
    return undefined; // unreadable: run the sources, which are always there
  }
  if (!Array.isArray(inputs) || inputs.length === 0) return undefined;
  for (const input of inputs) {
    const at = modifiedAt(join(REPO_DIR, input));
    if (at === undefined || at > builtAt) return undefined;
  }
  return join(REPO_DIR, 'dist', 'wash.js');
}

const bundle = currentBundle();
const { buildProgram } = await import(bundle ?? './main.ts');
await (await buildProgram(process.argv)).parseAsync(process.argv);
