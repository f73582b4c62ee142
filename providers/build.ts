// Builds every provider of this project (each folder under providers/ holding a provider.json)
// into a signed `js-node` provider archive: providers/build/{folder}.par.gz. Keys live in
// providers/build/keys, so a provider keeps its public key across builds. `npm run build` runs
// this after the actors; `node providers/build.ts httpserver` builds one.

import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { loadOrCreateKeyPair } from '../lattice/key-files.ts';
import type { KeyPair } from '../lattice/keys.ts';
import { type BuiltJsProviderArchive, buildJsProviderArchive } from './packaging/mod.ts';

export const PROVIDERS_DIR = import.meta.dirname;
export const PROVIDERS_BUILD_DIR = join(PROVIDERS_DIR, 'build');
const KEYS_DIR = join(PROVIDERS_BUILD_DIR, 'keys');

/** providers/{folder}/provider.json: the claims the archive is signed with. */
export interface ProviderManifest {
  /** The contract it serves, e.g. `wasmcloud:httpserver`. */
  capabilityId: string;
  name: string;
  vendor: string;
  version: string;
  revision: number;
  /** The entry file, relative to the folder; default `index.ts`. */
  entry?: string;
}

/** The path of a provider's built archive. */
export function providerArchivePath(folder: string): string {
  return join(PROVIDERS_BUILD_DIR, `${folder}.par.gz`);
}

/** Builds providers/{folder} as its provider.json says into a signed archive at `out`. */
export async function buildProviderArchive(
  folder: string,
  signing: { issuer: KeyPair; subject: KeyPair; out: string },
): Promise<BuiltJsProviderArchive> {
  const dir = join(PROVIDERS_DIR, folder);
  const manifest = JSON.parse(await readFile(join(dir, 'provider.json'), 'utf8')) as ProviderManifest;
  return buildJsProviderArchive({
    entry: join(dir, manifest.entry ?? 'index.ts'),
    capabilityId: manifest.capabilityId,
    name: manifest.name,
    vendor: manifest.vendor,
    version: manifest.version,
    revision: manifest.revision,
    ...signing,
    compress: true,
  });
}

export async function buildProvider(folder: string): Promise<{ path: string; providerKey: string }> {
  const started = Date.now();
  const built = await buildProviderArchive(folder, {
    issuer: await loadOrCreateKeyPair(KEYS_DIR, 'providers', 'account'),
    subject: await loadOrCreateKeyPair(KEYS_DIR, folder, 'service'),
    out: providerArchivePath(folder),
  });
  const kib = Math.round(built.archive.length / 1024);
  console.log(
    `${folder}: ${kib} KiB in ${((Date.now() - started) / 1000).toFixed(1)} s → ${relative(process.cwd(), built.path)} (${built.providerKey})`,
  );
  return { path: built.path, providerKey: built.providerKey };
}

/** The folders under providers/ that hold a provider.json. */
export async function providerFolders(): Promise<string[]> {
  const entries = await readdir(PROVIDERS_DIR, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory() && existsSync(join(PROVIDERS_DIR, entry.name, 'provider.json')))
    .map((entry) => entry.name)
    .sort();
}

if (import.meta.main) {
  const only = process.argv.slice(2);
  const folders = await providerFolders();
  const unknown = only.filter((name) => !folders.includes(name));
  if (unknown.length > 0) {
    console.error(
      `error: no provider folder named ${unknown.join(', ')} (have: ${folders.join(', ') || 'none'})`,
    );
    process.exit(1);
  }
  for (const folder of only.length > 0 ? only : folders) await buildProvider(folder);
}
