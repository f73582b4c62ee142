// `wash push` / `wash pull` (and `wash reg push|pull`) as a user runs them, against the real
// distribution registry, with skopeo as the independent judge of what landed there: media types,
// digests and bytes. Also `latest`, --insecure, credentials (flags and WASH_REG_* variables),
// --digest, files that are not artifacts, and a layer altered in the registry.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { verifySignedWasm } from '../../lattice/claims.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { createProviderArchive } from '../../lattice/provider-archive.ts';
import { builtActor, signForTest, unsignedActor } from '../helpers/actors.ts';
import { eventually } from '../helpers/eventually.ts';
import { type OciRegistry, startOciRegistry } from '../helpers/oci-registry.ts';
import { expectOneLineError, runWash, type WashRun } from '../helpers/wash.ts';

const ALICE = { username: 'alice', password: 'open sesame' };
const provider = KeyPair.create('service');

let registry: OciRegistry;
let secured: OciRegistry;
let dir: string;
let echoPath: string;
let parPath: string;
const echo = builtActor('echo');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wash-oci-'));
  [registry, secured] = await Promise.all([
    startOciRegistry(),
    startOciRegistry({ auth: { kind: 'htpasswd', user: ALICE } }),
  ]);
  echoPath = join(dir, 'echo_s.wasm');
  writeFileSync(echoPath, echo);
  writeFileSync(join(dir, 'unsigned.wasm'), unsignedActor('wasmbus-kvcounter'));
  writeFileSync(join(dir, 'notes.txt'), 'not an artifact\n');
  const archive = await createProviderArchive({
    metadata: { name: 'Fake', capid: 'wasmcloud:fake', vendor: 'tests', rev: 2, ver: '0.2.0' },
    binaries: new Map([['x86_64-linux', new TextEncoder().encode('#!/bin/sh\nexit 0\n')]]),
    issuer: KeyPair.create('account'),
    subject: provider,
    compress: true,
  });
  parPath = join(dir, 'fake.par.gz');
  writeFileSync(parPath, archive.bytes);
});

