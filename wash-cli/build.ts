// Bundles wash (main.ts and every command group it loads lazily) into plain JavaScript in dist/:
// dist/wash.js, its chunks (dist/wash-chunk-*.js, one per lazily loaded group or shared part) and
// dist/wash-build.json naming every file the bundle was made from. wash.js runs the bundle while
// it is current, else the .ts files. Why (issue 18, item 5; `npm run bench -- wash-startup`): a
// command resolves and compiles a handful of files instead of ~300, and nats and zod load as one
// module each (bundled zod costs ~15 ms where its 100 files cost ~75 ms).
//
// `npm run build` runs this after host/build.ts, which leaves the wash-* files in dist/ alone, and
// then packs wash's npm package (pack.ts) from both bundles.

import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type BundleManifest, bundleNodeProgram } from '../scripts/node-bundle.ts';
import { REPO_DIR } from './install-paths.ts';

const OUT_DIR = join(REPO_DIR, 'dist');

/**
 * Left in node_modules: the WebAssembly toolchains read files beside their own modules, and
 * esbuild and msgpackr have native parts found from their own folders.
 */
const EXTERNAL_PACKAGES = ['@bytecodealliance/*', 'esbuild', 'msgpackr'];

export async function buildWashBundle(): Promise<BundleManifest> {
  mkdirSync(OUT_DIR, { recursive: true });
  for (const file of readdirSync(OUT_DIR, { withFileTypes: true }).filter((entry) => entry.isFile()))
    if (file.name.startsWith('wash')) rmSync(join(OUT_DIR, file.name));
  return bundleNodeProgram({
    root: REPO_DIR,
    // The controller and the provider SDK too, for wash's npm package (pack.ts), where no sources run.
    entryPoints: {
      wash: 'wash-cli/main.ts',
      'wash-controller': 'controller/main.ts',
      'wash-provider-sdk': 'wash-cli/provider-sdk.ts',
    },
    outdir: OUT_DIR,
    chunkNames: 'wash-chunk-[hash]',
    external: EXTERNAL_PACKAGES,
    manifestPath: join(OUT_DIR, 'wash-build.json'),
  });
}

if (import.meta.main) {
  const manifest = await buildWashBundle();
  console.log(`bundled wash: dist/wash.js from ${manifest.inputs.length} files`);
  const { packWash } = await import('./pack.ts');
  const packed = await packWash();
  console.log(`wash's npm package: ${packed.tarball} (${(packed.bytes / 1024 / 1024).toFixed(1)} MiB)`);
}
