// The host's settings: the 2022 environment variables and their flags, validated at start-up, and
// what the host process does with a bad one (one line naming it, exit 1).

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  HOST_SETTINGS,
  HostConfigError,
  hostLabels,
  resolveHostConfig,
  settingsFromEnv,
} from '../../host/config.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { eventuallyPasses } from '../helpers/eventually.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import { NODE_24 } from '../helpers/wash.ts';

describe('resolveHostConfig', () => {
  test('defaults as the 2022 host: lattice "default", 127.0.0.1:4222, 2000 ms, a generated cluster key', () => {
    const config = resolveHostConfig({}, {});
    expect(config.latticePrefix).toBe('default');
    expect(config.rpc.url).toBe('127.0.0.1:4222');
    expect(config.ctl.url).toBe('127.0.0.1:4222');
    expect(config.rpcTimeoutMs).toBe(2000);
    expect(config.clusterSeedGenerated).toBe(true);
    expect(config.clusterIssuers).toEqual([config.clusterKey.publicKey]);
    expect(config.hostKey.publicKey).toMatch(/^N/);
    expect(config.actorWorkers).toBe(Math.max(1, availableParallelism() - 1));
  });

  test('reads every WASMCLOUD_* variable it knows; a given cluster seed joins the issuers', () => {
    const cluster = KeyPair.create('cluster');
    const other = KeyPair.create('cluster').publicKey;
    const host = KeyPair.create('server');
    const config = resolveHostConfig(
      settingsFromEnv({
        WASMCLOUD_LATTICE_PREFIX: 'blue',
        WASMCLOUD_RPC_HOST: 'nats.internal',
        WASMCLOUD_RPC_PORT: '4333',
        WASMCLOUD_CTL_PORT: '4444',
        WASMCLOUD_RPC_TIMEOUT_MS: '5000',
        WASMCLOUD_CLUSTER_SEED: cluster.seed,
        WASMCLOUD_CLUSTER_ISSUERS: other,
        WASMCLOUD_HOST_SEED: host.seed,
        WASMCLOUD_JS_DOMAIN: 'edge',
        WASMCLOUD_OCI_ALLOW_LATEST: 'true',
        WASMCLOUD_OCI_ALLOWED_INSECURE: 'localhost:5000, registry:5000',
        WASMCLOUD_RPC_JWT: 'eyJ.jwt',
        WASMCLOUD_RPC_SEED: 'SUAseed',
        WASMCLOUD_CTL_TLS: 'true',
      }),
      {},
    );
    expect(config.latticePrefix).toBe('blue');
    expect(config.rpc).toMatchObject({ url: 'nats.internal:4333', jwt: 'eyJ.jwt', seed: 'SUAseed' });
    expect(config.rpc.tls).toBeUndefined();
    expect(config.ctl).toMatchObject({ url: 'nats.internal:4444', tls: true, jwt: 'eyJ.jwt' });
    expect(config.providerRpc.url).toBe('nats.internal:4333');
    expect(config.rpcTimeoutMs).toBe(5000);
    expect(config.clusterSeedGenerated).toBe(false);
    expect(config.clusterIssuers.sort()).toEqual([cluster.publicKey, other].sort());
    expect(config.hostKey.publicKey).toBe(host.publicKey);
    expect(config.jsDomain).toBe('edge');
    expect(config.allowLatest).toBe(true);
    expect(config.allowedInsecure).toEqual(['localhost:5000', 'registry:5000']);
  });

  test('a CA file turns TLS on for every connection; refusals name the credentials each one uses', () => {
    const config = resolveHostConfig(
      settingsFromEnv({
        WASMCLOUD_TLS_CA_FILE: '/etc/nats/ca.pem',
        WASMCLOUD_CTL_CREDSFILE: '/etc/ctl.creds',
      }),
      {},
    );
    for (const connection of [config.rpc, config.ctl, config.providerRpc])
      expect(connection.tls).toEqual({ caFile: '/etc/nats/ca.pem' });
    expect(config.rpc.sources?.credentials).toBe(
      'WASMCLOUD_RPC_JWT and WASMCLOUD_RPC_SEED, or WASMCLOUD_RPC_CREDSFILE',
    );
    expect(config.ctl.sources?.credentials).toBe(
      'WASMCLOUD_CTL_JWT and WASMCLOUD_CTL_SEED, or WASMCLOUD_CTL_CREDSFILE',
    );
    // Providers fall back to the RPC credentials here.
    expect(config.providerRpc.sources?.credentials).toMatch(/^WASMCLOUD_RPC_JWT/);
    expect(config.ctl.sources?.tlsCa).toBe('WASMCLOUD_TLS_CA_FILE');
  });

  test('file references: off by default; WASMCLOUD_ALLOW_FILE_LOAD_DIRS takes commas or colons, made absolute', () => {
    expect(resolveHostConfig({}, {}).fileLoad).toEqual({ allowed: false, directories: [] });
    expect(resolveHostConfig(settingsFromEnv({ WASMCLOUD_ALLOW_FILE_LOAD: 'true' }), {}).fileLoad).toEqual({
      allowed: true,
      directories: [],
    });
    const config = resolveHostConfig(
      settingsFromEnv({
        WASMCLOUD_ALLOW_FILE_LOAD: 'yes',
        WASMCLOUD_ALLOW_FILE_LOAD_DIRS: '/srv/actors, relative/dir:/opt/providers/../x,',
      }),
      {},
    );
    expect(config.fileLoad).toEqual({
      allowed: true,
      directories: ['/srv/actors', join(process.cwd(), 'relative', 'dir'), '/opt/x'],
    });
  });

  test('invocation events: each by default (as 2022), off when asked, case-insensitive', () => {
    expect(resolveHostConfig({}, {}).invocationEvents).toBe('each');
    expect(
      resolveHostConfig(settingsFromEnv({ WASMCLOUD_INVOCATION_EVENTS: 'OFF' }), {}).invocationEvents,
    ).toBe('off');
  });

  test('docs/host.md lists every setting with its variable and flag', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'host.md'), 'utf8');
    for (const spec of Object.values(HOST_SETTINGS)) {
      expect(doc).toMatch(new RegExp(`\\| \`${spec.env}\`\\s+\\| \`--${spec.flag}\`\\s+\\|`));
    }
  });

  test('labels come from HOST_* variables (lower-cased) beside the hostcore ones', () => {
    const labels = hostLabels({ HOST_ZONE: 'eu-1', HOST_Region: 'west', PATH: '/bin' }, { team: 'a' });
    expect(labels).toMatchObject({ zone: 'eu-1', region: 'west', team: 'a', 'hostcore.os': 'linux' });
    expect(labels).not.toHaveProperty('path');
  });

  test.each([
    [{ rpcPort: 'abc' }, /WASMCLOUD_RPC_PORT \(--rpc-port\): expected a port number/],
    [{ rpcPort: '70000' }, /WASMCLOUD_RPC_PORT \(--rpc-port\): expected a port from 1 to 65535/],
    [{ latticePrefix: 'a.b' }, /WASMCLOUD_LATTICE_PREFIX \(--lattice-prefix\)/],
    [{ clusterSeed: 'SNOTASEED' }, /WASMCLOUD_CLUSTER_SEED \(--cluster-seed\): expected a cluster seed/],
    [
      { hostSeed: KeyPair.create('cluster').seed },
      /WASMCLOUD_HOST_SEED \(--host-seed\): expected a server seed/,
    ],
    [
      { clusterIssuers: 'CFOO' },
      /WASMCLOUD_CLUSTER_ISSUERS \(--cluster-issuers\): expected comma-separated cluster keys/,
    ],
    [{ rpcTimeoutMs: '0' }, /WASMCLOUD_RPC_TIMEOUT_MS \(--rpc-timeout-ms\): must be at least 1/],
    [{ allowLatest: 'maybe' }, /WASMCLOUD_OCI_ALLOW_LATEST \(--allow-latest\): expected true or false/],
    [{ logLevel: 'loud' }, /WASMCLOUD_LOG_LEVEL \(--log-level\)/],
    [{ actorWorkers: '0' }, /WASMCLOUD_ACTOR_WORKERS \(--actor-workers\): must be at least 1/],
    [{ jsReplicas: '6' }, /WASMCLOUD_JS_REPLICAS \(--js-replicas\): must be at most 5 \(JetStream's limit\)/],
    [{ jsReplicas: 'three' }, /WASMCLOUD_JS_REPLICAS \(--js-replicas\): expected a whole number of replicas/],
    [
      { invocationEvents: 'some' },
      /WASMCLOUD_INVOCATION_EVENTS \(--invocation-events\): expected each or off/,
    ],
    [{ allowFileLoad: 'maybe' }, /WASMCLOUD_ALLOW_FILE_LOAD \(--allow-file-load\): expected true or false/],
    [
      { allowFileLoadDirs: '/srv/actors' },
      /WASMCLOUD_ALLOW_FILE_LOAD_DIRS \(--allow-file-load-dir\): file loading is off: set WASMCLOUD_ALLOW_FILE_LOAD=true \(--allow-file-load\) too/,
    ],
    [
      { allowFileLoad: 'true', allowFileLoadDirs: ' , :' },
      /WASMCLOUD_ALLOW_FILE_LOAD_DIRS \(--allow-file-load-dir\): expected at least one directory/,
    ],
  ])('%o is refused, naming the variable and the flag', (raw, message) => {
    expect(() => resolveHostConfig(raw, {})).toThrow(HostConfigError);
    expect(() => resolveHostConfig(raw, {})).toThrow(message);
  });
});

