// Blobs on disk by digest (`{dir}/sha256/{hex}`): a pulled layer is kept once and read back
// instead of being downloaded again. Every read is hashed again, so a damaged or altered file is
// dropped and fetched anew rather than used. Writes go to a temporary name, then a rename, so
// processes sharing the directory never see half a file. With `maxBytes` the cache is bounded:
// after each write the blobs used longest ago (a read touches its file's mtime) are removed until
// the rest fit. Beside the blobs, `{dir}/refs/` remembers what each reference last resolved to
// (manifest and layer digests), so a host can start from the cache when the registry is unreachable.

import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { sha256Digest } from './digest.ts';
import { OciError } from './errors.ts';

export interface BlobCacheOptions {
  /** The most bytes of blobs kept; the least recently used go first. Unbounded without it. */
  maxBytes?: number | undefined;
}

/** What a reference resolved to at its last pull. */
const resolvedRefSchema = z.object({
  reference: z.string(),
  manifestDigest: z.string(),
  layerDigest: z.string(),
  /** The artifact kind the layer's media type said, when it said one. */
  kind: z.enum(['actor', 'provider']).optional(),
});
export type ResolvedRef = z.output<typeof resolvedRefSchema>;

export class BlobCache {
  readonly dir: string;
  readonly maxBytes: number;

  constructor(dir: string, options: BlobCacheOptions = {}) {
    this.dir = dir;
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  }

  pathOf(digest: string): string {
    const [algorithm, hex] = digest.split(':');
    if (algorithm !== 'sha256' || hex === undefined || !/^[0-9a-f]{64}$/.test(hex)) {
      throw new OciError('OCI_BAD_DIGEST', `not a sha256 digest: ${digest}`);
    }
    return join(this.dir, algorithm, hex);
  }

  /** The blob's bytes when cached and intact; undefined otherwise. A hit counts as a use (LRU). */
  async get(digest: string): Promise<Uint8Array | undefined> {
    const path = this.pathOf(digest);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch {
      return undefined;
    }
    if (sha256Digest(bytes) !== digest) {
      await rm(path, { force: true });
      return undefined;
    }
    const now = new Date();
    // Only the eviction order suffers when the time cannot be set (a read-only cache).
    await utimes(path, now, now).catch(() => undefined);
    return bytes;
  }

  /** Keeps verified bytes, then evicts down to `maxBytes`. A cache that cannot be written only costs a download next time. */
  async put(digest: string, bytes: Uint8Array): Promise<boolean> {
    const path = this.pathOf(digest);
    const temporary = `${path}.${randomUUID()}.partial`;
    try {
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(temporary, bytes);
      await rename(temporary, path);
    } catch {
      // Not even the partial file could be removed: the next put of this digest writes another.
      await rm(temporary, { force: true }).catch(() => undefined);
      return false;
    }
    if (Number.isFinite(this.maxBytes)) await this.#evict(path);
    return true;
  }

  /** Removes the blobs used longest ago until the rest fit in `maxBytes` (never `keep`, just written). */
  async #evict(keep: string): Promise<void> {
    const folder = join(this.dir, 'sha256');
    const blobs: Array<{ path: string; size: number; usedAt: number }> = [];
    for (const name of await readdir(folder).catch(() => [] as string[])) {
      if (!/^[0-9a-f]{64}$/.test(name)) continue; // a write in progress
      const path = join(folder, name);
      // Removed meanwhile by another host sharing the folder: nothing to count.
      const info = await stat(path).catch(() => undefined);
      if (info !== undefined) blobs.push({ path, size: info.size, usedAt: info.mtimeMs });
    }
    let total = blobs.reduce((sum, blob) => sum + blob.size, 0);
    blobs.sort((a, b) => a.usedAt - b.usedAt);
    for (const blob of blobs) {
      if (total <= this.maxBytes) break;
      if (blob.path === keep) continue;
      await rm(blob.path, { force: true });
      total -= blob.size;
    }
  }

  #refPath(reference: string): string {
    return join(this.dir, 'refs', `${createHash('sha256').update(reference).digest('hex')}.json`);
  }

  /** Remembers what `reference` resolved to (after a pull). Best effort, as blobs are. */
  async putRef(resolved: ResolvedRef): Promise<void> {
    const path = this.#refPath(resolved.reference);
    const temporary = `${path}.${randomUUID()}.partial`;
    try {
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(temporary, JSON.stringify(resolved));
      await rename(temporary, path);
    } catch {
      // Only the offline start of this reference is lost.
      await rm(temporary, { force: true }).catch(() => undefined);
    }
  }

  /** What `reference` resolved to at its last pull through this cache; undefined when unknown or unreadable. */
  async getRef(reference: string): Promise<ResolvedRef | undefined> {
    let text: string;
    try {
      text = await readFile(this.#refPath(reference), 'utf8');
    } catch {
      return undefined;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return undefined; // a damaged record: the registry must be reached again
    }
    const parsed = resolvedRefSchema.safeParse(value);
    return parsed.success && parsed.data.reference === reference ? parsed.data : undefined;
  }
}
