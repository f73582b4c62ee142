// OCI references, the `latest` rule, media-type and content sniffing, WWW-Authenticate parsing,
// manifests and the blob cache: the parts of the OCI client that need no registry.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { sniffArtifactKind } from '../../lattice/oci/artifact-kind.ts';
import { BlobCache } from '../../lattice/oci/blob-cache.ts';
import { normalizeDigest, sha256Digest, verifyDigest } from '../../lattice/oci/digest.ts';
import { artifactManifest, parseImageManifest } from '../../lattice/oci/manifest.ts';
import {
  formatOciReference,
  isOciReference,
  manifestReference,
  parseOciReference,
  refuseLatest,
  usesLatestTag,
} from '../../lattice/oci/reference.ts';
import { parseAuthChallenge } from '../../lattice/oci/www-authenticate.ts';
import { builtActor } from '../helpers/actors.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const encoder = new TextEncoder();

describe('references', () => {
  test.each([
    ['127.0.0.1:5000/echo:0.1.0', { registry: '127.0.0.1:5000', repository: 'echo', tag: '0.1.0' }],
    [
      'wasmcloud.azurecr.io/echo:0.3.4',
      { registry: 'wasmcloud.azurecr.io', repository: 'echo', tag: '0.3.4' },
    ],
    ['localhost/org/team/echo', { registry: 'localhost', repository: 'org/team/echo', tag: undefined }],
    [`Registry.Example.com/a_b/c-d__e@${DIGEST}`, { registry: 'registry.example.com', digest: DIGEST }],
    [`localhost:5000/echo:v1@${DIGEST}`, { tag: 'v1', digest: DIGEST }],
  ])('%s parses', (text, expected) => {
    expect(parseOciReference(text)).toMatchObject(expected);
    expect(isOciReference(text)).toBe(true);
  });

  test.each([
    ['', /is empty or has spaces/],
    ['echo:0.1.0', /has no registry part before a "\/"/],
    ['library/echo:0.1.0', /"library" does not name a registry/],
    ['127.0.0.1:5000/Echo:0.1.0', /the repository "Echo" must be lowercase/],
    ['127.0.0.1:5000/echo:bad tag', /the tag "bad tag" may hold only/],
    ['127.0.0.1:5000/echo@sha256:1234', /the digest "sha256:1234" is not sha256:/],
    ['127.0.0.1:5000/echo@md5:abcd', /is not sha256:/],
    ['127.0.0.1:99999/echo:1', /"127.0.0.1:99999" is not a valid registry/],
    ['-bad.io/echo:1', /is not a valid registry/],
    ['127.0.0.1:5000/', /the repository is empty/],
    ['127.0.0.1:5000/a//b', /"" is not a valid repository name part/],
    [`r.io/${'a'.repeat(260)}:1`, /exceed 255 characters/],
    ['/abs/path/echo.wasm', /"" does not name a registry/],
  ])('%j is refused', (text, message) => {
    expect(() => parseOciReference(text)).toThrow(message);
    expect(isOciReference(text)).toBe(false);
  });

  test('every refusal names the expected shape and the text', () => {
    expect(() => parseOciReference('echo')).toThrow(
      '"echo" is not an OCI reference (registry[:port]/repository[:tag|@digest], e.g. 127.0.0.1:5000/echo:0.1.0)',
    );
  });

  test('formatting writes the same reference back, and the manifest is asked for by digest first', () => {
    for (const text of ['127.0.0.1:5000/echo:0.1.0', `r.io/a/b@${DIGEST}`, `r.io/a:v1@${DIGEST}`, 'r.io/a']) {
      expect(formatOciReference(parseOciReference(text))).toBe(text);
    }
    expect(manifestReference(parseOciReference(`r.io/a:v1@${DIGEST}`))).toBe(DIGEST);
    expect(manifestReference(parseOciReference('r.io/a:v1'))).toBe('v1');
    expect(manifestReference(parseOciReference('r.io/a'))).toBe('latest');
  });

  test('latest: named or implied counts, a digest pins it', () => {
    expect(usesLatestTag(parseOciReference('r.io/a:latest'))).toBe(true);
    expect(usesLatestTag(parseOciReference('r.io/a'))).toBe(true);
    expect(usesLatestTag(parseOciReference('r.io/a:0.1.0'))).toBe(false);
    expect(usesLatestTag(parseOciReference(`r.io/a@${DIGEST}`))).toBe(false);
    expect(usesLatestTag(parseOciReference(`r.io/a:latest@${DIGEST}`))).toBe(false);
    expect(() => refuseLatest(parseOciReference('r.io/a'), false, '--allow-latest')).toThrow(
      'r.io/a has no tag, so it means the tag latest, which can change under you; give a version tag or a digest, or allow latest with --allow-latest',
    );
    expect(() => refuseLatest(parseOciReference('r.io/a:latest'), false, 'X')).toThrow(/uses the tag latest/);
    expect(() => refuseLatest(parseOciReference('r.io/a:latest'), true, 'X')).not.toThrow();
  });
});

