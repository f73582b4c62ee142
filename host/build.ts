// Builds the compiled host (compiled-host.ts says why): host/cli.ts → dist/host.js and
// host/runtime/worker.ts → dist/worker.js, with the code both share and what they load lazily
// (the dashboard, the built-in httpserver, worker RPC) in chunks beside them, then
// dist/host-build.json naming every file the bundle was made from. `npm run build` runs this; the
// .ts files keep working without it (host/main.ts runs them while dist/ is missing or stale).

import { rmSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { build } from 'esbuild';
import { COMPILED_DIR, COMPILED_MANIFEST, type CompiledHostManifest, REPO_ROOT } from './compiled-host.ts';

// CommonJS dependencies (nats, fastify) call `require`; an ES module has none, so the bundle makes one.
const REQUIRE_SHIM =
  "import { createRequire as __hostCreateRequire } from 'node:module';\n" +
  'const require = __hostCreateRequire(import.meta.url);';

/**
 * Left in node_modules and loaded from there: jco's transpiler reads its WebAssembly from files
 * beside its own module, and msgpackr finds its native add-on from its own folder.
 */
const EXTERNAL = ['@bytecodealliance/jco-transpile', 'msgpackr'];

export async function buildCompiledHost(): Promise<CompiledHostManifest> {
  rmSync(COMPILED_DIR, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: { host: 'host/cli.ts', worker: 'host/runtime/worker.ts' },
    outdir: COMPILED_DIR,
    chunkNames: 'chunk-[hash]',
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    external: EXTERNAL,
    // Smaller source held in memory by every isolate; names kept for stack traces and error classes.
    minify: true,
    keepNames: true,
    legalComments: 'none',
    banner: { js: REQUIRE_SHIM },
    metafile: true,
    logLevel: 'warning',
  });
  const manifest: CompiledHostManifest = {
    inputs: Object.keys(result.metafile.inputs)
      .map((input) => relative(REPO_ROOT, input.replace(/^[a-z-]+:/, '')))
      .sort(),
  };
  // Last: a build that failed part-way leaves no manifest, and no compiled host to run.
  writeFileSync(COMPILED_MANIFEST, `${JSON.stringify(manifest, null, 1)}\n`);
  return manifest;
}

if (import.meta.main) {
  const manifest = await buildCompiledHost();
  console.log(
    `compiled host: ${relative(process.cwd(), COMPILED_DIR)}/ from ${manifest.inputs.length} files`,
  );
}
