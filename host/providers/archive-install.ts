// From a provider archive to an executable on disk (protocol.md §6.1 step 1): verify the archive
// (claims, every target hash), pick this machine's native binary or else the `js-node` bundle,
// and write it under the cache directory with `{contract}_{link}` in its name, as OTP did.

import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProviderClaims } from '../../lattice/claims.ts';
import { errorMessage, LatticeError } from '../../lattice/errors.ts';
import { PROVIDER_KEY_PATTERN } from '../../lattice/json-message.ts';
import {
  binaryHash,
  JS_PROVIDER_TARGET,
  nativeTarget,
  type ProviderArchive,
  readProviderArchive,
} from '../../lattice/provider-archive.ts';
import { ProviderStartError } from './provider-start-error.ts';

export type ProviderKind = 'native' | 'js';

/** Verifies the archive; a bad one is a ProviderStartError carrying the archive's error code. */
export async function verifyArchive(archive: Uint8Array): Promise<ProviderArchive> {
  try {
    const verified = await readProviderArchive(archive);
    if (!PROVIDER_KEY_PATTERN.test(verified.claims.sub)) {
      throw new ProviderStartError(
        'PROVIDER_BAD_SUBJECT',
        `the provider archive's claims are about ${verified.claims.sub}, which is not a provider key (V…)`,
      );
    }
    return verified;
  } catch (error) {
    if (error instanceof ProviderStartError) throw error;
    if (error instanceof LatticeError)
      throw new ProviderStartError(error.code, `invalid provider archive: ${error.message}`, {
        cause: error,
      });
    throw error;
  }
}

/** The target to run here: the native one when the archive has it, else `js-node`. */
export function chooseTarget(targets: ReadonlyMap<string, Uint8Array>): {
  target: string;
  kind: ProviderKind;
} {
  const native = nativeTarget();
  if (targets.has(native)) return { target: native, kind: 'native' };
  if (targets.has(JS_PROVIDER_TARGET)) return { target: JS_PROVIDER_TARGET, kind: 'js' };
  const available = [...targets.keys()].sort();
  throw new ProviderStartError(
    'PROVIDER_NO_TARGET',
    `archive has no binary for ${native} or ${JS_PROVIDER_TARGET}; it has ${available.length > 0 ? available.join(', ') : 'none'}`,
  );
}

/** A file-name-safe form of a contract ID or link name (`wasmcloud:httpserver` → `wasmcloud_httpserver`). */
function fileSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/**
 * Writes the binary to run: `{cacheDir}/{providerKey}/{hash prefix}/{contract}_{link}[.mjs]`. The
 * hash in the path keeps two builds of one provider apart; the write goes through a temporary
 * file and a rename, so a running process never sees a half-written file.
 */
export async function writeProviderBinary(
  claims: ProviderClaims,
  binary: Uint8Array,
  kind: ProviderKind,
  linkName: string,
  cacheDir: string,
): Promise<string> {
  const dir = join(cacheDir, claims.sub, binaryHash(binary).slice(0, 16));
  const path = join(
    dir,
    `${fileSafe(claims.wascap.capid)}_${fileSafe(linkName)}${kind === 'js' ? '.mjs' : ''}`,
  );
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(temporary, binary, { mode: kind === 'native' ? 0o755 : 0o644 });
    await rename(temporary, path);
  } catch (error) {
    throw new ProviderStartError(
      'PROVIDER_CACHE_WRITE_FAILED',
      `cannot write provider ${claims.sub} to ${dir}: ${errorMessage(error)}`,
      { cause: error },
    );
  }
  return path;
}
