// Builds the compiled host (compiled-host.ts says why): host/cli.ts → dist/host.js and
// host/runtime/worker.ts → dist/worker.js, with the code both share and what they load lazily
// (the dashboard, the built-in httpserver, worker RPC) in chunks beside them, then
// dist/host-build.json naming every file the bundle was made from. `npm run build` runs this; the
// .ts files keep working without it (host/main.ts runs them while dist/ is missing or stale).

import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Plugin } from 'esbuild';
import { bundleNodeProgram } from '../scripts/node-bundle.ts';
import { COMPILED_DIR, COMPILED_MANIFEST, type CompiledHostManifest, REPO_ROOT } from './compiled-host.ts';

/**
 * msgpackr bundled as plain JavaScript, without its native string decoder: for the host's payloads
 * (small maps) it decodes as fast, and every isolate that loads the add-on pays ~1 MB more for it
 * and the Node modules that find it, child_process among them (docs/host.md, "What an idle host
 * costs"). The host run from its .ts files still loads it.
 */
const msgpackrWithoutAddOn: Plugin = {
  name: 'msgpackr-without-add-on',
  setup(build) {
    build.onResolve({ filter: /^msgpackr$/ }, () => ({
      path: join(REPO_ROOT, 'node_modules', 'msgpackr', 'index.js'),
    }));
  },
};

export async function buildCompiledHost(): Promise<CompiledHostManifest> {
  // dist/ also holds the bundled wash (wash-*, wash-cli/build.ts), which this build leaves alone.
  if (existsSync(COMPILED_DIR))
    for (const entry of readdirSync(COMPILED_DIR))
      if (!entry.startsWith('wash')) rmSync(join(COMPILED_DIR, entry), { recursive: true, force: true });
  return bundleNodeProgram({
    root: REPO_ROOT,
    // host-main: the launcher (main.ts) for where there are no sources to run it from, wash's
    // npm package (wash-cli/pack.ts).
    entryPoints: { host: 'host/cli.ts', worker: 'host/runtime/worker.ts', 'host-main': 'host/main.ts' },
    outdir: COMPILED_DIR,
    chunkNames: 'chunk-[hash]',
    // jco's transpiler reads its WebAssembly from files beside its own module.
    external: ['@bytecodealliance/jco-transpile'],
    plugins: [msgpackrWithoutAddOn],
    manifestPath: COMPILED_MANIFEST,
  });
}

if (import.meta.main) {
  const manifest = await buildCompiledHost();
  console.log(
    `compiled host: ${relative(process.cwd(), COMPILED_DIR)}/ from ${manifest.inputs.length} files`,
  );
}
