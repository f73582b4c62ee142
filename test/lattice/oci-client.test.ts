// The OCI client against the real distribution registry: push and pull of actor and provider
// artifacts, blobs skipped when present, digests checked (a blob altered in the registry's store is
// caught), the blob cache, unexpected media types, size limits, Basic and Bearer (token server)
// auth with no, wrong and right credentials, and registries that cannot be reached.

import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KeyPair } from '../../lattice/keys.ts';
import { BlobCache } from '../../lattice/oci/blob-cache.ts';
import { sha256Digest } from '../../lattice/oci/digest.ts';
import type { OciError } from '../../lattice/oci/errors.ts';
import { OciClient, type OciClientOptions } from '../../lattice/oci/oci-client.ts';
import { parseOciReference } from '../../lattice/oci/reference.ts';
import { createProviderArchive } from '../../lattice/provider-archive.ts';
import { builtActor } from '../helpers/actors.ts';
import { freePort } from '../helpers/nats-server.ts';
import { type OciRegistry, type RegistryUser, startOciRegistry } from '../helpers/oci-registry.ts';

const ALICE: RegistryUser = { username: 'alice', password: 'correct horse' };
const actor = builtActor('wasmbus-kvcounter');

let plain: OciRegistry;
let basic: OciRegistry;
let token: OciRegistry;
let provider: Uint8Array;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-oci-client-'));
  [plain, basic, token] = await Promise.all([
    startOciRegistry(),
    startOciRegistry({ auth: { kind: 'htpasswd', user: ALICE } }),
    startOciRegistry({ auth: { kind: 'token', user: ALICE } }),
  ]);
  const archive = await createProviderArchive({
    metadata: { name: 'Fake', capid: 'wasmcloud:fake', vendor: 'tests', rev: 1, ver: '0.1.0' },
    binaries: new Map([['x86_64-linux', new TextEncoder().encode('#!/bin/sh\nexit 0\n')]]),
    issuer: KeyPair.create('account'),
    subject: KeyPair.create('service'),
    compress: true,
  });
  provider = archive.bytes;
});

