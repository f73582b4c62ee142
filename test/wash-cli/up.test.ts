// `wash up` and `wash down` end to end, on free ports with wash's home in a temp dir: detached
// (nats-server started by wash up, then an existing one it must leave alone), foreground stopped
// with SIGINT, a host and an application controller that fail to start, and --no-wadm. Every PID
// wash reports (nats-server, host, controller) is checked to be gone.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectNats } from '../../lattice/nats.ts';
import { builtActor } from '../helpers/actors.ts';
import { eventually } from '../helpers/eventually.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';
import { freePort, type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import { isAlive } from '../helpers/processes.ts';
import { NODE_24, runWash, type WashRun } from '../helpers/wash.ts';

let dir: string;
/** PIDs wash reported, killed after each test if a test failed before `wash down`. */
const reportedPids = new Set<number>();
const servers: NatsServer[] = [];
const foregroundRuns: ChildProcess[] = [];

function washHome(): string {
  return join(dir, 'home');
}

function wash(args: string[], env: Record<string, string> = {}): Promise<WashRun> {
  return runWash(args, {
    env: { WASH_HOME: washHome(), HOME: dir, WASMCLOUD_CLUSTER_SEED: '', ...env },
    cwd: dir,
  });
}

/** Waits until process `pid` has exited (a zombie waiting to be reaped counts); rejects if it never does. */
async function waitForExit(pid: number): Promise<void> {
  await eventually(() => !isAlive(pid), { what: `process ${pid} to exit`, intervalMs: 50 });
}

async function natsAnswers(port: number): Promise<boolean> {
  try {
    const nc = await connectNats({ url: `127.0.0.1:${port}`, timeoutMs: 1000 });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wash-up-'));
});

afterEach(async () => {
  for (const child of foregroundRuns.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const pid of reportedPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  reportedPids.clear();
  rmSync(dir, { recursive: true, force: true });
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
});

describe('wash up --detached and wash down', () => {
  it('starts nats-server, a host and the application controller, serves ctl, call and app, and wash down leaves nothing behind', async () => {
    const port = await freePort();
    const up = await wash([
      'up',
      '-d',
      '--nats-port',
      String(port),
      '-x',
      'uptest',
      '--label',
      'zone=up',
      '-o',
      'json',
    ]);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    const info = JSON.parse(up.stdout) as Record<string, unknown>;
    const hostPid = info.host_pid as number;
    const natsPid = info.nats_pid as number;
    const wadmPid = info.wadm_pid as number;
    reportedPids.add(hostPid).add(natsPid).add(wadmPid);
    expect(info).toMatchObject({
      nats_url: `nats://127.0.0.1:${port}`,
      nats_started: true,
      lattice_prefix: 'uptest',
      allow_file_load: true,
      kill_cmd: 'wash down',
      wadm_started: true,
      wadm_log: join(washHome(), 'up', 'wadm.log'),
      success: true,
    });
    // The application controller runs (its own process) and answers on the lattice.
    expect(isAlive(wadmPid)).toBe(true);
    expect(readFileSync(`/proc/${wadmPid}/cmdline`, 'utf8')).toContain('controller/main.ts');
    const apps = await wash(['app', 'list', '-p', String(port), '-x', 'uptest', '-o', 'json']);
    expect(JSON.parse(apps.stdout)).toEqual({ models: [], success: true });
    expect(info.host_id).toMatch(/^N[A-Z2-7]{55}$/);
    expect(existsSync(join(washHome(), 'up.json'))).toBe(true);
    expect(existsSync(join(washHome(), 'up_cluster.nk'))).toBe(true);

    const ctl = ['-p', String(port), '-x', 'uptest'];
    const hosts = await wash(['ctl', 'get', 'hosts', ...ctl, '-t', '500', '-o', 'json']);
    const listed = (
      JSON.parse(hosts.stdout) as { hosts: Array<{ id: string; labels: Record<string, string> }> }
    ).hosts;
    expect(listed.map((host) => host.id)).toEqual([info.host_id]);
    expect(listed[0]?.labels.zone).toBe('up');

    // The cluster seed wash up saved signs `wash ctl call` without any flag.
    writeFileSync(join(dir, 'echo_s.wasm'), builtActor('echo'));
    const started = await wash(['ctl', 'start', 'actor', 'echo_s.wasm', ...ctl, '-o', 'json']);
    const actorId = (JSON.parse(started.stdout) as { actor_id: string }).actor_id;
    const request = JSON.stringify({ method: 'GET', path: '/up', queryString: '', header: {}, body: '' });
    const called = await wash(['ctl', 'call', actorId, 'HttpServer.HandleRequest', request, ...ctl]);
    expect(called.code).toBe(0);
    expect(called.stdout).toContain('"statusCode": 200');
    expect(called.stdout).toContain('\\"path\\":\\"/up\\"');

    const again = await wash(['up', '-d', '--nats-port', String(port)]);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe(
      `error: wash up is already running in the background (host ${info.host_id}, pid ${hostPid}): stop it with wash down`,
    );

    const down = await wash(['down']);
    expect(down.code).toBe(0);
    // The controller first, so it does not act on the host going away.
    expect(down.stdout.split('\n')[0]).toBe(`Stopped the application controller (pid ${wadmPid})`);
    expect(down.stdout).toContain(`Stopped host ${info.host_id} (pid ${hostPid})`);
    expect(down.stdout).toContain(`Stopped nats-server nats://127.0.0.1:${port} (pid ${natsPid})`);
    await waitForExit(wadmPid);
    await waitForExit(hostPid);
    await waitForExit(natsPid);
    expect(await natsAnswers(port)).toBe(false);
    expect(existsSync(join(washHome(), 'up.json'))).toBe(false);

    const nothing = await wash(['down']);
    expect(nothing.code).toBe(0);
    expect(nothing.stdout).toMatch(/^Nothing to stop: wash up is not running in the background/);
  });

  it('uses a NATS server that is already running and leaves it running; --no-wadm starts no controller', async () => {
    const server = await startNatsServer();
    servers.push(server);
    const up = await wash(['up', '-d', '--nats-port', String(server.port), '--no-wadm']);
    expect(up.code).toBe(0);
    const info = JSON.parse(readFileSync(join(washHome(), 'up.json'), 'utf8')) as Record<string, unknown>;
    reportedPids.add(info.host_pid as number);
    expect(info.wadm_pid).toBeUndefined();
    expect(up.stdout).toMatch(/^ {2}Controller\s+none \(--no-wadm\): wash app needs one$/m);
    const apps = await wash(['app', 'list', '-p', String(server.port)]);
    expect(apps.code).toBe(1);
    expect(apps.stderr).toMatch(
      /^error: no application controller is running in lattice "default": .*; start one with wash up\n$/,
    );
    expect(up.stdout).toContain(`${server.url} (already running)`);
    // The host it starts is for local use: it may start actors and providers from files, and says so.
    expect(up.stdout).toMatch(/^ {2}file references allowed \(local use\): --allow-file-load$/m);
    expect(info.nats_pid).toBeUndefined();

    const down = await wash(['down', '-o', 'json']);
    expect(JSON.parse(down.stdout)).toMatchObject({ stopped: true, host_stopped: true, nats_stopped: false });
    expect(JSON.parse(down.stdout)).not.toHaveProperty('wadm_stopped');
    await waitForExit(info.host_pid as number);
    expect(await natsAnswers(server.port)).toBe(true);
  });
});

describe('wash up in the foreground', () => {
  it('streams the host log until SIGINT, then stops the host and its nats-server and exits 0', async () => {
    const port = await freePort();
    const child = spawn(
      NODE_24,
      [join(REPO_ROOT, 'wash-cli', 'wash.js'), 'up', '--nats-port', String(port), '-o', 'json'],
      {
        env: { ...process.env, WASH_HOME: washHome(), HOME: dir, WASMCLOUD_CLUSTER_SEED: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    foregroundRuns.push(child);
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`wash up did not get ready:\n${stdout}\n${stderr}`)),
        30_000,
      );
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const firstLine = stdout.split('\n')[0];
        if (stdout.includes('\n') && firstLine) {
          clearTimeout(timer);
          resolve(JSON.parse(firstLine) as Record<string, unknown>);
        }
      });
      child.once('exit', (code) => reject(new Error(`wash up exited with ${code}:\n${stdout}\n${stderr}`)));
    });
    const hostPid = ready.host_pid as number;
    const natsPid = ready.nats_pid as number;
    const wadmPid = ready.wadm_pid as number;
    reportedPids.add(hostPid).add(natsPid).add(wadmPid);
    expect(ready).toMatchObject({
      nats_url: `nats://127.0.0.1:${port}`,
      nats_started: true,
      kill_cmd: 'wash down',
      wadm_started: true,
    });
    expect(isAlive(wadmPid)).toBe(true);

    const hosts = await wash(['ctl', 'get', 'hosts', '-p', String(port), '-t', '500', '-o', 'json']);
    expect(
      (JSON.parse(hosts.stdout) as { hosts: Array<{ id: string }> }).hosts.map((host) => host.id),
    ).toEqual([ready.host_id]);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toContain(`host started: ${ready.host_id}`);
    expect(stderr).toContain('stopped');
    // The controller's log goes where the host's does, each line marked.
    expect(stderr).toMatch(/^wadm \| .+/m);
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '')).toMatchObject({
      host_id: ready.host_id,
      stopped: true,
    });
    await waitForExit(wadmPid);
    await waitForExit(hostPid);
    await waitForExit(natsPid);
  });

  it("shows the host's last log lines and stops its nats-server when the host cannot start", async () => {
    const port = await freePort();
    const run = await wash(['up', '--nats-port', String(port), '--log-level', 'loud']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("last lines of the host's log:");
    expect(run.stderr).toContain('--log-level');
    expect(run.stderr.trim().split('\n').at(-1)).toBe(
      'error: the host exited with code 1 before it was ready',
    );
    expect(await natsAnswers(port)).toBe(false);
  });

  it("shows the controller's last log lines and stops the host and nats-server when the controller cannot start", async () => {
    const port = await freePort();
    // A setting only the controller reads, and refuses: the host starts, the controller does not.
    const run = await wash(['up', '--nats-port', String(port)], {
      WASMCLOUD_CONTROLLER_REPLICA_ID: 'not one word',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("last lines of the application controller's log:");
    expect(run.stderr).toContain('WASMCLOUD_CONTROLLER_REPLICA_ID');
    expect(run.stderr.trim().split('\n').at(-1)).toBe(
      'error: the application controller exited with code 1 before it was ready (wash up --no-wadm starts none)',
    );
    expect(await natsAnswers(port)).toBe(false);
    // The same with wash 0.2x's --disable-wadm: no controller, so the host is up.
    const skipped = await wash(['up', '-d', '--nats-port', String(port), '--disable-wadm', '-o', 'json'], {
      WASMCLOUD_CONTROLLER_REPLICA_ID: 'not one word',
    });
    const info = JSON.parse(skipped.stdout) as Record<string, unknown>;
    reportedPids.add(info.host_pid as number).add(info.nats_pid as number);
    expect(info).toMatchObject({ wadm_started: false, success: true });
    expect(info).not.toHaveProperty('wadm_pid');
    expect((await wash(['down'])).code).toBe(0);
    await waitForExit(info.host_pid as number);
    await waitForExit(info.nats_pid as number);
  });

  it('rejects bad flags with one line', async () => {
    const run = await wash(['up', '--nats-port', 'abc']);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      'error: invalid --nats-port "abc": expected a whole number from 1 to 65535',
    );
    const seed = await wash(['up', '--cluster-seed', 'SNOTASEED']);
    expect(seed.code).toBe(1);
    expect(seed.stderr.trim()).toMatch(/^error: --cluster-seed is not a cluster seed/);
  });
});
