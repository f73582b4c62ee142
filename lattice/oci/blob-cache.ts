// Blobs on disk by digest (`{dir}/sha256/{hex}`): a pulled layer is kept once and read back
// instead of being downloaded again. Every read is hashed again, so a damaged or altered file is
// dropped and fetched anew rather than used. Writes go to a temporary name, then a rename, so
// processes sharing the directory never see half a file.

import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Digest } from './digest.ts';
import { OciError } from './errors.ts';

export class BlobCache {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  pathOf(digest: string): string {
    const [algorithm, hex] = digest.split(':');
    if (algorithm !== 'sha256' || hex === undefined || !/^[0-9a-f]{64}$/.test(hex)) {
      throw new OciError('OCI_BAD_DIGEST', `not a sha256 digest: ${digest}`);
    }
    return join(this.dir, algorithm, hex);
  }

  /** The blob's bytes when cached and intact; undefined otherwise. */
  async get(digest: string): Promise<Uint8Array | undefined> {
    const path = this.pathOf(digest);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch {
      return undefined;
    }
    if (sha256Digest(bytes) === digest) return bytes;
    await rm(path, { force: true });
    return undefined;
  }

  /** Keeps verified bytes. A cache that cannot be written only costs a download next time. */
  async put(digest: string, bytes: Uint8Array): Promise<boolean> {
    const path = this.pathOf(digest);
    const temporary = `${path}.${randomUUID()}.partial`;
    try {
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(temporary, bytes);
      await rename(temporary, path);
      return true;
    } catch {
      // Not even the partial file could be removed: the next put of this digest writes another.
      await rm(temporary, { force: true }).catch(() => undefined);
      return false;
    }
  }
}
