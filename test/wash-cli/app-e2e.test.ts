// The echo walk-through as an application, end to end with nothing stood in: `wash up -d` starts
// nats-server, a host and the real application controller; `wash app deploy` puts
// examples/echo-app.yaml and deploys it; the controller starts the echo actor and the httpserver
// provider and links them, and an HTTP GET on the link's address answers the echo JSON; `wash app
// undeploy` makes the controller stop both; `wash down` stops all three processes. The manifest
// is the example's, with only the link's port changed to a free one (8080 may be taken here); wash
// runs from the repository's root, so the example's relative image paths resolve in the host.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, eventuallyPasses } from '../helpers/eventually.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';
import { freePort } from '../helpers/nats-server.ts';
import { isAlive } from '../helpers/processes.ts';
import { runWash, type WashRun } from '../helpers/wash.ts';

const LATTICE = 'appe2e';
const EXAMPLE = join(REPO_ROOT, 'examples', 'echo-app.yaml');
const EXAMPLE_ADDRESS = '127.0.0.1:8080';

let dir: string;
let natsPort: number;
let httpPort: number;
let manifestPath: string;
/** Every PID `wash up` reported, killed after the suite if a test failed before `wash down`. */
const reportedPids: number[] = [];

function wash(args: string[]): Promise<WashRun> {
  return runWash(args, {
    env: {
      WASH_HOME: join(dir, 'home'),
      HOME: dir,
      WASMCLOUD_CLUSTER_SEED: '',
      WASMCLOUD_CTL_TIMEOUT_MS: '',
    },
    cwd: REPO_ROOT,
  });
}

/** `wash …` against this suite's lattice. */
function onLattice(...args: string[]): Promise<WashRun> {
  return wash([...args, '-p', String(natsPort), '-x', LATTICE]);
}

function json<T>(run: WashRun): T {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as T;
}

interface Inventory {
  actors: Array<{
    id: string;
    image_ref?: string | null;
    instances: Array<{ annotations?: Record<string, string> }>;
  }>;
  providers: Array<{ id: string; contract_id?: string }>;
}

async function inventory(hostId: string): Promise<Inventory> {
  return json<{ inventory: Inventory }>(await onLattice('ctl', 'get', 'inventory', hostId, '-o', 'json'))
    .inventory;
}

async function echoAnswer(): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${httpPort}/hi?x=1`);
  return `${response.status} ${await response.text()}`;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wash-app-e2e-'));
  natsPort = await freePort();
  httpPort = await freePort();
  const example = readFileSync(EXAMPLE, 'utf8');
  expect(example).toContain(`ADDRESS: ${EXAMPLE_ADDRESS}`);
  manifestPath = join(dir, 'echo-app.yaml');
  writeFileSync(manifestPath, example.replaceAll(EXAMPLE_ADDRESS, `127.0.0.1:${httpPort}`));
});

afterAll(async () => {
  for (const pid of reportedPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('wash up, then the echo walk-through as an application', () => {
  let hostId: string;
  let controllerPid: number;

  it('wash up -d starts nats-server, a host and the application controller', async () => {
    const up = json<Record<string, unknown>>(
      await wash(['up', '-d', '--nats-port', String(natsPort), '-x', LATTICE, '-o', 'json']),
    );
    reportedPids.push(up.wadm_pid as number, up.host_pid as number, up.nats_pid as number);
    expect(up).toMatchObject({ wadm_started: true, wadm_log: join(dir, 'home', 'up', 'wadm.log') });
    hostId = up.host_id as string;
    controllerPid = up.wadm_pid as number;
    expect(isAlive(controllerPid)).toBe(true);
    expect(readFileSync(`/proc/${controllerPid}/cmdline`, 'utf8')).toContain('controller/main.ts');
    // It answers: wash up waited for that.
    expect(json<{ models: unknown[] }>(await onLattice('app', 'list', '-o', 'json')).models).toEqual([]);
  }, 90_000);

  it('wash app deploy examples/echo-app.yaml: the link answers the echo JSON', async () => {
    const deploy = json<{ result: string; name: string; version: string; put: { result: string } }>(
      await onLattice('app', 'deploy', manifestPath, '-o', 'json'),
    );
    expect(deploy).toMatchObject({ result: 'acknowledged', name: 'echo', version: 'v0.1.0' });
    expect(deploy.put.result).toBe('created');
    await eventuallyPasses(
      async () =>
        expect(await echoAnswer()).toBe('200 {"body":[],"method":"GET","path":"/hi","query_string":"x=1"}'),
      { what: `the echo actor to answer on 127.0.0.1:${httpPort}`, timeoutMs: 60_000, intervalMs: 250 },
    );
    const status = await eventually(
      async () => {
        const reply = json<{
          status: { status: { type: string }; scalers: Array<{ status: { type: string } }> };
        }>(await onLattice('app', 'status', 'echo', '-o', 'json'));
        return reply.status.status.type === 'deployed' ? reply.status : undefined;
      },
      { what: 'application echo to be deployed', timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(status.scalers.map((scaler) => scaler.status.type)).toEqual(['deployed', 'deployed', 'deployed']);
    // What the controller started is marked as the application's.
    const running = await inventory(hostId);
    expect(running.actors).toHaveLength(1);
    expect(running.actors[0]?.instances[0]?.annotations).toMatchObject({
      'wasmcloud.dev/managed-by': 'wadm',
      'wasmcloud.dev/appspec': 'echo',
    });
    expect(running.providers.map((provider) => provider.contract_id)).toEqual(['wasmcloud:httpserver']);
    const listed = await onLattice('app', 'list');
    expect(listed.stdout).toMatch(/^echo\s+v0\.1\.0\s+v0\.1\.0\s+deployed\s+/m);
  }, 120_000);

  it('wash app undeploy echo: the actor and the provider are gone, and so is the listener', async () => {
    const undeploy = await onLattice('app', 'undeploy', 'echo');
    expect(undeploy.code).toBe(0);
    await eventuallyPasses(
      async () => {
        const left = await inventory(hostId);
        expect(left.actors).toEqual([]);
        expect(left.providers).toEqual([]);
      },
      { what: 'the echo actor and the httpserver provider to stop', timeoutMs: 30_000, intervalMs: 250 },
    );
    await expect(echoAnswer()).rejects.toThrow();
    const status = json<{ status: { status: { type: string } } }>(
      await onLattice('app', 'status', 'echo', '-o', 'json'),
    );
    expect(status.status.status.type).toBe('undeployed');
  }, 60_000);

  it('wash down stops the controller first, then the host and nats-server', async () => {
    const down = await wash(['down']);
    expect(down.code).toBe(0);
    const lines = down.stdout.trim().split('\n');
    expect(lines[0]).toBe(`Stopped the application controller (pid ${controllerPid})`);
    expect(lines[1]).toMatch(/^Stopped host /);
    for (const pid of reportedPids) {
      await eventually(() => !isAlive(pid), { what: `process ${pid} to exit`, intervalMs: 50 });
    }
  }, 60_000);
});
