// wash's npm package, which `wash new` puts in each project it makes (vendor/wash-{version}.tgz,
// installed by the project's `npm install`): wash, the host and controller `wash dev` and `wash
// up` start, the provider SDK (`wash/provider-sdk`) and the dashboard's page, as the bundles
// `npm run build` makes in dist/, so a project needs no checkout of this repository (issue 18,
// item 4). The package mirrors the checkout's layout (wash-cli/wash.js, dist/, dashboard/public/),
// so the paths the bundles find beside themselves hold in both; with no .ts sources in it, wash.js
// and the host's launcher run the bundles as they are. Node refuses to strip types under
// node_modules, which is one more reason the package holds JavaScript only.

import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_DIR } from './install-paths.ts';

const DIST_DIR = join(REPO_DIR, 'dist');
const PACKAGE_DIR = join(DIST_DIR, 'wash-package');

/**
 * What the bundles leave in node_modules (wash-cli/build.ts, host/build.ts), at the versions this
 * checkout installs: the WebAssembly toolchains, esbuild (syntax checks, provider archives) and
 * msgpackr (its native codec); and Node 24, which wash and the host need.
 */
const RUNTIME_PACKAGES = [
  '@bytecodealliance/componentize-js',
  '@bytecodealliance/jco',
  '@bytecodealliance/jco-transpile',
  'esbuild',
  'msgpackr',
];

interface PackageJson {
  name: string;
  version: string;
  description?: string;
  license?: string;
}

function readPackageJson(path: string): PackageJson {
  return JSON.parse(readFileSync(path, 'utf8')) as PackageJson;
}

/** The file name `wash new` vendors: npm pack's name for the package. */
export function washTarballName(): string {
  return `wash-${readPackageJson(join(REPO_DIR, 'wash-cli', 'package.json')).version}.tgz`;
}

export interface PackedWash {
  tarball: string;
  bytes: number;
}

/** Writes dist/wash-package/ from the bundles in dist/ and packs it into dist/wash-{version}.tgz. */
export async function packWash(): Promise<PackedWash> {
  const wash = readPackageJson(join(REPO_DIR, 'wash-cli', 'package.json'));
  const repo = readPackageJson(join(REPO_DIR, 'package.json'));
  rmSync(PACKAGE_DIR, { recursive: true, force: true });
  mkdirSync(join(PACKAGE_DIR, 'dist'), { recursive: true });
  for (const file of readdirSync(DIST_DIR, { withFileTypes: true }))
    if (file.isFile() && /\.js$|^host-build\.json$/.test(file.name))
      cpSync(join(DIST_DIR, file.name), join(PACKAGE_DIR, 'dist', file.name));
  cpSync(join(REPO_DIR, 'wash-cli', 'wash.js'), join(PACKAGE_DIR, 'wash-cli', 'wash.js'));
  cpSync(join(REPO_DIR, 'dashboard', 'public'), join(PACKAGE_DIR, 'dashboard', 'public'), {
    recursive: true,
  });
  const dependencies: Record<string, string> = {};
  for (const name of RUNTIME_PACKAGES)
    dependencies[name] = readPackageJson(join(REPO_DIR, 'node_modules', name, 'package.json')).version;
  const nodeVersion = readPackageJson(join(REPO_DIR, 'node_modules', 'node', 'package.json')).version;
  const manifest = {
    name: wash.name,
    version: wash.version,
    description: `${wash.description} Packed from a wasmcloud-ts checkout by wash-cli/pack.ts.`,
    license: repo.license,
    type: 'module',
    bin: { wash: 'wash-cli/wash.js' },
    exports: { './provider-sdk': './dist/wash-provider-sdk.js', './package.json': './package.json' },
    engines: { node: `>=${nodeVersion}` },
    dependencies,
  };
  writeFileSync(join(PACKAGE_DIR, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(
    join(PACKAGE_DIR, 'README.md'),
    `# wash ${wash.version}\n\nwasmcloud-ts's wash, host and provider SDK, bundled (docs/first-actor.md in the wasmcloud-ts repository).\n`,
  );
  const tarball = join(DIST_DIR, washTarballName());
  rmSync(tarball, { force: true });
  await promisify(execFile)('npm', ['pack', PACKAGE_DIR, '--pack-destination', DIST_DIR, '--silent'], {
    cwd: DIST_DIR,
  });
  return { tarball, bytes: statSync(tarball).size };
}

/** When the file was last changed, or undefined when it is gone. */
function modifiedAt(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Whether the tarball was packed after every file the host's and wash's bundles were made from. */
function tarballIsCurrent(tarball: string): boolean {
  const packedAt = modifiedAt(tarball);
  if (packedAt === undefined) return false;
  for (const manifest of ['host-build.json', 'wash-build.json']) {
    let inputs: unknown;
    try {
      inputs = (JSON.parse(readFileSync(join(DIST_DIR, manifest), 'utf8')) as { inputs?: unknown }).inputs;
    } catch {
      return false;
    }
    if (!Array.isArray(inputs)) return false;
    for (const input of inputs) {
      const at = typeof input === 'string' ? modifiedAt(join(REPO_DIR, input)) : undefined;
      if (at === undefined || at > packedAt) return false;
    }
  }
  return true;
}

/** dist/wash-{version}.tgz when it was packed after every source of the bundles it holds changed. */
export function currentWashTarball(): string | undefined {
  const tarball = join(DIST_DIR, washTarballName());
  return tarballIsCurrent(tarball) ? tarball : undefined;
}

/**
 * Builds the host's and wash's bundles and packs dist/wash-{version}.tgz, as `npm run build` does
 * (~10 s), in child processes: the host's build is the host's own (wash never imports host/), and
 * each runs from the sources.
 */
export async function rebuildWashTarball(): Promise<string> {
  const run = promisify(execFile);
  await run(process.execPath, [join(REPO_DIR, 'host', 'build.ts')], { cwd: REPO_DIR });
  await run(process.execPath, [join(REPO_DIR, 'wash-cli', 'build.ts')], { cwd: REPO_DIR });
  return join(DIST_DIR, washTarballName());
}