describe('the host process', () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(() => nats?.stop());

  function runHost(args: string[], env: Record<string, string> = {}) {
    const child = spawn(NODE_24, ['host/main.ts', ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // The exit code, or the signal that ended the process (so a crash shows as e.g. SIGSEGV).
    const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
      child.on('exit', (code, signal) => resolve(code ?? signal)),
    );
    return { child, exited, stderr: () => stderr };
  }

  test('a bad setting stops start-up with one line naming it', async () => {
    const run = runHost(['--rpc-port', 'four'], { WASMCLOUD_LATTICE_PREFIX: 'ok' });
    expect(await run.exited).toBe(1);
    expect(run.stderr().trim()).toBe(
      'error: invalid host configuration: WASMCLOUD_RPC_PORT (--rpc-port): expected a port number',
    );
  });

  test('an environment variable is checked the same way', async () => {
    const run = runHost([], { WASMCLOUD_CLUSTER_ISSUERS: 'nonsense' });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(/^error: invalid host configuration: WASMCLOUD_CLUSTER_ISSUERS/);
  });

  test('without a cluster seed it makes one and says to share it; SIGTERM stops it cleanly', async () => {
    const run = runHost(['--rpc-port', String(nats.port), '--lattice-prefix', 'cfgtest']);
    await eventuallyPasses(async () => expect(await run.stderr()).toMatch(/host started: N[A-Z2-7]{55}/), {
      what: 'run.stderr() to match (/host started: N[A-Z2-7]{55}/)',
      timeoutMs: 15_000,
    });
    expect(run.stderr()).toMatch(/no cluster seed given; .* WASMCLOUD_CLUSTER_SEED=SC[A-Z2-7]{56}/);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toMatch(/host N[A-Z2-7]{55} stopped/);
  });

  test('--allow-file-load alone turns file references on; --allow-file-load-dir repeats', async () => {
    const alone = runHost(['--allow-file-load-dir', '/srv/actors']);
    expect(await alone.exited).toBe(1);
    expect(alone.stderr()).toMatch(/^error: invalid host configuration: WASMCLOUD_ALLOW_FILE_LOAD_DIRS/);
    const run = runHost([
      '--rpc-port',
      String(nats.port),
      '--allow-file-load',
      '--allow-file-load-dir',
      '/srv/actors',
      '--allow-file-load-dir',
      '/srv/providers',
      '--lattice-prefix',
      'cfgfiles',
    ]);
    await eventuallyPasses(async () => expect(await run.stderr()).toMatch(/host started: N/), {
      what: 'run.stderr() to match (/host started: N/)',
      timeoutMs: 15_000,
    });
    expect(run.stderr()).toContain('file references allowed from /srv/actors, /srv/providers');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });

  test('--help lists the flags with their environment variables', async () => {
    const run = runHost(['--help']);
    let stdout = '';
    run.child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    expect(await run.exited).toBe(0);
    expect(stdout).toMatch(
      /--rpc-port <value>\s+NATS port for actor and provider RPC\s+\[WASMCLOUD_RPC_PORT\]/,
    );
    expect(stdout).toContain('--label <key=value...>');
  });
});
