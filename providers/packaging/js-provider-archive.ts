// Builds a signed provider archive (PAR, protocol.md §5.5) for a TypeScript provider: bundle the
// entry into one ES module, put it in as the `js-node` target, sign the claims (capability ID,
// vendor, name, version, revision and the target hash) and write the archive.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errorMessage } from '../../lattice/errors.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { createProviderArchive, JS_PROVIDER_TARGET } from '../../lattice/provider-archive.ts';
import { ProviderError } from '../sdk/errors.ts';
import { type BundleOptions, bundleJsProvider } from './bundle.ts';

export interface BuildJsProviderArchiveOptions extends BundleOptions {
  /** The provider's TypeScript (or JavaScript) entry file. */
  entry: string;
  /** The contract it serves, e.g. `wasmcloud:httpserver`. */
  capabilityId: string;
  name: string;
  vendor: string;
  version?: string | undefined;
  revision?: number | undefined;
  /** The account (A…) that signs: a KeyPair or its seed. */
  issuer: KeyPair | string;
  /** The provider's service key (V…): a KeyPair or its seed. */
  subject: KeyPair | string;
  /** Where the archive is written (directories are created). */
  out: string;
  /** Gzip the archive. Default false. */
  compress?: boolean;
}

export interface BuiltJsProviderArchive {
  path: string;
  /** The provider's public key (the claims' subject). */
  providerKey: string;
  /** The claims token inside the archive. */
  token: string;
  bundleSize: number;
  archive: Uint8Array;
}

function keyPairOf(key: KeyPair | string, kind: 'account' | 'service', role: string): KeyPair {
  if (key instanceof KeyPair) return key;
  try {
    return KeyPair.fromSeed(key, kind);
  } catch (error) {
    throw new ProviderError(
      'PACKAGING_BAD_SEED',
      `the ${role} must be a ${kind} seed: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
}

export async function buildJsProviderArchive(
  options: BuildJsProviderArchiveOptions,
): Promise<BuiltJsProviderArchive> {
  const issuer = keyPairOf(options.issuer, 'account', 'issuer');
  const subject = keyPairOf(options.subject, 'service', 'subject');
  const bundle = await bundleJsProvider(options.entry, options);
  const { bytes, token } = await createProviderArchive({
    metadata: {
      name: options.name,
      capid: options.capabilityId,
      vendor: options.vendor,
      ver: options.version,
      rev: options.revision,
    },
    binaries: new Map([[JS_PROVIDER_TARGET, bundle]]),
    issuer,
    subject,
    compress: options.compress,
  });
  await mkdir(dirname(options.out), { recursive: true });
  await writeFile(options.out, bytes);
  return {
    path: options.out,
    providerKey: subject.publicKey,
    token,
    bundleSize: bundle.length,
    archive: bytes,
  };
}
