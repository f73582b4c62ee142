// A small OCI distribution client for wasmCloud artifacts, shared by wash (push, pull) and the
// host (start from a reference). Push: each blob is HEADed and uploaded only when missing (POST for
// an upload location, then one PUT with the digest), then the manifest. Pull: the manifest (OCI
// image manifest only), then the one wasmCloud layer, from a cache by digest when given one. Every
// byte received is checked against its digest and size; nothing larger than the limit is read.

import type { BlobCache } from './blob-cache.ts';
import { sha256Digest, verifyDigest } from './digest.ts';
import { OciError } from './errors.ts';
import { artifactManifest, type Descriptor, type ImageManifest, parseImageManifest } from './manifest.ts';
import {
  ARTIFACT_MEDIA_TYPES,
  type ArtifactKind,
  artifactKindOf,
  describeKind,
  LEGACY_LAYER_MEDIA_TYPE,
  OCI_MANIFEST_MEDIA_TYPE,
} from './media-types.ts';
import {
  formatOciReference,
  manifestReference,
  normalizeRegistryName,
  type OciReference,
} from './reference.ts';
import {
  discardBody,
  type RegistryCredentials,
  RegistrySession,
  readLimitedBody,
} from './registry-session.ts';

/** The largest artifact pulled or pushed by default (a provider binary can be big). */
export const DEFAULT_MAX_ARTIFACT_BYTES = 256 * 1024 * 1024;
/** Manifests are small JSON; a registry sending more is refused. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;

export interface OciClientOptions {
  /**
   * Registries (`host[:port]`) reached over plain HTTP; every other one over HTTPS. `localhost`
   * and loopback addresses are not special: list them too (as the 2022 host did).
   */
  insecureRegistries?: readonly string[];
  /** Plain HTTP for every registry (wash `--insecure`). */
  insecure?: boolean;
  /** The credentials for a registry (`host[:port]`), if any. */
  credentials?: (registry: string) => RegistryCredentials | undefined;
  maxArtifactBytes?: number;
  /** Per request, including reading its body. */
  requestTimeoutMs?: number;
  /** How to allow plain HTTP / give credentials, appended to errors (e.g. "pass --insecure"). */
  hints?: { insecure?: string; credentials?: string };
  userAgent?: string;
}

export interface PushArtifact {
  kind: ArtifactKind;
  bytes: Uint8Array;
  /** The config blob; `{}` by default, as wash 0.1x pushed. */
  config?: Uint8Array;
}

export interface PushResult {
  manifestDigest: string;
  configDigest: string;
  layerDigest: string;
  /** Blobs sent, and blobs the registry already had (skipped). */
  uploaded: string[];
  skipped: string[];
}

export interface PullOptions {
  /** Accept only these kinds (by the layer's media type); any wasmCloud artifact by default. */
  kinds?: readonly ArtifactKind[];
  /** Layers are looked up here first, and kept here after a download. */
  cache?: BlobCache;
}

export interface PullResult {
  bytes: Uint8Array;
  /** From the layer's (or else the config's) media type; undefined for a legacy tar layer. */
  kind: ArtifactKind | undefined;
  manifestDigest: string;
  layerDigest: string;
  fromCache: boolean;
  /** The registry could not be reached: the manifest is the one this reference resolved to last time. */
  offline?: boolean;
}

const ACCEPTED_LAYER_TYPES = new Set([
  ARTIFACT_MEDIA_TYPES.actor.layer,
  ARTIFACT_MEDIA_TYPES.provider.layer,
  LEGACY_LAYER_MEDIA_TYPE,
]);

/**
 * Other manifest types are accepted too, only to be refused with a clear message: asked for OCI
 * alone, a registry holding a Docker manifest answers 400 MANIFEST_INVALID, which says nothing.
 */
const MANIFEST_ACCEPT = [
  OCI_MANIFEST_MEDIA_TYPE,
  'application/vnd.docker.distribution.manifest.v2+json;q=0.5',
  'application/vnd.oci.image.index.v1+json;q=0.5',
  'application/vnd.docker.distribution.manifest.list.v2+json;q=0.5',
].join(', ');