afterAll(async () => {
  await Promise.all([registry?.stop(), secured?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

function json(run: WashRun): Record<string, unknown> {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

function sha256(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** `skopeo inspect` over plain HTTP; the raw manifest with --raw. */
function skopeo(args: string[], ref: string): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync('skopeo', [...args, '--tls-verify=false', `docker://${ref}`], { encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('wash push', () => {
  test('an actor: skopeo sees the wasmCloud media types, and the layer is the file, byte for byte', async () => {
    const ref = registry.ref('wasmcloud/echo:0.1.0');
    const pushed = json(await runWash(['push', ref, echoPath, '--insecure', '-o', 'json']));
    expect(pushed).toEqual({
      result: 'success',
      url: ref,
      kind: 'actor',
      public_key: verifySignedWasm(echo).claims.sub,
      digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      layer_digest: sha256(echo),
      success: true,
    });

    const raw = skopeo(['inspect', '--raw'], ref);
    expect(raw.code).toBe(0);
    expect(sha256(raw.stdout)).toBe(pushed.digest);
    expect(JSON.parse(raw.stdout)).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.wasmcloud.actor.archive.config', digest: sha256('{}'), size: 2 },
      layers: [
        {
          mediaType: 'application/vnd.module.wasm.content.layer.v1+wasm',
          digest: sha256(echo),
          size: echo.length,
        },
      ],
    });
    expect(skopeo(['inspect', '--raw', '--config'], ref).stdout).toBe('{}');
    // Not a container image: skopeo's image view refuses it, naming our config type.
    const image = skopeo(['inspect'], ref);
    expect(image.code).not.toBe(0);
    expect(image.stderr).toContain('artifact with type \\"application/vnd.wasmcloud.actor.archive.config\\"');

    const copied = join(dir, 'skopeo-copy');
    const copy = spawnSync('skopeo', ['copy', '--src-tls-verify=false', `docker://${ref}`, `dir:${copied}`], {
      encoding: 'utf8',
    });
    expect(copy.status).toBe(0);
    expect(readFileSync(join(copied, sha256(echo).slice(7))).equals(echo)).toBe(true);
  });

  test('a provider archive, in text output', async () => {
    const ref = registry.ref('providers/fake:0.2.0');
    const run = await runWash(['push', ref, parPath, '--insecure']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Successfully validated and pushed to ${ref}\n`));
    expect(run.stdout).toMatch(
      new RegExp(`Kind\\s+provider\nPublic key\\s+${provider.publicKey}\nDigest\\s+sha256:`),
    );
    const manifest = JSON.parse(skopeo(['inspect', '--raw'], ref).stdout) as {
      config: { mediaType: string };
      layers: Array<{ mediaType: string; digest: string }>;
    };
    expect(manifest.config.mediaType).toBe('application/vnd.wasmcloud.provider.archive.config');
    expect(manifest.layers).toEqual([
      {
        mediaType: 'application/vnd.wasmcloud.provider.archive.layer.v1+par',
        digest: sha256(readFileSync(parPath)),
        size: readFileSync(parPath).length,
      },
    ]);
  });

  test('files that are not artifacts are refused before anything is sent', async () => {
    expectOneLineError(
      await runWash(['push', registry.ref('x:1'), join(dir, 'unsigned.wasm'), '--insecure']),
      /unsigned\.wasm is not a signed actor module: /,
    );
    expectOneLineError(
      await runWash(['push', registry.ref('x:1'), join(dir, 'notes.txt'), '--insecure']),
      /notes\.txt is neither a WebAssembly module \(an actor\) nor a provider archive$/,
    );
    expectOneLineError(
      await runWash(['push', registry.ref('x:1'), join(dir, 'missing.wasm'), '--insecure']),
      /cannot read the artifact .*missing\.wasm: ENOENT/,
    );
    expectOneLineError(
      await runWash(['push', 'echo:0.1.0', echoPath]),
      /"echo:0.1.0" is not an OCI reference \(registry\[:port\]\/repository\[:tag\|@digest\]/,
    );
    // The access log reaches this process through a pipe: a marker request after the refusals is
    // logged after anything they sent, so once it shows, the log holds all of theirs.
    const marker = '/v2/marker-after-refusals/tags/list';
    await fetch(`http://${registry.host}${marker}`);
    await eventually(
      () => registry.requests().some((request) => request.path === marker),
      'the marker request in the registry access log',
    );
    expect(registry.requests().filter((request) => request.path.startsWith('/v2/x/'))).toEqual([]);
  });
});

describe('wash pull', () => {
  test('gets identical bytes, to --destination or to {repository}.wasm / .par.gz here', async () => {
    await runWash(['push', registry.ref('wasmcloud/echo:0.1.0'), echoPath, '--insecure']);
    await runWash(['push', registry.ref('providers/fake:0.2.0'), parPath, '--insecure']);
    const destination = join(dir, 'pulled-echo.wasm');
    const pulled = json(
      await runWash([
        'pull',
        registry.ref('wasmcloud/echo:0.1.0'),
        '--destination',
        destination,
        '--insecure',
        '-o',
        'json',
      ]),
    );
    expect(pulled).toMatchObject({ file: destination, kind: 'actor', success: true });
    expect(readFileSync(destination).equals(echo)).toBe(true);

    const here = join(dir, 'cwd');
    mkdirSync(here);
    const run = await runWash(['pull', registry.ref('providers/fake:0.2.0'), '--insecure'], { cwd: here });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Successfully pulled and validated .*\/cwd\/fake\.par\.gz\n/);
    expect(readdirSync(here)).toEqual(['fake.par.gz']);
    expect(readFileSync(join(here, 'fake.par.gz')).equals(readFileSync(parPath))).toBe(true);
  });

  test('wash reg push and wash reg pull are the same commands', async () => {
    const ref = registry.ref('reg/echo:1.0.0');
    expect(json(await runWash(['reg', 'push', ref, echoPath, '--insecure', '-o', 'json'])).result).toBe(
      'success',
    );
    const destination = join(dir, 'reg-pulled.wasm');
    json(await runWash(['reg', 'pull', ref, '--destination', destination, '--insecure', '-o', 'json']));
    expect(readFileSync(destination).equals(echo)).toBe(true);
  });

  test('--digest: the manifest must have it (with or without sha256:)', async () => {
    const ref = registry.ref('digested/echo:1');
    const { digest } = json(await runWash(['push', ref, echoPath, '--insecure', '-o', 'json'])) as {
      digest: string;
    };
    const destination = join(dir, 'digested.wasm');
    const wrong = `sha256:${'0'.repeat(64)}`;
    expectOneLineError(
      await runWash(['pull', ref, '--insecure', '-d', wrong, '--destination', destination]),
      new RegExp(`has the digest ${digest}, not ${wrong} \\(--digest\\); nothing written$`),
    );
    expect(existsSync(destination)).toBe(false);
    const right = await runWash([
      'pull',
      ref,
      '--insecure',
      '--digest',
      digest.slice(7),
      '--destination',
      destination,
    ]);
    expect(right.code).toBe(0);
    expect(readFileSync(destination).equals(echo)).toBe(true);
  });

  test('a layer altered in the registry is caught by its digest and nothing is written', async () => {
    // Blobs are shared by every repository of a registry: alter one no other test pushes (a fresh
    // signature makes the bytes unique).
    const file = join(dir, 'unique.wasm');
    writeFileSync(file, signForTest(unsignedActor('wasmbus-kvcounter')).bytes);
    const ref = registry.ref('tampered/kv:1');
    const { layer_digest: layer } = json(await runWash(['push', ref, file, '--insecure', '-o', 'json'])) as {
      layer_digest: string;
    };
    const path = registry.blobDataPath(layer);
    const stored = readFileSync(path);
    stored.writeUInt8(stored.readUInt8(100) ^ 0xff, 100); // same size, one byte off
    writeFileSync(path, stored);
    const destination = join(dir, 'tampered.wasm');
    expectOneLineError(
      await runWash(['pull', ref, '--insecure', '--destination', destination]),
      new RegExp(
        `the layer ${layer} of ${ref} does not match its digest: expected ${layer}, the bytes received hash to`,
      ),
    );
    expect(existsSync(destination)).toBe(false);
  });
});

describe('latest, HTTPS and credentials', () => {
  test('latest, named or implied by no tag, is refused unless --allow-latest', async () => {
    for (const ref of [registry.ref('latest/echo'), registry.ref('latest/echo:latest')]) {
      expectOneLineError(
        await runWash(['push', ref, echoPath, '--insecure']),
        /(has no tag, so it means the tag latest|uses the tag latest), which can change under you; give a version tag or a digest, or allow latest with --allow-latest$/,
      );
    }
    expect(
      (await runWash(['push', registry.ref('latest/echo'), echoPath, '--insecure', '--allow-latest'])).code,
    ).toBe(0);
    expectOneLineError(
      await runWash(['pull', registry.ref('latest/echo:latest'), '--insecure']),
      /--allow-latest$/,
    );
    const destination = join(dir, 'latest.wasm');
    const run = await runWash([
      'pull',
      registry.ref('latest/echo:latest'),
      '--insecure',
      '--allow-latest',
      '--destination',
      destination,
    ]);
    expect(run.code).toBe(0);
    expect(readFileSync(destination).equals(echo)).toBe(true);
  });

  test('without --insecure the registry is spoken to over HTTPS, and the error says to pass it', async () => {
    expectOneLineError(
      await runWash(['pull', registry.ref('wasmcloud/echo:0.1.0')]),
      new RegExp(
        `cannot reach registry ${registry.host} at https://${registry.host} \\(TLS handshake failed: ERR_SSL_\\w+\\); if it serves plain HTTP, pass --insecure$`,
      ),
    );
  });

  test('a registry that needs credentials: none, wrong (WASH_REG_*), right (env, then -u/-p)', async () => {
    const ref = secured.ref('private/echo:0.1.0');
    expectOneLineError(
      await runWash(['push', ref, echoPath, '--insecure']),
      new RegExp(
        `registry ${secured.host} requires credentials \\(Basic auth\\) and none were given; give them with -u/--user and -p/--password \\(or WASH_REG_USER and WASH_REG_PASSWORD\\)$`,
      ),
    );
    expectOneLineError(
      await runWash(['push', ref, echoPath, '--insecure'], {
        env: { WASH_REG_USER: 'alice', WASH_REG_PASSWORD: 'wrong' },
      }),
      new RegExp(`registry ${secured.host} refused the credentials of user "alice" \\(401 Unauthorized\\)$`),
    );
    const pushed = await runWash(['push', ref, echoPath, '--insecure', '-o', 'json'], {
      env: { WASH_REG_USER: ALICE.username, WASH_REG_PASSWORD: ALICE.password },
    });
    expect(json(pushed).result).toBe('success');
    const destination = join(dir, 'private.wasm');
    const pulled = await runWash([
      'pull',
      ref,
      '--insecure',
      '-u',
      ALICE.username,
      '-p',
      ALICE.password,
      '--destination',
      destination,
    ]);
    expect(pulled.code).toBe(0);
    expect(readFileSync(destination).equals(echo)).toBe(true);
    expectOneLineError(
      await runWash(['pull', ref, '--insecure', '-u', 'alice']),
      /give both a username and a password \(-u\/--user and -p\/--password, or WASH_REG_USER and WASH_REG_PASSWORD\), or neither$/,
    );
  });
});
