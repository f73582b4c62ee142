// A secured lattice end to end (docs/host.md, "Securing a lattice"): a real nats-server in operator
// mode (account and user JWTs, a memory resolver) that requires TLS with a CA of the test's own.
// A host process connects for RPC with a user JWT + seed and for control with a creds file, hands
// providers their own creds file's JWT and seed plus the CA; `wash` drives it with a creds file
// or JWT + seed; the httpserver provider carries an HTTP request to the echo actor; the dashboard
// shows it all. With wrong credentials or no CA, the host and wash each stop with one line naming
// the setting to check, and a provider says so in one line of the host's log.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LatticeSnapshot } from '../../dashboard/snapshot.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { buildProviderArchive } from '../../providers/build.ts';
import { builtActor } from '../helpers/actors.ts';
import { apiGet } from '../helpers/dashboard-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { type HostProcess, runHostUntilExit, startHostProcess } from '../helpers/host-process.ts';
import { freePort } from '../helpers/nats-server.ts';
import { type SecuredNats, startSecuredNats } from '../helpers/secured-nats.ts';
import { expectOneLineError, runWash, type WashRun } from '../helpers/wash.ts';

const LATTICE = 'secured';
const clusterKey = KeyPair.create('cluster');

let dir: string;
let nats: SecuredNats;
let host: HostProcess;
/** The wash user's creds file. */
let washCreds: string;
let echoPath: string;
let echoId: string;
let provider: { path: string; providerKey: string };

/** Settings of a host that may connect: RPC by JWT + seed, control and providers by creds files. */
function securedHostEnv(lattice: string): Record<string, string> {
  const rpcUser = nats.user(`${lattice}-rpc`);
  return {
    WASMCLOUD_RPC_HOST: '127.0.0.1',
    WASMCLOUD_RPC_PORT: String(nats.server.port),
    WASMCLOUD_RPC_JWT: rpcUser.jwt,
    WASMCLOUD_RPC_SEED: rpcUser.seed,
    WASMCLOUD_CTL_CREDSFILE: nats.credsFile(`${lattice}-ctl`, nats.user(`${lattice}-ctl`)),
    WASMCLOUD_PROV_RPC_CREDSFILE: nats.credsFile(`${lattice}-providers`, nats.user(`${lattice}-providers`)),
    WASMCLOUD_TLS_CA_FILE: nats.tls.caFile,
    WASMCLOUD_LATTICE_PREFIX: lattice,
    WASMCLOUD_CLUSTER_SEED: clusterKey.seed,
    WASMCLOUD_ALLOW_FILE_LOAD: 'true',
    WASMCLOUD_ACTOR_WORKERS: '1',
    WASMCLOUD_DASHBOARD_PORT: 'off',
  };
}

/** `wash ctl …` on a secured lattice, trusting the CA, with `auth` flags (default: the creds file). */
function ctl(
  args: string[],
  auth: string[] = ['--ctl-credsfile', washCreds],
  lattice = LATTICE,
): Promise<WashRun> {
  return runWash(
    [
      'ctl',
      ...args,
      ...['-r', '127.0.0.1', '-p', String(nats.server.port), '-x', lattice],
      ...['--tls-ca-file', nats.tls.caFile],
      ...auth,
    ],
    { env: { WASH_HOME: join(dir, 'wash-home'), HOME: dir, WASMCLOUD_CLUSTER_SEED: '' }, cwd: dir },
  );
}

