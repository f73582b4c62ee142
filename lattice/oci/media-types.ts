// The media types of wasmCloud artifacts in an OCI registry (as wash 0.1x pushes them): one layer
// holding the signed module or the provider archive, and a config blob whose type says which.

/** The only manifest type this client pushes or accepts. */
export const OCI_MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';

export const ACTOR_CONFIG_MEDIA_TYPE = 'application/vnd.wasmcloud.actor.archive.config';
export const ACTOR_LAYER_MEDIA_TYPE = 'application/vnd.module.wasm.content.layer.v1+wasm';
export const PROVIDER_CONFIG_MEDIA_TYPE = 'application/vnd.wasmcloud.provider.archive.config';
export const PROVIDER_LAYER_MEDIA_TYPE = 'application/vnd.wasmcloud.provider.archive.layer.v1+par';
/** A plain OCI tar layer: early wash releases pushed artifacts so, and 2022 hosts still pulled them. */
export const LEGACY_LAYER_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar';

export type ArtifactKind = 'actor' | 'provider';

export const ARTIFACT_MEDIA_TYPES: Record<ArtifactKind, { config: string; layer: string }> = {
  actor: { config: ACTOR_CONFIG_MEDIA_TYPE, layer: ACTOR_LAYER_MEDIA_TYPE },
  provider: { config: PROVIDER_CONFIG_MEDIA_TYPE, layer: PROVIDER_LAYER_MEDIA_TYPE },
};

/** The kind a layer or config media type names, if it names one. */
export function artifactKindOf(mediaType: string): ArtifactKind | undefined {
  if (mediaType === ACTOR_LAYER_MEDIA_TYPE || mediaType === ACTOR_CONFIG_MEDIA_TYPE) return 'actor';
  if (mediaType === PROVIDER_LAYER_MEDIA_TYPE || mediaType === PROVIDER_CONFIG_MEDIA_TYPE) return 'provider';
  return undefined;
}

/** A kind in words, for messages. */
export function describeKind(kind: ArtifactKind): string {
  return kind === 'actor' ? 'an actor module' : 'a provider archive';
}