afterAll(async () => {
  await Promise.all([plain?.stop(), basic?.stop(), token?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

function client(registry: OciRegistry, options: OciClientOptions = {}): OciClient {
  return new OciClient({ insecureRegistries: [registry.host], ...options });
}

const ref = (registry: OciRegistry, name: string) => parseOciReference(registry.ref(name));

async function failure(promise: Promise<unknown>): Promise<OciError> {
  try {
    await promise;
  } catch (error) {
    return error as OciError;
  }
  throw new Error('expected a failure');
}

async function rawManifest(registry: OciRegistry, name: string): Promise<Record<string, unknown>> {
  const response = await fetch(`http://${registry.host}/v2/${name}`, {
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('push and pull', () => {
  test('an actor goes up as config + wasm layer and comes back byte for byte', async () => {
    const oci = client(plain);
    const pushed = await oci.push(ref(plain, 'kvcounter:0.1.0'), { kind: 'actor', bytes: actor });
    expect(pushed.layerDigest).toBe(sha256Digest(actor));
    expect(pushed.configDigest).toBe(sha256Digest(new TextEncoder().encode('{}')));
    expect(pushed.uploaded).toEqual([pushed.configDigest, pushed.layerDigest]);
    expect(await rawManifest(plain, 'kvcounter/manifests/0.1.0')).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.wasmcloud.actor.archive.config',
        digest: pushed.configDigest,
        size: 2,
      },
      layers: [
        {
          mediaType: 'application/vnd.module.wasm.content.layer.v1+wasm',
          digest: pushed.layerDigest,
          size: actor.length,
        },
      ],
    });
    const pulled = await oci.pull(ref(plain, 'kvcounter:0.1.0'));
    expect(Buffer.from(pulled.bytes).equals(Buffer.from(actor))).toBe(true);
    expect(pulled).toMatchObject({
      kind: 'actor',
      manifestDigest: pushed.manifestDigest,
      layerDigest: pushed.layerDigest,
      fromCache: false,
    });
    // By digest too, and a digest the registry does not have is a clear 404.
    const byDigest = await oci.pull(ref(plain, `kvcounter@${pushed.manifestDigest}`));
    expect(byDigest.layerDigest).toBe(pushed.layerDigest);
    const missing = await failure(oci.pull(ref(plain, `kvcounter@sha256:${'0'.repeat(64)}`)));
    expect(missing.code).toBe('OCI_NOT_FOUND');
  });

  test('a provider archive goes up with the provider media types', async () => {
    const oci = client(plain);
    const pushed = await oci.push(ref(plain, 'team/fake-provider:1.0.0'), {
      kind: 'provider',
      bytes: provider,
    });
    const manifest = await rawManifest(plain, 'team/fake-provider/manifests/1.0.0');
    expect(manifest.config).toMatchObject({ mediaType: 'application/vnd.wasmcloud.provider.archive.config' });
    expect(manifest.layers).toEqual([
      {
        mediaType: 'application/vnd.wasmcloud.provider.archive.layer.v1+par',
        digest: pushed.layerDigest,
        size: provider.length,
      },
    ]);
    const pulled = await oci.pull(ref(plain, 'team/fake-provider:1.0.0'), { kinds: ['provider'] });
    expect(pulled.kind).toBe('provider');
    expect(Buffer.from(pulled.bytes).equals(Buffer.from(provider))).toBe(true);
  });

  test('blobs the registry already has are not sent again (HEAD, then nothing)', async () => {
    const oci = client(plain);
    await oci.push(ref(plain, 'again:1'), { kind: 'actor', bytes: actor });
    const before = plain.requests().length;
    const second = await oci.push(ref(plain, 'again:2'), { kind: 'actor', bytes: actor });
    expect(second.uploaded).toEqual([]);
    expect(second.skipped).toEqual([second.configDigest, second.layerDigest]);
    const requests = plain.requests().slice(before);
    expect(requests.map((request) => request.method)).toEqual(['HEAD', 'HEAD', 'PUT']);
    expect(requests[2]?.path).toBe('/v2/again/manifests/2');
  });

  test('asking for one kind and finding the other is named', async () => {
    const error = await failure(client(plain).pull(ref(plain, 'kvcounter:0.1.0'), { kinds: ['provider'] }));
    expect(error.code).toBe('OCI_UNEXPECTED_MEDIA_TYPE');
    expect(error.message).toBe(
      `${plain.host}/kvcounter:0.1.0 is an actor module (layer application/vnd.module.wasm.content.layer.v1+wasm), not a provider archive`,
    );
  });

  test('an unknown tag, repository or registry port is a clear error', async () => {
    const notFound = await failure(client(plain).pull(ref(plain, 'kvcounter:9.9.9')));
    expect(notFound.code).toBe('OCI_NOT_FOUND');
    expect(notFound.message).toBe(
      `${plain.host}/kvcounter:9.9.9 was not found in registry ${plain.host} (404 Not Found: MANIFEST_UNKNOWN: manifest unknown)`,
    );
    const port = await freePort();
    const refused = await failure(
      new OciClient({ insecureRegistries: [`127.0.0.1:${port}`] }).pull(
        parseOciReference(`127.0.0.1:${port}/a:1`),
      ),
    );
    expect(refused.code).toBe('OCI_UNREACHABLE');
    expect(refused.message).toMatch(
      new RegExp(
        `^cannot reach registry 127.0.0.1:${port} at http://127.0.0.1:${port} \\(connect ECONNREFUSED`,
      ),
    );
  });

  test('a registry not listed as insecure is spoken to over HTTPS, and the error says what to do', async () => {
    const error = await failure(
      new OciClient({ hints: { insecure: 'pass --insecure' } }).pull(ref(plain, 'kvcounter:0.1.0')),
    );
    expect(error.code).toBe('OCI_UNREACHABLE');
    expect(error.message).toMatch(
      new RegExp(
        `^cannot reach registry ${plain.host} at https://${plain.host} \\(TLS handshake failed: ERR_SSL_\\w+\\); if it serves plain HTTP, pass --insecure$`,
      ),
    );
    // Listing is by host:port, whatever the case or a scheme written in front.
    const listed = new OciClient({ insecureRegistries: [`HTTP://${plain.host.toUpperCase()}/`] });
    expect(listed.isInsecure(plain.host)).toBe(true);
    expect(listed.isInsecure('127.0.0.1')).toBe(false);
    expect(new OciClient().isInsecure('localhost:5000')).toBe(false);
    await expect(listed.pull(ref(plain, 'kvcounter:0.1.0'))).resolves.toMatchObject({ kind: 'actor' });
  });

  test('pushing to a digest is refused before anything is sent', async () => {
    const error = await failure(
      client(plain).push(ref(plain, `x@sha256:${'1'.repeat(64)}`), { kind: 'actor', bytes: actor }),
    );
    expect(error.code).toBe('OCI_BAD_REFERENCE');
    expect(error.message).toMatch(/push to a tag, not a digest/);
  });
});

describe('what comes back is checked', () => {
  test('a layer altered in the registry store is caught by its digest, and not cached', async () => {
    const oci = client(plain);
    // Blobs are shared by every repository of a registry: alter bytes no other test pushes.
    const bytes = Buffer.concat([actor, Buffer.from(randomUUID())]);
    const pushed = await oci.push(ref(plain, 'tampered:1'), { kind: 'actor', bytes });
    const path = plain.blobDataPath(pushed.layerDigest);
    const stored = readFileSync(path);
    stored.writeUInt8(stored.readUInt8(stored.length - 1) ^ 0xff, stored.length - 1); // same size, one byte off
    writeFileSync(path, stored);
    const cache = new BlobCache(join(dir, 'tamper-cache'));
    const error = await failure(oci.pull(ref(plain, 'tampered:1'), { cache }));
    expect(error.code).toBe('OCI_DIGEST_MISMATCH');
    expect(error.message).toMatch(
      new RegExp(
        `^the layer ${pushed.layerDigest} of ${plain.host}/tampered:1 does not match its digest: expected ${pushed.layerDigest}, the bytes received hash to sha256:[0-9a-f]{64}`,
      ),
    );
    expect(await cache.get(pushed.layerDigest)).toBeUndefined();
  });

  test('a second pull with a cache reads the layer from disk, not the registry', async () => {
    const oci = client(plain);
    const pushed = await oci.push(ref(plain, 'cached:1'), { kind: 'actor', bytes: actor });
    const cache = new BlobCache(join(dir, 'cache'));
    const blobGets = () =>
      plain
        .requests()
        .filter((r) => r.method === 'GET' && r.path === `/v2/cached/blobs/${pushed.layerDigest}`);
    const first = await oci.pull(ref(plain, 'cached:1'), { cache });
    expect(first.fromCache).toBe(false);
    expect(blobGets()).toHaveLength(1);
    const second = await oci.pull(ref(plain, 'cached:1'), { cache });
    expect(second.fromCache).toBe(true);
    expect(Buffer.from(second.bytes).equals(Buffer.from(actor))).toBe(true);
    expect(blobGets()).toHaveLength(1);
  });

  test('an artifact over the size limit is refused before its layer is downloaded', async () => {
    await client(plain).push(ref(plain, 'big:1'), { kind: 'actor', bytes: actor });
    const before = plain.requests().length;
    const error = await failure(client(plain, { maxArtifactBytes: 1000 }).pull(ref(plain, 'big:1')));
    expect(error.code).toBe('OCI_TOO_LARGE');
    expect(error.message).toBe(
      `the layer of ${plain.host}/big:1 is ${actor.length} bytes, over the limit of 1000`,
    );
    expect(
      plain
        .requests()
        .slice(before)
        .map((r) => r.method),
    ).toEqual(['GET']); // the manifest only
    const push = await failure(
      client(plain, { maxArtifactBytes: 1000 }).push(ref(plain, 'big:2'), { kind: 'actor', bytes: actor }),
    );
    expect(push.code).toBe('OCI_TOO_LARGE');
  });

  test('a container image (no wasmCloud layer) and a Docker manifest are unexpected media types', async () => {
    const pushed = await client(plain).push(ref(plain, 'image:1'), { kind: 'actor', bytes: actor });
    const put = (tag: string, contentType: string, body: unknown) =>
      fetch(`http://${plain.host}/v2/image/manifests/${tag}`, {
        method: 'PUT',
        headers: { 'content-type': contentType },
        body: JSON.stringify(body),
      });
    const config = { digest: pushed.configDigest, size: 2 };
    const layer = { digest: pushed.layerDigest, size: actor.length };
    const image = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
    };
    expect((await put('oci-image', 'application/vnd.oci.image.manifest.v1+json', image)).status).toBe(201);
    const noLayer = await failure(client(plain).pull(ref(plain, 'image:oci-image')));
    expect(noLayer.code).toBe('OCI_UNEXPECTED_MEDIA_TYPE');
    expect(noLayer.message).toBe(
      `${plain.host}/image:oci-image holds no wasmCloud artifact: its layers are application/vnd.oci.image.layer.v1.tar+gzip, expected application/vnd.module.wasm.content.layer.v1+wasm or application/vnd.wasmcloud.provider.archive.layer.v1+par`,
    );

    const docker = {
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', ...layer }],
    };
    expect((await put('docker', docker.mediaType, docker)).status).toBe(201);
    const dockerError = await failure(client(plain).pull(ref(plain, 'image:docker')));
    expect(dockerError.code).toBe('OCI_UNEXPECTED_MEDIA_TYPE');
    expect(dockerError.message).toMatch(
      /is a application\/vnd\.docker\.distribution\.manifest\.v2\+json, not an OCI image manifest/,
    );
  });
});

describe.each([
  ['Basic (htpasswd)', () => basic, 'Basic'],
  ['Bearer (token server)', () => token, 'Bearer'],
])('%s auth', (_name, registry, scheme) => {
  test('no credentials: the registry requires them, and the message says how to give them', async () => {
    const error = await failure(
      client(registry(), { hints: { credentials: 'use --user and --password' } }).push(
        ref(registry(), 'x:1'),
        {
          kind: 'actor',
          bytes: actor,
        },
      ),
    );
    expect(error.code).toBe('OCI_UNAUTHORIZED');
    expect(error.message).toBe(
      `registry ${registry().host} requires credentials (${scheme} auth) and none were given; use --user and --password`,
    );
  });

  test('wrong credentials are refused, naming the user', async () => {
    const error = await failure(
      client(registry(), { credentials: () => ({ username: 'alice', password: 'wrong' }) }).pull(
        ref(registry(), 'x:1'),
      ),
    );
    expect(error.code).toBe('OCI_CREDENTIALS_REFUSED');
    expect(error.message).toMatch(
      new RegExp(`^registry ${registry().host} refused the credentials of user "alice" \\(401`),
    );
  });

  test('the right credentials push and pull', async () => {
    const oci = client(registry(), {
      credentials: (host) => (host === registry().host ? ALICE : undefined),
    });
    const pushed = await oci.push(ref(registry(), 'secret/kvcounter:1.0.0'), { kind: 'actor', bytes: actor });
    const pulled = await oci.pull(ref(registry(), 'secret/kvcounter:1.0.0'));
    expect(pulled.manifestDigest).toBe(pushed.manifestDigest);
    expect(Buffer.from(pulled.bytes).equals(Buffer.from(actor))).toBe(true);
  });
});

describe('Bearer tokens', () => {
  test('one token per scope is fetched and reused for every request of that scope', async () => {
    const before = token.tokenRequests().length;
    const oci = client(token, { credentials: () => ALICE });
    await oci.push(ref(token, 'reuse:1'), { kind: 'actor', bytes: actor });
    await oci.pull(ref(token, 'reuse:1'));
    await oci.pull(ref(token, 'reuse:1'));
    expect(token.tokenRequests().slice(before)).toEqual([
      { scope: 'repository:reuse:pull,push', status: 200 },
      { scope: 'repository:reuse:pull', status: 200 },
    ]);
  });

  test('a ready-made token is sent as is; a bad one is refused', async () => {
    await client(token, { credentials: () => ALICE }).push(ref(token, 'given:1'), {
      kind: 'actor',
      bytes: actor,
    });
    const challenge = (await fetch(`http://${token.host}/v2/`)).headers.get('www-authenticate')!;
    const tokenUrl = new URL(/realm="([^"]+)"/.exec(challenge)![1]!);
    tokenUrl.searchParams.set('service', /service="([^"]+)"/.exec(challenge)![1]!);
    tokenUrl.searchParams.set('scope', 'repository:given:pull');
    const reply = await fetch(tokenUrl, {
      headers: {
        authorization: `Basic ${Buffer.from(`${ALICE.username}:${ALICE.password}`).toString('base64')}`,
      },
    });
    const { token: bearer } = (await reply.json()) as { token: string };
    const pulled = await client(token, { credentials: () => ({ token: bearer }) }).pull(
      ref(token, 'given:1'),
    );
    expect(pulled.kind).toBe('actor');
    const error = await failure(
      client(token, { credentials: () => ({ token: 'not.a.token' }) }).pull(ref(token, 'given:1')),
    );
    expect(error.code).toBe('OCI_CREDENTIALS_REFUSED');
    expect(error.message).toBe(`registry ${token.host} refused the token given (401 Unauthorized)`);
  });
});
