// Bundles one of the project's Node programs (the compiled host, host/build.ts; wash,
// wash-cli/build.ts) into plain JavaScript beside the repository's other folders, in dist/, and
// writes a manifest naming every file the bundle was made from: the program's launcher compares
// their modification times with the manifest's to run the bundle only while it is current.

import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { build, type Plugin } from 'esbuild';

export interface NodeBundle {
  /** The repository: where entry points are found and manifest paths are relative to. */
  root: string;
  entryPoints: Record<string, string>;
  outdir: string;
  chunkNames: string;
  /** Packages left in node_modules (they find files beside themselves, or have native parts). */
  external: string[];
  plugins?: Plugin[];
  /** Written last, so a build that failed part-way leaves none and the sources run. */
  manifestPath: string;
}

export interface BundleManifest {
  inputs: string[];
}

export async function bundleNodeProgram(options: NodeBundle): Promise<BundleManifest> {
  const result = await build({
    absWorkingDir: options.root,
    entryPoints: options.entryPoints,
    outdir: options.outdir,
    chunkNames: options.chunkNames,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    external: options.external,
    plugins: options.plugins ?? [],
    // Smaller source held in memory by every isolate; names kept for stack traces and error classes.
    minify: true,
    keepNames: true,
    legalComments: 'none',
    // CommonJS dependencies (nats, fastify, commander) call `require`; an ES module has none.
    banner: {
      js: "import { createRequire as __bundleCreateRequire } from 'node:module';\nconst require = __bundleCreateRequire(import.meta.url);",
    },
    metafile: true,
    logLevel: 'warning',
  });
  const manifest: BundleManifest = {
    inputs: Object.keys(result.metafile.inputs)
      .map((input) => relative(options.root, input.replace(/^[a-z-]+:/, '')))
      .sort(),
  };
  writeFileSync(options.manifestPath, `${JSON.stringify(manifest, null, 1)}\n`);
  return manifest;
}
