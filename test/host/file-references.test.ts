// File references are opt-in (docs/host.md, "Files as actors and providers"): refused unless the host
// allows file loading, then optionally only inside listed directories that neither `..` nor a
// symbolic link can leave; a refusal reads the same whether or not the file exists; the
// dashboard's own uploads start whatever the setting. First ArtifactSource on real files, then
// real hosts on a real nats-server answering control messages.

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ArtifactError, ArtifactSource } from '../../host/artifacts.ts';
import { FILE_LOAD_HINTS, FileLoadPolicy, type FileLoadSettings } from '../../host/file-load-policy.ts';
import { verifySignedWasm } from '../../lattice/claims.ts';
import { createLogger } from '../../lattice/log.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { builtActor } from '../helpers/actors.ts';
import { apiPost, apiUpload } from '../helpers/dashboard-client.ts';
import { startTestHost, type TestHost } from '../helpers/host.ts';
import { ctlRequest, EventLog } from '../helpers/lattice-client.ts';
import { freePort, type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

const ECHO = builtActor('wasmbus-echo');
const ECHO_ID = verifySignedWasm(ECHO).claims.sub;

let dir: string;
/** Files may come from here when a test lists it; `outside` is next to it. */
let allowed: string;
let outside: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-file-refs-'));
  allowed = join(dir, 'allowed');
  outside = join(dir, 'outside');
  mkdirSync(allowed);
  mkdirSync(outside);
  mkdirSync(join(dir, 'allowed-not'));
  writeFileSync(join(allowed, 'echo_s.wasm'), ECHO);
  writeFileSync(join(outside, 'echo_s.wasm'), ECHO);
  writeFileSync(join(dir, 'allowed-not', 'echo_s.wasm'), ECHO);
  symlinkSync(join(outside, 'echo_s.wasm'), join(allowed, 'escape.wasm'));
  symlinkSync(outside, join(allowed, 'out'));
  symlinkSync(join(outside, 'missing.wasm'), join(allowed, 'dangling.wasm'));
  symlinkSync(allowed, join(dir, 'allowed-link'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ArtifactSource and its FileLoadPolicy', () => {
  const log = createLogger({ level: 'error', structured: false, write: () => undefined });

  function source(settings?: FileLoadSettings, internal?: () => string[]): ArtifactSource {
    return new ArtifactSource(
      { allowLatest: false, allowedInsecure: [], cacheDir: join(dir, 'oci'), registries: new Map() },
      { putRefmap: async () => undefined },
      { publish: () => undefined },
      log,
      settings === undefined ? undefined : new FileLoadPolicy(settings, internal),
    );
  }

  async function failure(from: ArtifactSource, ref: string): Promise<ArtifactError> {
    const error = await from.fetch(ref, 'actor').then(
      () => undefined,
      (reason: unknown) => reason,
    );
    if (!(error instanceof ArtifactError)) throw new Error(`${ref} was not refused with an ArtifactError`);
    return error;
  }

  async function bytesOf(from: ArtifactSource, ref: string): Promise<Uint8Array> {
    return (await from.fetch(ref, 'actor')).bytes;
  }

  test('off by default: every file reference is refused with one message, whether or not the file exists', async () => {
    const echoPath = join(allowed, 'echo_s.wasm');
    const refs = [
      '/etc/passwd',
      '../../etc/passwd',
      'etc/passwd',
      join(dir, 'missing.wasm'),
      echoPath,
      relative(process.cwd(), echoPath),
      `file://${echoPath}`,
      'file:///nowhere/missing.wasm',
      'file://elsewhere/etc/passwd',
      './actors/build/echo_s.wasm',
    ];
    for (const from of [source(), source({ allowed: false, directories: [] })]) {
      for (const ref of refs) {
        const error = await failure(from, ref);
        expect(error.code, ref).toBe('ARTIFACT_FILE_NOT_ALLOWED');
        expect(error.message, ref).toBe(`cannot load ${ref}: ${FILE_LOAD_HINTS.off}`);
      }
    }
    expect(FILE_LOAD_HINTS.off).toContain('WASMCLOUD_ALLOW_FILE_LOAD=true (--allow-file-load)');
  });

  test('allowed: files load from anywhere the host can read; a missing one is reported missing', async () => {
    const from = source({ allowed: true, directories: [] });
    const echoPath = join(outside, 'echo_s.wasm');
    for (const ref of [echoPath, `file://${echoPath}`, relative(process.cwd(), echoPath)]) {
      expect(Buffer.compare(await bytesOf(from, ref), ECHO), ref).toBe(0);
    }
    expect(await failure(from, join(dir, 'missing.wasm'))).toMatchObject({
      code: 'ARTIFACT_NOT_FOUND',
      message: `cannot read ${join(dir, 'missing.wasm')}: no such file`,
    });
  });

  test('limited to a directory: inside loads; `..`, symbolic links and look-alike names are refused like any path outside', async () => {
    const from = source({ allowed: true, directories: [allowed] });
    expect(Buffer.compare(await bytesOf(from, join(allowed, 'echo_s.wasm')), ECHO)).toBe(0);
    expect(Buffer.compare(await bytesOf(from, `${allowed}/./sub/../echo_s.wasm`), ECHO)).toBe(0);
    // A path inside that does not exist may say so: it is inside what the operator allowed.
    expect((await failure(from, join(allowed, 'missing.wasm'))).code).toBe('ARTIFACT_NOT_FOUND');
    const refused = [
      `${allowed}/../outside/echo_s.wasm`, // exists
      `${allowed}/../outside/missing.wasm`, // does not
      join(dir, 'allowed-not', 'echo_s.wasm'), // a name that starts like the directory's
      join(allowed, 'escape.wasm'), // a link to a file outside
      join(allowed, 'out', 'echo_s.wasm'), // through a link to a directory outside
      `file://${join(allowed, 'out', 'echo_s.wasm')}`,
      '/etc/passwd',
      '../../etc/passwd',
      'etc/passwd',
    ];
    for (const ref of refused) {
      const error = await failure(from, ref);
      expect(error.code, ref).toBe('ARTIFACT_FILE_NOT_ALLOWED');
      expect(error.message, ref).toBe(`cannot load ${ref}: ${FILE_LOAD_HINTS.outside}`);
    }
    // A dangling link says nothing of what lies outside: it is simply not there.
    expect((await failure(from, join(allowed, 'dangling.wasm'))).code).toBe('ARTIFACT_NOT_FOUND');
  });

  test('a directory listed through a symbolic link allows the same files, by either path', async () => {
    const from = source({ allowed: true, directories: [join(dir, 'allowed-link')] });
    expect(Buffer.compare(await bytesOf(from, join(allowed, 'echo_s.wasm')), ECHO)).toBe(0);
    expect(Buffer.compare(await bytesOf(from, join(dir, 'allowed-link', 'echo_s.wasm')), ECHO)).toBe(0);
    expect((await failure(from, join(dir, 'allowed-link', 'out', 'echo_s.wasm'))).code).toBe(
      'ARTIFACT_FILE_NOT_ALLOWED',
    );
  });

  test("the host's own directories are allowed whatever the setting; nothing next to them is", async () => {
    const from = source({ allowed: false, directories: [] }, () => [allowed]);
    expect(Buffer.compare(await bytesOf(from, join(allowed, 'echo_s.wasm')), ECHO)).toBe(0);
    for (const ref of [join(outside, 'echo_s.wasm'), join(allowed, 'escape.wasm')]) {
      expect((await failure(from, ref)).message).toBe(`cannot load ${ref}: ${FILE_LOAD_HINTS.off}`);
    }
  });
});

describe('hosts on a lattice', () => {
  const LATTICE = 'filerefs';
  const subjects = latticeSubjects(LATTICE).ctl;
  let nats: NatsServer;
  let nc: NatsConnection;
  let events: EventLog;
  let closed: TestHost;
  let limited: TestHost;
  let dashboard: string;

  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connectNats({ url: nats.url });
    events = new EventLog(nc, LATTICE);
    const dashboardPort = await freePort();
    [closed, limited] = await Promise.all([
      startTestHost({
        natsUrl: nats.url,
        settings: { latticePrefix: LATTICE, allowFileLoad: 'false', dashboardPort: String(dashboardPort) },
      }),
      startTestHost({
        natsUrl: nats.url,
        settings: { latticePrefix: LATTICE, allowFileLoad: 'true', allowFileLoadDirs: allowed },
      }),
    ]);
    dashboard = `http://127.0.0.1:${dashboardPort}`;
  });

  afterAll(async () => {
    await Promise.all([closed?.host.stop(), limited?.host.stop()]);
    await nc?.close();
    await nats?.stop();
  });

  /** Launches the actor `ref` names on `host` and answers the error of its actor_start_failed. */
  async function startFailure(host: TestHost, ref: string): Promise<string> {
    expect(await ctlRequest(nc, subjects.launchActor(host.id), { actor_ref: ref, count: 1 })).toEqual({
      accepted: true,
      error: '',
    });
    const event = await events.waitFor('actor_start_failed', (data) => data.actor_ref === ref);
    expect(event.source).toBe(host.id);
    return (event.data as { error: string }).error;
  }

  test('by default a start from a file fails with the refusal, the same for /etc/passwd, a missing path and a real actor', async () => {
    for (const ref of [
      '/etc/passwd',
      join(dir, 'missing.wasm'),
      join(allowed, 'echo_s.wasm'),
      '../../etc/passwd',
    ]) {
      expect(await startFailure(closed, ref)).toBe(`cannot load ${ref}: ${FILE_LOAD_HINTS.off}`);
    }
    const providerRef = join(allowed, 'echo_s.wasm');
    expect(
      await ctlRequest(nc, subjects.launchProvider(closed.id), {
        provider_ref: providerRef,
        link_name: 'default',
      }),
    ).toEqual({ accepted: true, error: '' });
    const failed = await events.waitFor('provider_start_failed', (data) => data.provider_ref === providerRef);
    expect((failed.data as { error: string }).error).toBe(
      `cannot load ${providerRef}: ${FILE_LOAD_HINTS.off}`,
    );
    expect(closed.logs.join('\n')).not.toMatch(/file references allowed/);
  });

  test("the dashboard's uploads still start there; a live update naming a file is refused in the reply", async () => {
    const upload = await apiUpload(dashboard, 'kind=actor&name=echo.wasm', ECHO);
    expect(upload.status).toBe(201);
    const started = await apiPost(dashboard, '/api/actors', {
      upload_id: upload.body.upload_id,
      host_id: closed.id,
    });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ host_id: closed.id, actor_id: ECHO_ID });
    const ref = join(allowed, 'echo_s.wasm');
    expect(
      await ctlRequest(nc, subjects.updateActor(closed.id), { actor_id: ECHO_ID, new_actor_ref: ref }),
    ).toEqual({
      accepted: false,
      error: `cannot load ${ref}: ${FILE_LOAD_HINTS.off}`,
      code: 'ARTIFACT_FILE_NOT_ALLOWED',
    });
  });

  test('limited to a directory: a start from inside works; `..` and a link out are refused like a missing path outside', async () => {
    const inside = join(allowed, 'echo_s.wasm');
    expect(await ctlRequest(nc, subjects.launchActor(limited.id), { actor_ref: inside })).toEqual({
      accepted: true,
      error: '',
    });
    const event = await events.waitFor('actor_started', (data) => data.image_ref === inside);
    expect(event.source).toBe(limited.id);
    for (const ref of [
      `${allowed}/../outside/echo_s.wasm`,
      `${allowed}/../outside/missing.wasm`,
      join(allowed, 'escape.wasm'),
      join(allowed, 'out', 'echo_s.wasm'),
    ]) {
      expect(await startFailure(limited, ref)).toBe(`cannot load ${ref}: ${FILE_LOAD_HINTS.outside}`);
    }
    expect(limited.logs.join('\n')).toContain(`file references allowed from ${allowed}`);
  });
});
