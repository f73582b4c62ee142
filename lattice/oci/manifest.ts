// The OCI image manifest (one config descriptor, layer descriptors) as zod schemas for what
// registries send, and the manifest this client pushes for one wasmCloud artifact.

import { z } from 'zod';
import { errorMessage } from '../errors.ts';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '../json-depth.ts';
import { describeIssues } from '../json-message.ts';
import { OciError } from './errors.ts';
import { ARTIFACT_MEDIA_TYPES, type ArtifactKind, OCI_MANIFEST_MEDIA_TYPE } from './media-types.ts';

const descriptorSchema = z.looseObject({
  mediaType: z.string().min(1, 'must not be empty'),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected sha256: and 64 lowercase hex digits'),
  size: z.number().int().min(0, 'must not be negative'),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type Descriptor = z.output<typeof descriptorSchema>;

const imageManifestSchema = z.looseObject({
  schemaVersion: z.literal(2, 'expected 2'),
  mediaType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type ImageManifest = z.output<typeof imageManifestSchema>;

/** Parses manifest bytes; OCI_BAD_MANIFEST names what is wrong. */
export function parseImageManifest(bytes: Uint8Array, what: string): ImageManifest {
  if (jsonNestsDeeperThan(bytes)) {
    throw new OciError(
      'OCI_BAD_MANIFEST',
      `the manifest of ${what} nests deeper than ${MAX_JSON_DEPTH} levels; no image manifest does`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new OciError('OCI_BAD_MANIFEST', `the manifest of ${what} is not JSON: ${errorMessage(error)}`);
  }
  const parsed = imageManifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new OciError(
      'OCI_BAD_MANIFEST',
      `the manifest of ${what} is not an OCI image manifest: ${describeIssues(parsed.error.issues)}`,
    );
  }
  if (parsed.data.mediaType !== undefined && parsed.data.mediaType !== OCI_MANIFEST_MEDIA_TYPE) {
    throw new OciError(
      'OCI_UNEXPECTED_MEDIA_TYPE',
      `the manifest of ${what} says it is ${parsed.data.mediaType}, not ${OCI_MANIFEST_MEDIA_TYPE}`,
    );
  }
  return parsed.data;
}

/** The manifest of one artifact: its config blob and its one layer, no annotations (same bytes, same digest). */
export function artifactManifest(
  kind: ArtifactKind,
  config: Pick<Descriptor, 'digest' | 'size'>,
  layer: Pick<Descriptor, 'digest' | 'size'>,
): Uint8Array {
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST_MEDIA_TYPE,
    config: { mediaType: ARTIFACT_MEDIA_TYPES[kind].config, digest: config.digest, size: config.size },
    layers: [{ mediaType: ARTIFACT_MEDIA_TYPES[kind].layer, digest: layer.digest, size: layer.size }],
  };
  return new TextEncoder().encode(JSON.stringify(manifest));
}
