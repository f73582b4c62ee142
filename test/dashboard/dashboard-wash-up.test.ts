// `wash up` prints the dashboard's URL (it reads the host's log line), and the dashboard answers
// there: detached, with wash's home in a temp dir, an existing nats-server and a free port. `wash
// down` stops the host, and the dashboard with it.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { eventuallyPasses } from '../helpers/eventually.ts';
import { freePort, type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import { isAlive } from '../helpers/processes.ts';
import { runWash } from '../helpers/wash.ts';

let nats: NatsServer;
let dir: string;
/** Host processes wash up reported, killed in afterAll if a test failed before wash down. */
const hostPids = new Set<number>();

function wash(args: string[]) {
  return runWash(args, {
    env: { WASH_HOME: join(dir, 'home'), HOME: dir, WASMCLOUD_CLUSTER_SEED: '' },
    cwd: dir,
  });
}

beforeAll(async () => {
  nats = await startNatsServer();
  dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-dashup-'));
});

afterAll(async () => {
  for (const pid of hostPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('wash up prints the dashboard URL, the dashboard answers there, and wash down stops it', async () => {
  const port = await freePort();
  const up = await wash([
    'up',
    '-d',
    '--nats-url',
    nats.url,
    '-x',
    'dashup',
    '--dashboard-port',
    String(port),
    '-o',
    'json',
  ]);
  expect(up.stderr).toBe('');
  expect(up.code).toBe(0);
  const info = JSON.parse(up.stdout) as { dashboard_url?: string; host_pid: number; host_id: string };
  hostPids.add(info.host_pid);
  expect(info.dashboard_url).toBe(`http://127.0.0.1:${port}`);

  const live = await fetch(`${info.dashboard_url}/api/livez`);
  expect(live.status).toBe(200);
  await eventuallyPasses(
    async () => {
      const lattice = (await (await fetch(`${info.dashboard_url}/api/lattice`)).json()) as {
        hosts: Array<{ id: string; local: boolean }>;
      };
      expect(lattice.hosts).toEqual([expect.objectContaining({ id: info.host_id, local: true })]);
    },
    { what: 'the dashboard to list the host it runs in, as local' },
  );

  const down = await wash(['down']);
  expect(down.code).toBe(0);
  await eventuallyPasses(async () => expect(await isAlive(info.host_pid)).toBe(false), {
    what: 'isAlive(info.host_pid) to be (false)',
    timeoutMs: 15_000,
  });
  await expect(fetch(`${info.dashboard_url}/api/livez`)).rejects.toThrow();
});

test('wash up in text form names the dashboard among what it started', async () => {
  const port = await freePort();
  const up = await wash([
    'up',
    '-d',
    '--nats-url',
    nats.url,
    '-x',
    'dashup2',
    '--dashboard-port',
    String(port),
  ]);
  expect(up.code).toBe(0);
  const state = JSON.parse(readFileSync(join(dir, 'home', 'up.json'), 'utf8')) as { host_pid: number };
  hostPids.add(state.host_pid);
  expect(up.stdout).toMatch(new RegExp(`^  Dashboard\\s+http://127\\.0\\.0\\.1:${port}$`, 'm'));
  expect((await wash(['down'])).code).toBe(0);
  await eventuallyPasses(async () => expect(await isAlive(state.host_pid)).toBe(false), {
    what: 'isAlive(state.host_pid) to be (false)',
    timeoutMs: 15_000,
  });
});
