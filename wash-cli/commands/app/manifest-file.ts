// Reading a manifest file for `wash app put` and `wash app deploy <file>`. The bytes go to the
// controller as they are (it parses and validates both YAML and JSON, wadm.md §2); wash only checks
// that there is a readable, non-empty file of a size NATS will carry, and says which when not.

import { readFile, stat } from 'node:fs/promises';
import { AppCommandError } from './client.ts';

/** What names a manifest file rather than an application: application names have no dots. */
const MANIFEST_EXTENSION = /\.(ya?ml|json)$/i;

/** NATS's default max_payload is 1 MiB; a manifest is a few KB. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

export function looksLikeManifestFile(argument: string): boolean {
  return MANIFEST_EXTENSION.test(argument);
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return error instanceof Error ? error.message : String(error);
}

export async function readManifestFile(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    if (info.size > MAX_MANIFEST_BYTES) {
      throw new AppCommandError(
        'APP_MANIFEST_TOO_LARGE',
        `cannot put ${path}: ${info.size} bytes, more than the ${MAX_MANIFEST_BYTES} a manifest may have`,
      );
    }
    bytes = await readFile(path);
  } catch (error) {
    if (error instanceof AppCommandError) throw error;
    throw new AppCommandError('APP_MANIFEST_UNREADABLE', `cannot read manifest ${path}: ${reasonOf(error)}`, {
      cause: error,
    });
  }
  if (bytes.byteLength === 0 || new TextDecoder().decode(bytes).trim() === '') {
    throw new AppCommandError('APP_MANIFEST_EMPTY', `manifest ${path} is empty`);
  }
  return bytes;
}
