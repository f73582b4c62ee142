// parseManifest: the bytes of a `model.put` (YAML or JSON, either form of wadm.md §2) to the
// controller's model, or one message naming every problem with its path in the user's document
// (`spec.components[1].traits[0].properties.replicas: expected a non-negative integer`). It never
// throws on input. Order: bytes (decode.ts), shape (schema.ts), cross-references (validate.ts),
// then the model (build.ts). Warnings (deprecated keys, unknown packages, parts a 2022 lattice
// does not use) come with a manifest that is accepted.

import { buildAppManifest } from './build.ts';
import { copyDocument, decodeManifestBytes } from './decode.ts';
import { collectLinks } from './links.ts';
import { describeProblems, describeSchemaIssues, describeWarning } from './problems.ts';
import { manifestSchema, OAM_API_VERSION, VERSION_ANNOTATION } from './schema.ts';
import type { ManifestParseResult } from './types.ts';
import { checkManifest } from './validate.ts';
import { newUlid } from './version.ts';

export interface ParseManifestOptions {
  /** The version of a manifest without one (default: a new ULID, as wadm assigns). */
  newVersion?: () => string;
}

function describeTopLevel(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}

/** The document with the version the controller assigned, so a re-put of `model.get` keeps it. */
function withVersion(document: unknown, version: string): unknown {
  const copy = copyDocument(document) as { metadata: { annotations?: Record<string, unknown> | null } };
  copy.metadata.annotations = { ...(copy.metadata.annotations ?? {}), [VERSION_ANNOTATION]: version };
  return copy;
}

export function parseManifest(bytes: Uint8Array, options: ParseManifestOptions = {}): ManifestParseResult {
  const decoded = decodeManifestBytes(bytes);
  if (!decoded.ok) return decoded;
  const value = decoded.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return {
      ok: false,
      error: `the manifest must be an object (an OAM ${OAM_API_VERSION} Application with apiVersion, kind, metadata and spec), got ${describeTopLevel(value)}`,
    };

  const parsed = manifestSchema.safeParse(value, { reportInput: true });
  if (!parsed.success) return { ok: false, error: describeSchemaIssues(parsed.error.issues) };

  const check = checkManifest(parsed.data, collectLinks(parsed.data.spec.components));
  if (check.problems.length > 0) return { ok: false, error: describeProblems(check.problems) };

  // As in wadm, an empty version is no version.
  const given = parsed.data.metadata.annotations[VERSION_ANNOTATION];
  const version = given || (options.newVersion ?? newUlid)();
  const document = given ? copyDocument(value) : withVersion(value, version);
  return {
    ok: true,
    manifest: buildAppManifest(parsed.data, check, { version, document }),
    warnings: check.warnings.map(describeWarning),
  };
}