describe('content and digests', () => {
  test('actor modules and provider archives are told apart by their first bytes', () => {
    expect(sniffArtifactKind(builtActor('wasmbus-kvcounter'))).toBe('actor');
    expect(sniffArtifactKind(Uint8Array.from([0x1f, 0x8b, 8, 0]))).toBe('provider');
    const tar = new Uint8Array(512);
    tar.set(encoder.encode('ustar'), 257);
    expect(sniffArtifactKind(tar)).toBe('provider');
    expect(sniffArtifactKind(encoder.encode('#!/bin/sh\necho hi\n'))).toBeUndefined();
    expect(sniffArtifactKind(new Uint8Array(0))).toBeUndefined();
  });

  test('digests are checked, with both digests in the message', () => {
    const bytes = encoder.encode('hello');
    const digest = sha256Digest(bytes);
    expect(digest).toBe('sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
    expect(() => verifyDigest(bytes, digest, 'the blob')).not.toThrow();
    expect(() => verifyDigest(encoder.encode('hellO'), digest, 'the blob')).toThrow(
      `the blob does not match its digest: expected ${digest}, the bytes received hash to sha256:`,
    );
    expect(normalizeDigest(digest.slice(7))).toBe(digest);
    expect(() => normalizeDigest('sha256:xyz')).toThrow(/is not a sha256 digest/);
  });

  test('manifests: what we push parses back; other shapes are named', () => {
    const manifest = artifactManifest('provider', { digest: DIGEST, size: 2 }, { digest: DIGEST, size: 10 });
    expect(JSON.parse(new TextDecoder().decode(manifest))).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.wasmcloud.provider.archive.config', digest: DIGEST, size: 2 },
      layers: [
        { mediaType: 'application/vnd.wasmcloud.provider.archive.layer.v1+par', digest: DIGEST, size: 10 },
      ],
    });
    expect(parseImageManifest(manifest, 'x').layers).toHaveLength(1);
    expect(() => parseImageManifest(encoder.encode('{'), 'r.io/a:1')).toThrow(
      /the manifest of r.io\/a:1 is not JSON/,
    );
    expect(() =>
      parseImageManifest(encoder.encode('{"schemaVersion":2,"config":{},"layers":[]}'), 'r.io/a:1'),
    ).toThrow(/is not an OCI image manifest: .*config/);
    const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] };
    expect(() => parseImageManifest(encoder.encode(JSON.stringify(index)), 'r.io/a:1')).toThrow(
      /is not an OCI image manifest/,
    );
  });
});

describe('WWW-Authenticate', () => {
  test('a Bearer challenge with quoted parameters', () => {
    expect(
      parseAuthChallenge(
        'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:echo:pull,push"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example.com/token',
        service: 'registry.example.com',
        scope: 'repository:echo:pull,push',
      },
    });
  });

  test('Basic, unquoted values, escapes, errors and nothing at all', () => {
    expect(parseAuthChallenge('Basic realm="a \\"b\\""')).toEqual({
      scheme: 'basic',
      params: { realm: 'a "b"' },
    });
    expect(parseAuthChallenge('Bearer realm=https://x/token, error=insufficient_scope')?.params).toEqual({
      realm: 'https://x/token',
      error: 'insufficient_scope',
    });
    expect(parseAuthChallenge(null)).toBeUndefined();
    expect(parseAuthChallenge('   ')).toBeUndefined();
  });
});

describe('blob cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-blobcache-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('keeps bytes by digest and drops a file whose bytes no longer match', async () => {
    const cache = new BlobCache(dir);
    const bytes = encoder.encode('layer bytes');
    const digest = sha256Digest(bytes);
    expect(await cache.get(digest)).toBeUndefined();
    expect(await cache.put(digest, bytes)).toBe(true);
    expect(Buffer.from((await cache.get(digest))!).toString()).toBe('layer bytes');
    const path = cache.pathOf(digest);
    expect(readFileSync(path, 'utf8')).toBe('layer bytes');
    writeFileSync(path, 'layer bytez');
    expect(await cache.get(digest)).toBeUndefined();
    expect(() => readFileSync(path)).toThrow(/ENOENT/);
    expect(() => cache.pathOf('sha256:../../etc/passwd')).toThrow(/not a sha256 digest/);
  });
});
