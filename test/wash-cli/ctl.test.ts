// `wash ctl` end to end: the real wash CLI (a child process) against a real host process
// (host/main.ts) on a nats-server of the test's own, with the built echo actor and the probe
// provider. Tests in this file run in order and share one host.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyPair } from '../../lattice/keys.ts';
import { buildProbeArchive, PROBE_CONTRACT } from '../fixtures/providers/provider-test-kit.ts';
import { builtActor, unsignedActor } from '../helpers/actors.ts';
import { eventually } from '../helpers/eventually.ts';
import { type HostProcess, startHostProcess } from '../helpers/host-process.ts';
import { freePort, type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import { expectOneLineError, runWash, type WashRun } from '../helpers/wash.ts';

const LATTICE = 'ctltest';
const clusterKey = KeyPair.create('cluster');

let nats: NatsServer;
let dir: string;
let host: HostProcess;
let hostId: string;
let echoPath: string;
let echoId: string;

/** Runs wash with this suite's home dir and no cluster seed in the environment. */
function wash(args: string[], env: Record<string, string> = {}): Promise<WashRun> {
  return runWash(args, {
    env: { WASH_HOME: join(dir, 'wash-home'), HOME: dir, WASMCLOUD_CLUSTER_SEED: '', ...env },
    cwd: dir,
  });
}

/** `wash ctl …` against this suite's lattice. */
function ctl(...args: string[]): Promise<WashRun> {
  return wash(['ctl', ...args, '-p', String(nats.port), '-x', LATTICE]);
}

function json(run: WashRun): Record<string, unknown> {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

interface Inventory {
  host_id: string;
  labels: Record<string, string>;
  actors: Array<{ id: string; name: string; instances: unknown[] }>;
  providers: Array<{ id: string; link_name: string; contract_id?: string }>;
}

async function inventory(): Promise<Inventory> {
  return json(await ctl('get', 'inventory', hostId, '-o', 'json')).inventory as Inventory;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wash-ctl-'));
  echoPath = join(dir, 'echo_s.wasm');
  writeFileSync(echoPath, builtActor('echo'));
  writeFileSync(join(dir, 'echo.wasm'), unsignedActor('echo'));
  nats = await startNatsServer();
  host = await startHostProcess({
    env: { WASMCLOUD_CLUSTER_SEED: clusterKey.seed },
    args: [
      '--rpc-port',
      String(nats.port),
      '--lattice-prefix',
      LATTICE,
      '--label',
      'zone=test',
      '--allow-file-load',
    ],
    timeoutMs: 20_000,
  });
  hostId = host.id;
});

afterAll(async () => {
  await host?.stop();
  await nats?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('wash ctl get', () => {
  it('lists the host, as a table and as JSON', async () => {
    const text = await ctl('get', 'hosts', '-t', '500');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Host ID\s+Friendly Name\s+Uptime \(seconds\)\n/);
    expect(text.stdout).toContain(hostId);
    const { hosts, success } = json(await ctl('get', 'hosts', '-t', '500', '-o', 'json')) as {
      hosts: Array<{ id: string; labels: Record<string, string>; uptime_seconds: number }>;
      success: boolean;
    };
    expect(success).toBe(true);
    expect(hosts).toHaveLength(1);
    expect(hosts[0]?.id).toBe(hostId);
    expect(hosts[0]?.labels.zone).toBe('test');
    expect(hosts[0]?.uptime_seconds).toBeGreaterThanOrEqual(0);
  });

  it('finds no host in another lattice, and says where it looked', async () => {
    const run = await wash(['ctl', 'get', 'hosts', '-p', String(nats.port), '-x', 'elsewhere', '-t', '300']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(
      `No hosts answered in lattice "elsewhere" (NATS 127.0.0.1:${nats.port}) within 300 ms`,
    );
  });

  it('reads the connection from WASMCLOUD_CTL_PORT and WASMCLOUD_LATTICE_PREFIX', async () => {
    const run = await wash(['ctl', 'get', 'hosts', '-t', '500', '-o', 'json'], {
      WASMCLOUD_CTL_PORT: String(nats.port),
      WASMCLOUD_LATTICE_PREFIX: LATTICE,
    });
    expect((json(run).hosts as Array<{ id: string }>).map((host) => host.id)).toEqual([hostId]);
  });

  it("shows an empty host's inventory", async () => {
    const run = await ctl('get', 'inventory', hostId);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Host ID        ${hostId}`);
    expect(run.stdout).toMatch(/zone\s+test/);
    expect(run.stdout).toContain('No actors found');
    const shown = await inventory();
    expect(shown).toMatchObject({ host_id: hostId, actors: [], providers: [] });
    expect(shown.labels['hostcore.os']).toBeTruthy();
  });

  it("shows an empty host's load, as a table and as JSON", async () => {
    const run = await ctl('get', 'load', hostId);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(`No actors running on host ${hostId}`);
    expect(json(await ctl('get', 'load', hostId, '-o', 'json')).load).toEqual({
      host_id: hostId,
      actors: [],
    });
  });

  it('rejects a malformed host ID before connecting, and names a host nobody serves', async () => {
    expectOneLineError(
      await ctl('get', 'inventory', 'NOTAHOST'),
      /invalid host ID "NOTAHOST": expected a host public key/,
    );
    const stranger = KeyPair.create('server').publicKey;
    expectOneLineError(
      await ctl('get', 'inventory', stranger),
      new RegExp(
        `no host ${stranger} in lattice "${LATTICE}": nobody is listening on wasmbus\\.ctl\\.${LATTICE}\\.get\\.${stranger}\\.inv`,
      ),
    );
  });
});

describe('wash ctl start, scale, update and stop actor', () => {
  it('starts the echo actor on the auction winner and waits for actor_started', async () => {
    const result = json(await ctl('start', 'actor', echoPath, '-o', 'json'));
    expect(result).toMatchObject({ actor_ref: echoPath, host_id: hostId, result: 'started', success: true });
    expect(result.actor_id).toMatch(/^M[A-Z2-7]{55}$/);
    echoId = result.actor_id as string;
    const shown = await inventory();
    expect(shown.actors.map((actor) => [actor.id, actor.name, actor.instances.length])).toEqual([
      [echoId, 'echo', 1],
    ]);
  });

  it('lists the actor claims the host published', async () => {
    const { claims } = json(await ctl('get', 'claims', '-o', 'json')) as {
      claims: { claims: Array<Record<string, string>> };
    };
    const echo = claims.claims.find((claim) => claim.sub === echoId);
    expect(echo).toMatchObject({ name: 'echo' });
    expect(echo?.caps).toContain('wasmcloud:httpserver');
    const text = await ctl('get', 'claims');
    expect(text.stdout).toMatch(new RegExp(`Subject\\s+${echoId}`));
  });

  it('starts more instances on a chosen host, as text', async () => {
    const run = await ctl('start', 'actor', 'echo_s.wasm', '--host-id', hostId, '--count', '2');
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(`Actor ${echoPath} started on host ${hostId} (actor ID ${echoId})`);
    expect((await inventory()).actors[0]?.instances).toHaveLength(3);
  });

  it('scales the actor and live-updates it', async () => {
    const scaled = json(await ctl('scale', 'actor', hostId, echoId, echoPath, '-c', '1', '-o', 'json'));
    expect(scaled).toMatchObject({ actor_id: echoId, count: 1, result: 'accepted' });
    await eventually(async () => (await inventory()).actors[0]?.instances.length === 1, {
      what: 'the inventory to list one instance',
      intervalMs: 200,
    });
    expect((await inventory()).actors[0]?.instances).toHaveLength(1);
    const updated = await ctl('update', 'actor', hostId, echoId, echoPath);
    expect(updated.code).toBe(0);
    expect(updated.stdout.trim()).toBe(`Actor ${echoId} updated to ${echoPath} on host ${hostId}`);
  });

  it('reports a start that fails on the host with its reason', async () => {
    expectOneLineError(
      await ctl('start', 'actor', 'echo.wasm', '--host-id', hostId),
      new RegExp(
        `actor ${join(dir, 'echo.wasm').replaceAll('/', '\\/')} failed to start on host ${hostId}: .*not signed`,
      ),
    );
  });

  it('says so when no host bids in the auction', async () => {
    expectOneLineError(
      await ctl('start', 'actor', echoPath, '-c', 'zone=mars', '--auction-timeout-ms', '300'),
      new RegExp(
        `no host offered to run actor .*echo_s\\.wasm in lattice "${LATTICE}" within 300 ms \\(constraints zone=mars\\)`,
      ),
    );
  });

  it('returns at the ack with --skip-wait', async () => {
    const result = json(
      await ctl('start', 'actor', echoPath, '--host-id', hostId, '--skip-wait', '-o', 'json'),
    );
    expect(result).toMatchObject({ actor_ref: echoPath, host_id: hostId, result: 'accepted' });
  });
});

describe('wash ctl call', () => {
  it('calls echo through the lattice and prints its reply decoded from msgpack', async () => {
    const request = { method: 'GET', path: '/hello', queryString: 'a=1', header: {}, body: 'hi' };
    const run = await wash(
      [
        'ctl',
        'call',
        echoId,
        'HttpServer.HandleRequest',
        JSON.stringify(request),
        '-p',
        String(nats.port),
        '-x',
        LATTICE,
        '-o',
        'json',
      ],
      { WASMCLOUD_CLUSTER_SEED: clusterKey.seed },
    );
    const { result } = json(run) as { result: { statusCode: number; body: string } };
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({
      body: [104, 105],
      method: 'GET',
      path: '/hello',
      query_string: 'a=1',
    });
  });

  it("counts the calls in the host's load (wash ctl get load)", async () => {
    const { load } = json(await ctl('get', 'load', hostId, '-o', 'json')) as {
      load: {
        actors: Array<{
          id: string;
          in_flight: number;
          queued: number;
          calls_total: number;
          last_call_at: number;
        }>;
      };
    };
    const echo = load.actors.find((actor) => actor.id === echoId);
    expect(echo).toMatchObject({ in_flight: 0, queued: 0, calls_total: 1 });
    expect(echo!.last_call_at).toBeGreaterThan(Date.now() - 60_000);
    const text = await ctl('get', 'load', hostId);
    expect(text.stdout).toMatch(
      /^Actor ID\s+Instances\s+In Flight\s+Queued\s+Max Concurrency\s+Calls\s+Last Call \(UTC\)\n/,
    );
    expect(text.stdout).toMatch(
      new RegExp(`${echoId}\\s+\\d+\\s+0\\s+0\\s+\\d+\\s+1\\s+\\d\\d:\\d\\d:\\d\\d`),
    );
  });

  it("fails with the actor's error", async () => {
    const run = await ctl('call', echoId, 'Nope.Nothing', '{}', '--cluster-seed', clusterKey.seed);
    expectOneLineError(run, new RegExp(`actor ${echoId} answered Nope\\.Nothing with an error: .+`));
  });

  it('is refused by the host when signed with a seed it does not trust', async () => {
    const stranger = KeyPair.create('cluster');
    const run = await ctl('call', echoId, 'HttpServer.HandleRequest', '{}', '--cluster-seed', stranger.seed);
    expectOneLineError(run, new RegExp(`${stranger.publicKey} is not one of this lattice's cluster issuers`));
  });

  it('needs a cluster seed, and names where wash up keeps one', async () => {
    expectOneLineError(
      await ctl('call', echoId, 'HttpServer.HandleRequest'),
      /no cluster seed to sign the call with: pass --cluster-seed or set WASMCLOUD_CLUSTER_SEED \(wash up saves one in .*up_cluster\.nk\)/,
    );
  });

  it('says when the actor is not running', async () => {
    const absent = KeyPair.create('module').publicKey;
    expectOneLineError(
      await ctl('call', absent, 'HttpServer.HandleRequest', '--cluster-seed', clusterKey.seed),
      new RegExp(`actor ${absent} is not running in lattice "${LATTICE}"`),
    );
  });
});

describe('wash ctl link', () => {
  const providerId = KeyPair.create('service').publicKey;

  it('puts, lists and deletes a link', async () => {
    const put = json(
      await ctl(
        'link',
        'put',
        echoId,
        providerId,
        'wasmcloud:httpserver',
        'PORT=8080',
        '-l',
        'web',
        '-o',
        'json',
      ),
    );
    expect(put).toMatchObject({ actor_id: echoId, provider_id: providerId, success: true });
    const { links } = json(await ctl('link', 'query', '-o', 'json')) as {
      links: Array<Record<string, unknown>>;
    };
    expect(links).toContainEqual(
      expect.objectContaining({
        actor_id: echoId,
        provider_id: providerId,
        contract_id: 'wasmcloud:httpserver',
        link_name: 'web',
        values: { PORT: '8080' },
      }),
    );
    const table = await ctl('link', 'query');
    expect(table.stdout).toMatch(/^Actor ID\s+Provider ID\s+Contract ID\s+Link Name\n/);
    expect(table.stdout).toMatch(new RegExp(`${echoId}\\s+${providerId}\\s+wasmcloud:httpserver\\s+web`));
    const deleted = await ctl('link', 'del', echoId, 'wasmcloud:httpserver', '-l', 'web');
    expect(deleted.code).toBe(0);
    expect(deleted.stdout.trim()).toBe(
      `Deleted link for ${echoId} on wasmcloud:httpserver (web) successfully`,
    );
    const after = json(await ctl('link', 'query', '-o', 'json')) as { links: Array<{ actor_id: string }> };
    expect(after.links.filter((link) => link.actor_id === echoId)).toEqual([]);
  });

  it('rejects a public key given as the contract ID, and a value without "="', async () => {
    expectOneLineError(
      await ctl('link', 'put', echoId, providerId, providerId),
      /is a public key, not a contract ID/,
    );
    expectOneLineError(
      await ctl('link', 'put', echoId, providerId, 'wasmcloud:httpserver', 'PORT'),
      /invalid link value "PORT": expected KEY=VALUE/,
    );
    expectOneLineError(
      await ctl('link', 'del', providerId, 'wasmcloud:x'),
      /invalid actor ID .*starting with M/,
    );
  });
});

describe('wash ctl start and stop provider', () => {
  it('starts the probe provider from its archive and stops it again', async () => {
    const probe = await buildProbeArchive(dir);
    const started = json(await ctl('start', 'provider', probe.path, '-l', 'probe', '-o', 'json'));
    expect(started).toMatchObject({
      provider_ref: probe.path,
      provider_id: probe.providerKey,
      link_name: 'probe',
      host_id: hostId,
      result: 'started',
    });
    expect((await inventory()).providers).toContainEqual(
      expect.objectContaining({ id: probe.providerKey, link_name: 'probe' }),
    );
    const stopped = await ctl('stop', 'provider', hostId, probe.providerKey, 'probe', PROBE_CONTRACT);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout.trim()).toBe(
      `Provider ${probe.providerKey} (probe) stopped successfully on host ${hostId}`,
    );
    expect((await inventory()).providers).toEqual([]);
  });

  it('reports a provider that cannot start', async () => {
    expectOneLineError(
      await ctl('start', 'provider', join(dir, 'missing.par.gz'), '--host-id', hostId),
      new RegExp(`provider .*missing\\.par\\.gz failed to start on host ${hostId}: .+`),
    );
  });
});

describe('wash ctl stop actor', () => {
  it('stops every instance and waits for actor_stopped', async () => {
    const result = json(await ctl('stop', 'actor', hostId, echoId, '--count', '0', '-o', 'json'));
    expect(result).toMatchObject({ actor_id: echoId, host_id: hostId, result: 'stopped' });
    await eventually(async () => (await inventory()).actors.length === 0, {
      what: 'the inventory to list no actor',
      intervalMs: 200,
    });
    expect((await inventory()).actors).toEqual([]);
  });
});

describe('wash ctl errors', () => {
  it('says it cannot connect to NATS, and where', async () => {
    const port = await freePort();
    expectOneLineError(
      await wash(['ctl', 'get', 'hosts', '-p', String(port)]),
      new RegExp(`cannot connect to NATS at 127\\.0\\.0\\.1:${port}`),
    );
  });

  it('names the bad flag or variable', async () => {
    expectOneLineError(
      await wash(['ctl', 'get', 'hosts', '-p', 'abc']),
      /invalid --ctl-port "abc": expected a port/,
    );
    expectOneLineError(
      await wash(['ctl', 'get', 'hosts'], { WASMCLOUD_CTL_TIMEOUT_MS: 'soon' }),
      /invalid WASMCLOUD_CTL_TIMEOUT_MS "soon"/,
    );
    expectOneLineError(await ctl('start', 'actor', echoPath, '--count', '0'), /invalid --count "0"/);
    expectOneLineError(await ctl('start', 'actor', echoPath, '-c', 'zone'), /invalid constraint "zone"/);
    expectOneLineError(
      await wash(['ctl', 'get', 'hosts', '-x', 'a.b']),
      /invalid --lattice-prefix "a\.b": a lattice prefix is one word/,
    );
  });

  it('prints JSON errors to stderr with -o json', async () => {
    const run = await ctl('get', 'inventory', 'bad', '-o', 'json');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(JSON.parse(run.stderr)).toEqual({
      success: false,
      error: 'invalid host ID "bad": expected a host public key (56 characters, starting with N)',
      code: 'WASH_BAD_ARGUMENT',
    });
  });

  it("carries a host's refusal code beside its own with -o json", async () => {
    const notRunning = KeyPair.create('module').publicKey;
    const run = await ctl('stop', 'actor', hostId, notRunning, '-o', 'json');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stderr)).toMatchObject({
      success: false,
      code: 'CTL_REJECTED',
      host_code: 'ACTOR_NOT_RUNNING',
    });
  });

  it('has help for ctl and its subcommands', async () => {
    const help = await wash(['ctl', '--help']);
    expect(help.code).toBe(0);
    for (const group of ['get', 'link', 'start', 'stop', 'scale', 'update', 'call'])
      expect(help.stdout).toContain(group);
    const startHelp = await wash(['ctl', 'start', 'actor', '--help']);
    expect(startHelp.stdout).toContain('--auction-timeout-ms');
    expect(startHelp.stdout).toContain('--ctl-port');
  });
});

describe('wash ctl stop host', () => {
  it('asks the host to stop, and the host exits', async () => {
    const exited = new Promise<number | null>((resolve) => host.child.once('exit', (code) => resolve(code)));
    const run = await ctl('stop', 'host', hostId);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(`Host ${hostId} acknowledged stop request`);
    expect(await exited).toBe(0);
  });
});
