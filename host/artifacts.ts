// Where actor modules and provider archives come from. A reference is a file path (absolute,
// relative to the host's working directory, or a `file://` URL) or, when no such file exists, an
// OCI reference (`registry[:port]/repository[:tag|@digest]`) pulled from its registry.
// Files are read only where the FileLoadPolicy allows (WASMCLOUD_ALLOW_FILE_LOAD, off by default):
// `file://…`, absolute and `./…` references are refused otherwise, and other references are then
// OCI references only, so no refusal depends on whether a file exists. OCI references:
// - `latest` (named, or implied by no tag) is refused unless WASMCLOUD_OCI_ALLOW_LATEST;
// - registries are spoken to over HTTPS, except those in WASMCLOUD_OCI_ALLOWED_INSECURE;
// - credentials come from `registries.put` and OCI_REGISTRY / _USER / _PASSWORD, read at each pull;
// - the manifest is asked for on every start (tags move); layers are cached by digest, in a folder
//   that outlives the host (WASMCLOUD_ARTIFACT_CACHE_DIR, bounded by _MAX_BYTES, least recently used
//   evicted). Only when the registry cannot be reached at all is the digest the reference resolved
//   to last time used instead, from the cache (logged as `offline`).
// An artifact started from a registry is recorded in the lattice's refmap (ref → public key).

import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RegistryCredential } from '../lattice/control.ts';
import { errorFields, errorMessage } from '../lattice/errors.ts';
import type { Logger } from '../lattice/log.ts';
import { BlobCache } from '../lattice/oci/blob-cache.ts';
import { OciError } from '../lattice/oci/errors.ts';
import type { ArtifactKind } from '../lattice/oci/media-types.ts';
import { DEFAULT_MAX_ARTIFACT_BYTES, OciClient } from '../lattice/oci/oci-client.ts';
import { normalizeRegistryName, parseOciReference, refuseLatest } from '../lattice/oci/reference.ts';
import type { RegistryCredentials } from '../lattice/oci/registry-session.ts';
import { ArtifactError } from './artifact-error.ts';
import type { EventPublisher } from './events.ts';
import { FileLoadPolicy } from './file-load-policy.ts';
import type { LatticeData } from './lattice-data.ts';

/** Artifacts larger than this are refused before they are read (a provider binary can be big). */
export const MAX_ARTIFACT_BYTES = DEFAULT_MAX_ARTIFACT_BYTES;

export type { ArtifactKind };
export { ArtifactError };

export interface OciSettings {
  allowLatest: boolean;
  allowedInsecure: readonly string[];
  /** Pulled layers, by digest, and what each reference last resolved to (lattice/oci/blob-cache.ts). */
  cacheDir: string;
  /** The most bytes of layers kept there; the least recently used go first. Unbounded without it. */
  cacheMaxBytes?: number | undefined;
  /** By registry (`host[:port]`, a scheme in front is ignored); read at every pull, so updates apply. */
  registries: ReadonlyMap<string, RegistryCredential>;
}

export interface FetchedArtifact {
  bytes: Uint8Array;
  /** The reference as given, when the bytes came from a registry. */
  ociRef: string | undefined;
}

const HINTS = {
  insecure: 'add it to WASMCLOUD_OCI_ALLOWED_INSECURE (--allowed-insecure)',
  credentials:
    'send them with registries.put, or start the host with OCI_REGISTRY, OCI_REGISTRY_USER and OCI_REGISTRY_PASSWORD',
  latest: 'WASMCLOUD_OCI_ALLOW_LATEST=true (--allow-latest)',
};

function pathOf(ref: string): string {
  if (ref.startsWith('file://')) return fileURLToPath(ref);
  return isAbsolute(ref) ? ref : resolve(ref);
}

/** The size of the file at `path`, or undefined when there is none. */
async function fileSize(ref: string, path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ArtifactError('ARTIFACT_NOT_A_FILE', `${ref} is not a file`);
    return info.size;
  } catch (error) {
    if (error instanceof ArtifactError) throw error;
    return undefined;
  }
}

/** Reads the artifact file at `path` (checked already) that `ref` names; throws an ArtifactError saying what was wrong. */
async function readArtifactFile(ref: string, path: string): Promise<Uint8Array> {
  const size = await fileSize(ref, path);
  if (size === undefined) throw new ArtifactError('ARTIFACT_NOT_FOUND', `cannot read ${ref}: no such file`);
  if (size > MAX_ARTIFACT_BYTES) {
    throw new ArtifactError(
      'ARTIFACT_TOO_LARGE',
      `${ref} is ${size} bytes, over the limit of ${MAX_ARTIFACT_BYTES}`,
    );
  }
  return new Uint8Array(await readFile(path));
}

/** Only a bare path can be an OCI reference: `file://…`, absolute and `./…` name files. */
function isFileReference(ref: string): boolean {
  return ref.startsWith('file://') || isAbsolute(ref) || ref.startsWith('.');
}