function json(run: WashRun): Record<string, unknown> {
  const hostLog = `the host's log ends:\n${host?.output().slice(-4000) ?? ''}`;
  expect(run.stderr, hostLog).toBe('');
  expect(run.code, hostLog).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

/** The one line a host that cannot start writes: exit 1, nothing else on stdout or stderr. */
async function expectHostRefused(env: Record<string, string>, pattern: RegExp): Promise<void> {
  const exit = await runHostUntilExit({ env });
  expect(exit.code).toBe(1);
  expect(exit.stdout).toBe('');
  const lines = exit.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: cannot connect to NATS at 127\.0\.0\.1:\d+: /);
  expect(lines[0]).toMatch(pattern);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'secured-lattice-'));
  nats = await startSecuredNats(dir);
  washCreds = nats.credsFile('wash', nats.user('wash'));
  echoPath = join(dir, 'echo_s.wasm');
  writeFileSync(echoPath, builtActor('echo'));
  provider = await buildProviderArchive('httpserver', {
    issuer: KeyPair.create('account'),
    subject: KeyPair.create('service'),
    out: join(dir, 'httpserver.par.gz'),
  });
  host = await startHostProcess({
    env: { ...securedHostEnv(LATTICE), WASMCLOUD_DASHBOARD_PORT: '0', WASMCLOUD_LOG_LEVEL: 'debug' },
  });
}, 60_000);

afterAll(async () => {
  await host?.stop();
  await nats?.server.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a lattice behind accounts, user credentials and TLS', () => {
  test('wash finds the host with a creds file, and with a JWT and seed', async () => {
    const byCreds = json(await ctl(['get', 'hosts', '-t', '2000', '-o', 'json']));
    expect((byCreds.hosts as Array<{ id: string }>).map((shown) => shown.id)).toEqual([host.id]);
    const washUser = nats.user('wash-jwt');
    const byJwt = json(
      await ctl(
        ['get', 'hosts', '-t', '2000', '-o', 'json'],
        ['--ctl-jwt', washUser.jwt, '--ctl-seed', washUser.seed],
      ),
    );
    expect((byJwt.hosts as Array<{ id: string }>).map((shown) => shown.id)).toEqual([host.id]);
  }, 60_000);

  test('wash starts the echo actor and the httpserver provider, links them, and HTTP reaches echo', async () => {
    const actor = json(
      await ctl(['start', 'actor', echoPath, '--host-id', host.id, '-t', '30000', '-o', 'json']),
    );
    expect(actor).toMatchObject({ host_id: host.id, result: 'started', success: true });
    echoId = actor.actor_id as string;
    // The provider connects with the JWT and seed of the host's WASMCLOUD_PROV_RPC_CREDSFILE, over
    // TLS with the CA the host names in its HostData.
    const started = json(
      await ctl(['start', 'provider', provider.path, '--host-id', host.id, '-t', '30000', '-o', 'json']),
    );
    expect(started).toMatchObject({ host_id: host.id, success: true });
    const port = await freePort();
    const linked = json(
      await ctl([
        ...['link', 'put', echoId, provider.providerKey, 'wasmcloud:httpserver'],
        ...[`ADDRESS=127.0.0.1:${port}`, '-t', '10000', '-o', 'json'],
      ]),
    );
    expect(linked).toMatchObject({ success: true });
    const response = await eventually(
      () => fetch(`http://127.0.0.1:${port}/secured?via=tls`).catch(() => undefined),
      'the httpserver to listen for echo',
      20_000,
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      body: [],
      method: 'GET',
      path: '/secured',
      query_string: 'via=tls',
    });
  }, 90_000);

  test("the host's dashboard shows the host, the actor, the provider and the link", async () => {
    expect(host.dashboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const state = await eventually(
      async () => {
        const reply = await apiGet<LatticeSnapshot>(host.dashboardUrl!, '/api/lattice');
        const { hosts, actors, providers, links } = reply.body;
        const complete =
          hosts.some((shown) => shown.id === host.id) &&
          actors.some((shown) => shown.id === echoId && shown.total_instances === 1) &&
          providers.some((shown) => shown.id === provider.providerKey) &&
          links.length === 1;
        return complete ? reply.body : undefined;
      },
      'the dashboard to show the host, echo, the httpserver and their link',
      20_000,
    );
    expect(state.lattice).toBe(LATTICE);
    expect(state.links[0]).toMatchObject({ actor_id: echoId, provider_id: provider.providerKey });
  }, 60_000);
});