function mediaTypeOf(response: Response): string | undefined {
  return response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() || undefined;
}

export class OciClient {
  readonly #options: OciClientOptions;
  readonly #insecure: Set<string>;
  readonly #sessions = new Map<string, RegistrySession>();

  constructor(options: OciClientOptions = {}) {
    this.#options = options;
    this.#insecure = new Set((options.insecureRegistries ?? []).map(normalizeRegistryName));
  }

  get maxArtifactBytes(): number {
    return this.#options.maxArtifactBytes ?? DEFAULT_MAX_ARTIFACT_BYTES;
  }

  /** Whether the registry is reached over plain HTTP. */
  isInsecure(registry: string): boolean {
    return this.#options.insecure === true || this.#insecure.has(normalizeRegistryName(registry));
  }

  #session(registry: string): RegistrySession {
    let session = this.#sessions.get(registry);
    if (!session) {
      session = new RegistrySession({
        registry,
        insecure: this.isInsecure(registry),
        credentials: this.#options.credentials?.(registry),
        requestTimeoutMs: this.#options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        hints: {
          insecure: this.#options.hints?.insecure ?? 'list the registry as insecure',
          credentials: this.#options.hints?.credentials ?? 'give a username and password',
        },
        userAgent: this.#options.userAgent ?? 'wasmcloud-ts',
      });
      this.#sessions.set(registry, session);
    }
    return session;
  }

  /** Pushes one artifact under the reference's tag (`latest` when it has none: refuse that first). */
  async push(reference: OciReference, artifact: PushArtifact): Promise<PushResult> {
    const name = formatOciReference(reference);
    if (reference.digest !== undefined) {
      throw new OciError('OCI_BAD_REFERENCE', `cannot push to ${name}: push to a tag, not a digest`);
    }
    if (artifact.bytes.length > this.maxArtifactBytes) {
      throw new OciError(
        'OCI_TOO_LARGE',
        `the artifact is ${artifact.bytes.length} bytes, over the limit of ${this.maxArtifactBytes}`,
      );
    }
    const session = this.#session(reference.registry);
    const scope = `repository:${reference.repository}:pull,push`;
    const config = artifact.config ?? new TextEncoder().encode('{}');
    const blobs = [
      { bytes: config, digest: sha256Digest(config), what: 'the config blob' },
      { bytes: artifact.bytes, digest: sha256Digest(artifact.bytes), what: `the ${artifact.kind} layer` },
    ];
    const uploaded: string[] = [];
    const skipped: string[] = [];
    for (const blob of blobs) {
      if (await this.#hasBlob(session, reference, scope, blob.digest)) skipped.push(blob.digest);
      else {
        await this.#uploadBlob(session, reference, scope, blob);
        uploaded.push(blob.digest);
      }
    }
    const [configBlob, layerBlob] = blobs as [(typeof blobs)[0], (typeof blobs)[0]];
    const manifest = artifactManifest(
      artifact.kind,
      { digest: configBlob.digest, size: configBlob.bytes.length },
      { digest: layerBlob.digest, size: layerBlob.bytes.length },
    );
    const manifestDigest = sha256Digest(manifest);
    const tag = reference.tag ?? 'latest';
    const response = await session.request({
      method: 'PUT',
      target: `/v2/${reference.repository}/manifests/${tag}`,
      scope,
      headers: { 'content-type': OCI_MANIFEST_MEDIA_TYPE },
      body: manifest,
    });
    if (response.status !== 201 && response.status !== 200) {
      throw await session.failure(response, `the manifest of ${name}`);
    }
    await discardBody(response.body);
    const stored = response.headers.get('docker-content-digest');
    if (stored !== null && stored !== manifestDigest) {
      throw new OciError(
        'OCI_DIGEST_MISMATCH',
        `registry ${reference.registry} stored the manifest of ${name} as ${stored}, but it hashes to ${manifestDigest}`,
      );
    }
    return {
      manifestDigest,
      configDigest: configBlob.digest,
      layerDigest: layerBlob.digest,
      uploaded,
      skipped,
    };
  }

  async #hasBlob(
    session: RegistrySession,
    reference: OciReference,
    scope: string,
    digest: string,
  ): Promise<boolean> {
    const response = await session.request({
      method: 'HEAD',
      target: `/v2/${reference.repository}/blobs/${digest}`,
      scope,
    });
    await discardBody(response.body);
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    throw await session.failure(response, `blob ${digest} of ${reference.repository}`);
  }

  async #uploadBlob(
    session: RegistrySession,
    reference: OciReference,
    scope: string,
    blob: { bytes: Uint8Array; digest: string; what: string },
  ): Promise<void> {
    const what = `the upload of ${blob.what} (${blob.digest}) to ${reference.repository}`;
    const started = await session.request({
      method: 'POST',
      target: `/v2/${reference.repository}/blobs/uploads/`,
      scope,
    });
    await discardBody(started.body);
    if (started.status !== 202) throw await session.failure(started, what);
    const location = started.headers.get('location');
    if (location === null) {
      throw new OciError(
        'OCI_REGISTRY_ERROR',
        `registry ${reference.registry} started an upload without saying where to send it (no Location header)`,
      );
    }
    const target = new URL(location, session.baseUrl);
    target.searchParams.append('digest', blob.digest);
    const finished = await session.request({
      method: 'PUT',
      target: target.href,
      scope,
      headers: { 'content-type': 'application/octet-stream' },
      body: blob.bytes,
    });
    if (finished.status !== 201) throw await session.failure(finished, what);
    await discardBody(finished.body);
  }

  /** Pulls the artifact a reference names: its manifest, then its one wasmCloud layer. */
  async pull(reference: OciReference, options: PullOptions = {}): Promise<PullResult> {
    const name = formatOciReference(reference);
    const session = this.#session(reference.registry);
    const scope = `repository:${reference.repository}:pull`;
    let pulledManifest: { manifest: ImageManifest; manifestDigest: string };
    try {
      pulledManifest = await this.#pullManifest(session, reference, scope, name);
    } catch (error) {
      const offline = await this.#fromCacheOffline(error, name, options);
      if (offline !== undefined) return offline;
      throw error;
    }
    const { manifest, manifestDigest } = pulledManifest;
    const layer = this.#pickLayer(manifest.layers, name);
    const kind = artifactKindOf(layer.mediaType) ?? artifactKindOf(manifest.config.mediaType);
    const wanted = options.kinds;
    if (wanted !== undefined && kind !== undefined && !wanted.includes(kind)) {
      throw new OciError(
        'OCI_UNEXPECTED_MEDIA_TYPE',
        `${name} is ${describeKind(kind)} (layer ${layer.mediaType}), not ${wanted.map(describeKind).join(' or ')}`,
      );
    }
    if (layer.size > this.maxArtifactBytes) {
      throw new OciError(
        'OCI_TOO_LARGE',
        `the layer of ${name} is ${layer.size} bytes, over the limit of ${this.maxArtifactBytes}`,
      );
    }
    await options.cache?.putRef({ reference: name, manifestDigest, layerDigest: layer.digest, kind });
    const cached = await options.cache?.get(layer.digest);
    if (cached !== undefined) {
      return { bytes: cached, kind, manifestDigest, layerDigest: layer.digest, fromCache: true };
    }
    const bytes = await this.#pullBlob(session, reference, scope, layer, name);
    await options.cache?.put(layer.digest, bytes);
    return { bytes, kind, manifestDigest, layerDigest: layer.digest, fromCache: false };
  }

  /**
   * When the registry cannot be reached at all (OCI_UNREACHABLE; not a refusal, not a missing tag):
   * the layer `name` resolved to at its last pull through the cache, if it is still there intact.
   */
  async #fromCacheOffline(
    error: unknown,
    name: string,
    options: PullOptions,
  ): Promise<PullResult | undefined> {
    if (!(error instanceof OciError) || error.code !== 'OCI_UNREACHABLE' || options.cache === undefined)
      return undefined;
    const resolved = await options.cache.getRef(name);
    if (resolved === undefined) return undefined;
    if (options.kinds !== undefined && resolved.kind !== undefined && !options.kinds.includes(resolved.kind))
      return undefined;
    const bytes = await options.cache.get(resolved.layerDigest);
    if (bytes === undefined) return undefined;
    return {
      bytes,
      kind: resolved.kind,
      manifestDigest: resolved.manifestDigest,
      layerDigest: resolved.layerDigest,
      fromCache: true,
      offline: true,
    };
  }

  async #pullManifest(session: RegistrySession, reference: OciReference, scope: string, name: string) {
    const response = await session.request({
      method: 'GET',
      target: `/v2/${reference.repository}/manifests/${manifestReference(reference)}`,
      scope,
      headers: { accept: MANIFEST_ACCEPT },
    });
    if (response.status !== 200) throw await session.failure(response, name);
    const mediaType = mediaTypeOf(response);
    if (mediaType !== undefined && mediaType !== OCI_MANIFEST_MEDIA_TYPE) {
      await discardBody(response.body);
      throw new OciError(
        'OCI_UNEXPECTED_MEDIA_TYPE',
        `${name} is a ${mediaType}, not an OCI image manifest (${OCI_MANIFEST_MEDIA_TYPE}): it was not pushed as a wasmCloud artifact`,
      );
    }
    const bytes = await readLimitedBody(response, MAX_MANIFEST_BYTES, `the manifest of ${name}`);
    const manifestDigest = sha256Digest(bytes);
    // Pulled by digest: the digest asked for. By tag: at least what the registry says it sent.
    const expected = reference.digest ?? response.headers.get('docker-content-digest');
    if (expected !== null) verifyDigest(bytes, expected, `the manifest of ${name}`);
    return { manifest: parseImageManifest(bytes, name), manifestDigest };
  }

  #pickLayer(layers: Descriptor[], name: string): Descriptor {
    const candidates = layers.filter((layer) => ACCEPTED_LAYER_TYPES.has(layer.mediaType));
    if (candidates.length === 1) return candidates[0]!;
    if (candidates.length === 0) {
      const found = layers.map((layer) => layer.mediaType).join(', ') || 'none';
      throw new OciError(
        'OCI_UNEXPECTED_MEDIA_TYPE',
        `${name} holds no wasmCloud artifact: its layers are ${found}, expected ${ARTIFACT_MEDIA_TYPES.actor.layer} or ${ARTIFACT_MEDIA_TYPES.provider.layer}`,
      );
    }
    throw new OciError(
      'OCI_UNEXPECTED_MEDIA_TYPE',
      `${name} has ${candidates.length} artifact layers; a wasmCloud artifact has exactly one`,
    );
  }

  async #pullBlob(
    session: RegistrySession,
    reference: OciReference,
    scope: string,
    layer: Descriptor,
    name: string,
  ): Promise<Uint8Array> {
    const what = `the layer ${layer.digest} of ${name}`;
    const response = await session.request({
      method: 'GET',
      target: `/v2/${reference.repository}/blobs/${layer.digest}`,
      scope,
    });
    if (response.status !== 200) throw await session.failure(response, what);
    let bytes: Uint8Array;
    try {
      bytes = await readLimitedBody(response, layer.size, what);
    } catch (error) {
      if (error instanceof OciError && error.code === 'OCI_TOO_LARGE') {
        throw new OciError(
          'OCI_DIGEST_MISMATCH',
          `${what} is larger than the ${layer.size} bytes its manifest announces`,
        );
      }
      throw error;
    }
    if (bytes.length !== layer.size) {
      throw new OciError(
        'OCI_DIGEST_MISMATCH',
        `${what} is ${bytes.length} bytes, but its manifest announces ${layer.size}`,
      );
    }
    verifyDigest(bytes, layer.digest, what);
    return bytes;
  }
}