function credentialsFor(
  registries: ReadonlyMap<string, RegistryCredential>,
  registry: string,
): RegistryCredentials | undefined {
  for (const [server, credential] of registries) {
    if (server.startsWith('bindle://') || credential.registryType === 'bindle') continue;
    if (normalizeRegistryName(server) !== registry) continue;
    const { username, password, token } = credential;
    if (username !== undefined || token !== undefined) return { username, password, token };
  }
  return undefined;
}

/** Fetches artifacts for the host and records the OCI ones it started in the lattice refmap. */
export class ArtifactSource {
  readonly #oci: OciSettings;
  readonly #cache: BlobCache;
  readonly #data: Pick<LatticeData, 'putRefmap'>;
  readonly #events: EventPublisher;
  readonly #log: Logger;
  readonly #files: FileLoadPolicy;

  constructor(
    oci: OciSettings,
    data: Pick<LatticeData, 'putRefmap'>,
    events: EventPublisher,
    log: Logger,
    files: FileLoadPolicy = new FileLoadPolicy({ allowed: false, directories: [] }),
  ) {
    this.#oci = oci;
    this.#cache = new BlobCache(oci.cacheDir, { maxBytes: oci.cacheMaxBytes });
    this.#data = data;
    this.#events = events;
    this.#log = log;
    this.#files = files;
  }

  /** The bytes `ref` names: an allowed file when one exists there, else a pull of `kind` from a registry. */
  async fetch(ref: string, kind: ArtifactKind): Promise<FetchedArtifact> {
    if (isFileReference(ref)) {
      let path: string;
      try {
        path = pathOf(ref);
      } catch (error) {
        if (!this.#files.allowed) throw this.#files.refusal(ref);
        throw new ArtifactError('ARTIFACT_BAD_REFERENCE', `cannot read ${ref}: ${errorMessage(error)}`);
      }
      // The policy is decided before the filesystem is touched: a refusal says nothing of what exists.
      return { bytes: await readArtifactFile(ref, await this.#files.check(ref, path)), ociRef: undefined };
    }
    // A bare reference is a file only where files are allowed and one exists; else an OCI reference.
    const fileAllowed = await this.#files.permits(resolve(ref));
    if (fileAllowed) {
      const path = await this.#files.check(ref, resolve(ref));
      if ((await fileSize(ref, path)) !== undefined) {
        return { bytes: await readArtifactFile(ref, path), ociRef: undefined };
      }
    }
    let reference: ReturnType<typeof parseOciReference>;
    try {
      reference = parseOciReference(ref);
    } catch (error) {
      // A ref whose first part looks like a host was most likely meant for a registry: say why it is not one.
      const first = ref.split('/')[0] ?? '';
      const why = /[.:]|^localhost$/.test(first) && ref.includes('/') ? `; ${errorMessage(error)}` : '';
      // Not an OCI reference, so maybe a file: refused as any file reference would be, where files are.
      if (!fileAllowed) {
        throw new ArtifactError('ARTIFACT_FILE_NOT_ALLOWED', `${this.#files.refusal(ref).message}${why}`);
      }
      throw new ArtifactError('ARTIFACT_NOT_FOUND', `cannot read ${ref}: no such file${why}`);
    }
    try {
      refuseLatest(reference, this.#oci.allowLatest, HINTS.latest);
      const client = new OciClient({
        insecureRegistries: this.#oci.allowedInsecure,
        credentials: (registry) => credentialsFor(this.#oci.registries, registry),
        hints: HINTS,
        userAgent: 'wasmcloud-ts-host',
      });
      const pulled = await client.pull(reference, { kinds: [kind], cache: this.#cache });
      this.#log.info(`pulled ${ref}`, {
        digest: pulled.manifestDigest,
        layer: pulled.layerDigest,
        cached: pulled.fromCache,
        ...(pulled.offline === true ? { offline: true } : {}),
      });
      if (pulled.offline === true)
        this.#log.warn(`registry unreachable: started ${ref} from the artifact cache, as last resolved`, {
          digest: pulled.manifestDigest,
        });
      return { bytes: pulled.bytes, ociRef: ref };
    } catch (error) {
      if (!(error instanceof OciError)) throw error;
      throw new ArtifactError(error.code, `cannot pull ${ref}: ${error.message}`, { cause: error });
    }
  }

  /**
   * After an artifact from a registry started: writes the refmap entry (so its ref can stand for
   * its key lattice-wide) and publishes `refmap_set`. The start has happened; a failure is logged.
   */
  async recordStarted(fetched: FetchedArtifact, publicKey: string): Promise<void> {
    if (fetched.ociRef === undefined) return;
    try {
      await this.#data.putRefmap(fetched.ociRef, publicKey);
      this.#events.publish('refmap_set', { oci_url: fetched.ociRef, public_key: publicKey });
    } catch (error) {
      this.#log.warn(
        `cannot record ${fetched.ociRef} → ${publicKey} in the refmap: ${errorMessage(error)}`,
        errorFields(error),
      );
    }
  }
}