describe('wrong credentials or no CA: one line that says what to check', () => {
  test('a host with a seed that is not the JWT’s stops at start-up', async () => {
    const env = securedHostEnv('wrongseed');
    await expectHostRefused(
      { ...env, WASMCLOUD_RPC_SEED: nats.user('someone-else').seed },
      /Authorization Violation: the server refused the credentials \(check WASMCLOUD_RPC_JWT and WASMCLOUD_RPC_SEED, or WASMCLOUD_RPC_CREDSFILE\)$/,
    );
  }, 60_000);

  test('a host whose control creds file is of an account the server does not know stops at start-up', async () => {
    const env = securedHostEnv('strangerctl');
    await expectHostRefused(
      { ...env, WASMCLOUD_CTL_CREDSFILE: nats.strangerCredsFile() },
      /Authorization Violation: the server refused the credentials \(check WASMCLOUD_CTL_JWT and WASMCLOUD_CTL_SEED, or WASMCLOUD_CTL_CREDSFILE\)$/,
    );
  }, 60_000);

  test('a host without the CA does not trust the server and stops at start-up', async () => {
    const { WASMCLOUD_TLS_CA_FILE: _caFile, ...env } = securedHostEnv('noca');
    await expectHostRefused(
      env,
      /the server's TLS certificate is not trusted \(unable to verify the first certificate; check WASMCLOUD_TLS_CA_FILE\)$/,
    );
  }, 60_000);

  test('wash with a stranger’s creds, a wrong seed, or no CA fails with one error line', async () => {
    expectOneLineError(
      await ctl(['get', 'hosts', '-t', '5000'], ['--ctl-credsfile', nats.strangerCredsFile()]),
      /^error: cannot connect to NATS at 127\.0\.0\.1:\d+: Authorization Violation: the server refused the credentials \(check --ctl-jwt and --ctl-seed, or --ctl-credsfile, or their WASMCLOUD_CTL_\* variables\)$/,
    );
    const user = nats.user('wash-wrong-seed');
    expectOneLineError(
      await ctl(
        ['get', 'hosts', '-t', '5000'],
        ['--ctl-jwt', user.jwt, '--ctl-seed', nats.user('other').seed],
      ),
      /Authorization Violation: the server refused the credentials/,
    );
    const withoutCa = await runWash(
      [
        'ctl',
        'get',
        'hosts',
        '-t',
        '5000',
        '-p',
        String(nats.server.port),
        '-x',
        LATTICE,
        '--ctl-credsfile',
        washCreds,
      ],
      { env: { WASH_HOME: join(dir, 'wash-home'), HOME: dir, WASMCLOUD_TLS_CA_FILE: '' }, cwd: dir },
    );
    expectOneLineError(
      withoutCa,
      /the server's TLS certificate is not trusted \(unable to verify the first certificate; check --tls-ca-file or WASMCLOUD_TLS_CA_FILE\)$/,
    );
  }, 60_000);

  test('a provider given credentials the server refuses says so in one line of the host log', async () => {
    const lattice = 'badprovider';
    const badHost = await startHostProcess({
      env: { ...securedHostEnv(lattice), WASMCLOUD_PROV_RPC_CREDSFILE: nats.strangerCredsFile() },
    });
    try {
      const start = ['start', 'provider', provider.path, '--host-id', badHost.id, '--skip-wait'];
      const started = await ctl([...start, '-t', '10000'], undefined, lattice);
      expect(started.code, started.stderr).toBe(0);
      const line = await eventually(
        () =>
          badHost
            .output()
            .split('\n')
            .find((logged) => logged.includes('provider cannot start')),
        "the provider's refusal in the host log",
        20_000,
      );
      expect(line).toContain(`[${provider.providerKey}]: provider cannot start: cannot connect to NATS at`);
      expect(line).toMatch(
        /Authorization Violation: the server refused the credentials \(check the host's WASMCLOUD_PROV_RPC_JWT and WASMCLOUD_PROV_RPC_SEED, or WASMCLOUD_PROV_RPC_CREDSFILE\) code=NATS_AUTH_REFUSED$/,
      );
      expect(badHost.output()).not.toMatch(/\n\s+at /);
    } finally {
      await badHost.stop();
    }
  }, 60_000);
});
