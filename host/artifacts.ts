// Where actor modules and provider archives come from. A reference is a file path (absolute,
// relative to the host's working directory, or a `file://` URL). OCI references are recognised and
// refused with a clear message until OCI distribution lands (the providers issue).

import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Artifacts larger than this are refused before they are read (a provider binary can be big). */
export const MAX_ARTIFACT_BYTES = 256 * 1024 * 1024;

export class ArtifactError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = 'ArtifactError';
  }
}

/** An OCI reference looks like `registry[:port]/repo[:tag|@digest]` and is not an existing path. */
function looksLikeOciRef(ref: string): boolean {
  return /^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+([:@][\w.:-]+)?$/i.test(ref) && !ref.startsWith('.');
}

function pathOf(ref: string): string {
  if (ref.startsWith('file://')) return fileURLToPath(ref);
  return isAbsolute(ref) ? ref : resolve(ref);
}

/** Reads the bytes a reference names; throws an ArtifactError saying what was wrong. */
export async function fetchArtifact(ref: string): Promise<Uint8Array> {
  const path = pathOf(ref);
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ArtifactError('ARTIFACT_NOT_A_FILE', `${ref} is not a file`);
    size = info.size;
  } catch (error) {
    if (error instanceof ArtifactError) throw error;
    if (!ref.startsWith('/') && !ref.startsWith('file://') && looksLikeOciRef(ref)) {
      throw new ArtifactError(
        'ARTIFACT_OCI_UNSUPPORTED',
        `${ref} looks like an OCI reference; this host starts actors and providers from files only so far`,
      );
    }
    throw new ArtifactError('ARTIFACT_NOT_FOUND', `cannot read ${ref}: no such file`);
  }
  if (size > MAX_ARTIFACT_BYTES) {
    throw new ArtifactError(
      'ARTIFACT_TOO_LARGE',
      `${ref} is ${size} bytes, over the limit of ${MAX_ARTIFACT_BYTES}`,
    );
  }
  return new Uint8Array(await readFile(path));
}
