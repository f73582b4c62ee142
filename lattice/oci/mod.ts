// The OCI distribution client's public API: references, media types, the client, the blob cache.

export * from './artifact-kind.ts';
export * from './blob-cache.ts';
export * from './digest.ts';
export * from './errors.ts';
export * from './manifest.ts';
export * from './media-types.ts';
export * from './oci-client.ts';
export * from './reference.ts';
export type { RegistryCredentials } from './registry-session.ts';
