// Fuzzing what the OCI client reads from registries and users (lattice/oci/): image manifests,
// references (`registry[:port]/repository[:tag|@digest]`), digests, WWW-Authenticate challenges
// and the artifact sniffing of pulled bytes. The outcome is a value or an OciError with its code.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sniffArtifactKind } from '../../lattice/oci/artifact-kind.ts';
import { normalizeDigest } from '../../lattice/oci/digest.ts';
import { OciError } from '../../lattice/oci/errors.ts';
import { parseImageManifest } from '../../lattice/oci/manifest.ts';
import { formatOciReference, parseOciReference } from '../../lattice/oci/reference.ts';
import { parseAuthChallenge } from '../../lattice/oci/www-authenticate.ts';
import { fuzzParameters, fuzzTimeout, type Outcome, outcomeOf, resultOf } from './fuzz-settings.ts';
import { type Json, jsonBytes, mutatedBytes, mutatedText } from './mutations.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

const manifest: Json = {
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.wasmcloud.actor.archive.config', digest: DIGEST, size: 2 },
  layers: [{ mediaType: 'application/vnd.module.wasm.content.layer.v1+wasm', digest: DIGEST, size: 1234 }],
  annotations: { 'org.opencontainers.image.created': '2022-08-30T12:00:00Z' },
};

function expectOciError(outcome: Outcome<unknown>, codes: readonly string[]): void {
  if (outcome.ok) return;
  expect(outcome.error).toBeInstanceOf(OciError);
  expect(codes).toContain(outcome.error.code);
}

const REFERENCE_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789.-_:/@ABCZ';
const reference = fc.oneof(
  fc.constantFrom(
    '127.0.0.1:5000/echo:0.1.0',
    `wasmcloud.azurecr.io/wasmcloud/echo@${DIGEST}`,
    'localhost/a/b/c:latest',
    'registry.example.com:443/x__y-z.w:v1.2.3-rc.1',
  ),
  fc
    .tuple(
      fc.stringMatching(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]+)+(:\d{1,5})?$/),
      fc.array(fc.stringMatching(/^[a-z0-9]+([._-][a-z0-9]+)*$/), { minLength: 1, maxLength: 3 }),
      fc.option(fc.stringMatching(/^\w[\w.-]{0,20}$/), { nil: undefined }),
    )
    .map(([registry, path, tag]) => `${registry}/${path.join('/')}${tag === undefined ? '' : `:${tag}`}`),
);

describe('OCI (fuzz)', () => {
  it(
    'parses a manifest to an image manifest or OCI_BAD_MANIFEST / OCI_UNEXPECTED_MEDIA_TYPE',
    () => {
      fc.assert(
        fc.property(jsonBytes(fc.constant(manifest)), (bytes) => {
          const outcome = outcomeOf(() => parseImageManifest(bytes, 'fuzz:1'));
          expectOciError(outcome, ['OCI_BAD_MANIFEST', 'OCI_UNEXPECTED_MEDIA_TYPE']);
          if (outcome.ok) {
            expect(outcome.value.schemaVersion).toBe(2);
            for (const layer of outcome.value.layers) expect(layer.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
          }
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );

  it(
    'parses a reference that writes back the same, or throws OCI_BAD_REFERENCE',
    () => {
      fc.assert(
        fc.property(fc.oneof(reference, mutatedText(reference, REFERENCE_ALPHABET)), (text) => {
          const outcome = outcomeOf(() => parseOciReference(text));
          expectOciError(outcome, ['OCI_BAD_REFERENCE']);
          if (outcome.ok) {
            expect(formatOciReference(outcome.value)).toBe(text.replace(/^[^/]*/, (r) => r.toLowerCase()));
            expect(parseOciReference(formatOciReference(outcome.value))).toEqual(outcome.value);
          }
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );

  it(
    'normalizes a digest or throws OCI_BAD_REFERENCE',
    () => {
      const digest = mutatedText(fc.constantFrom(DIGEST, 'ab'.repeat(32)), '0123456789abcdefABCDEF:sha');
      fc.assert(
        fc.property(digest, (text) => {
          const outcome = outcomeOf(() => normalizeDigest(text));
          expectOciError(outcome, ['OCI_BAD_REFERENCE']);
          if (outcome.ok) expect(outcome.value).toMatch(/^sha256:[0-9a-f]{64}$/);
        }),
        fuzzParameters(0.5),
      );
    },
    fuzzTimeout(),
  );

  it(
    'reads a WWW-Authenticate challenge or nothing, never throwing',
    () => {
      const header = mutatedText(
        fc.constantFrom(
          'Bearer realm="https://auth.example.com/token",service="registry",scope="repository:echo:pull"',
          'Basic realm="registry"',
          'Bearer realm="a\\"b", error="insufficient_scope"',
        ),
        'abc="\\, =',
      );
      fc.assert(
        fc.property(fc.option(header, { nil: null }), (text) => {
          const challenge = resultOf(() => parseAuthChallenge(text));
          if (challenge === undefined) return;
          expect(challenge.scheme).toBe(challenge.scheme.toLowerCase());
          for (const value of Object.values(challenge.params)) expect(typeof value).toBe('string');
        }),
        fuzzParameters(0.5),
      );
    },
    fuzzTimeout(),
  );

  it(
    'sniffs pulled bytes as an actor, a provider or neither, never throwing',
    () => {
      const wasm = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
      const gzip = Uint8Array.from([0x1f, 0x8b, 0x08, 0x00]);
      fc.assert(
        fc.property(mutatedBytes(fc.constantFrom(wasm, gzip, new Uint8Array(300))), (bytes) => {
          expect([undefined, 'actor', 'provider']).toContain(resultOf(() => sniffArtifactKind(bytes)));
        }),
        fuzzParameters(0.25),
      );
    },
    fuzzTimeout(),
  );
});
