// TEMPORARY, tests only: a minimal manifest parser (JSON, name + version + description, actors with
// an image) standing in for controller/manifest/parse.ts until it lands. It is never product code.

import type { AppManifest, ManifestParseResult } from '../../controller/manifest/types.ts';

let generated = 0;

export function standInParser(bytes: Uint8Array): ManifestParseResult {
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    return { ok: false, error: `the manifest is neither YAML nor JSON: ${String(error)}` };
  }
  const doc = document as {
    metadata?: { name?: unknown; annotations?: Record<string, string> };
    spec?: { components?: Array<{ name: string; properties: { image: string } }> };
  };
  const name = doc.metadata?.name;
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]+$/.test(name))
    return { ok: false, error: 'metadata.name: invalid' };
  const annotations = doc.metadata?.annotations ?? {};
  const version = annotations.version ?? `01STANDIN${String(++generated).padStart(6, '0')}`;
  if (version === 'latest') return { ok: false, error: 'metadata.annotations.version: "latest" is refused' };
  const manifest: AppManifest = {
    name,
    version,
    description: annotations.description,
    annotations,
    components: (doc.spec?.components ?? []).map((component) => ({
      kind: 'actor',
      name: component.name,
      image: component.properties.image,
      scalers: [],
      links: [],
    })),
    policies: [],
    document,
  };
  return { ok: true, manifest, warnings: annotations.warn ? [annotations.warn] : [] };
}

/** A manifest the stand-in reads (and the real parser too: it is a valid 2022-form manifest). */
export function manifestBytes(
  name: string,
  version?: string,
  extra: Record<string, string> = {},
): Uint8Array {
  const annotations: Record<string, string> = { ...extra };
  if (version !== undefined) annotations.version = version;
  return new TextEncoder().encode(
    JSON.stringify({
      apiVersion: 'core.oam.dev/v1beta1',
      kind: 'Application',
      metadata: { name, annotations },
      spec: {
        components: [
          {
            name: 'echo',
            type: 'actor',
            properties: { image: 'wasmcloud.azurecr.io/echo:0.3.4' },
            traits: [{ type: 'spreadscaler', properties: { replicas: 1 } }],
          },
        ],
      },
    }),
  );
}
