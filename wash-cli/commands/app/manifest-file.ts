// Reading a manifest file for `wash app put` and `wash app deploy <file>`. The bytes go to the
// controller as they are (it parses and validates both YAML and JSON, wadm.md §2); wash only checks
// that there is a readable, non-empty file of a size NATS will carry, and says which when not.

import { readFile, stat } from 'node:fs/promises';
import { errorCode, errorMessage } from '../../../lattice/errors.ts';
import { MAX_MANIFEST_BYTES } from '../../../lattice/wadm-api.ts';
import { WashError } from '../../errors.ts';

/** What names a manifest file rather than an application: application names have no dots. */
const MANIFEST_EXTENSION = /\.(ya?ml|json)$/i;

export function looksLikeManifestFile(argument: string): boolean {
  return MANIFEST_EXTENSION.test(argument);
}

/** What a person is told, and the code scripts get, for a file that could not be read. */
function unreadable(path: string, error: unknown): WashError {
  const code = errorCode(error);
  const problem = (
    washCode: 'WASH_FILE_NOT_FOUND' | 'WASH_FILE_UNREADABLE' | 'WASH_BAD_FILE',
    reason: string,
  ) => new WashError(washCode, `cannot read manifest ${path}: ${reason}`, { cause: error });
  if (code === 'ENOENT') return problem('WASH_FILE_NOT_FOUND', 'no such file');
  if (code === 'EACCES' || code === 'EPERM') return problem('WASH_FILE_UNREADABLE', 'permission denied');
  if (code === 'EISDIR') return problem('WASH_BAD_FILE', 'it is a directory');
  return problem('WASH_FILE_UNREADABLE', errorMessage(error));
}

export async function readManifestFile(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    if (info.size > MAX_MANIFEST_BYTES) {
      throw new WashError(
        'WASH_BAD_FILE',
        `cannot put ${path}: ${info.size} bytes, more than the ${MAX_MANIFEST_BYTES} a manifest may have`,
      );
    }
    bytes = await readFile(path);
  } catch (error) {
    if (error instanceof WashError) throw error;
    throw unreadable(path, error);
  }
  if (bytes.byteLength === 0 || new TextDecoder().decode(bytes).trim() === '') {
    throw new WashError('WASH_BAD_FILE', `manifest ${path} is empty`);
  }
  return bytes;
}
