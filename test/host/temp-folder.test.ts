// A host's temporary folder outlives a SIGKILL; the next host to start removes it, and only it:
// real host processes (host/main.ts) on a nats-server of the test's own, all with TMPDIR set to a
// folder of this test, so nothing else on the machine is looked at. Planted folders check that a
// reused pid counts as dead and that folders without our marker, or from another machine, stay.

import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { OWNER_MARKER } from '../../host/temp-folder.ts';
import { type HostProcess, startHostProcess } from '../helpers/host-process.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

let nats: NatsServer;
let root: string;
const hosts: HostProcess[] = [];

/** A host process on the test's nats-server with TMPDIR in the test's folder, logging at debug. */
async function startHost(): Promise<HostProcess> {
  const host = await startHostProcess({
    env: { TMPDIR: root, WASMCLOUD_DASHBOARD_PORT: 'off', WASMCLOUD_LOG_LEVEL: 'debug' },
    args: ['--rpc-port', String(nats.port), '--lattice-prefix', 'tempfolders'],
  });
  hosts.push(host);
  return host;
}

/** The host folder of the process `pid` under the test's TMPDIR. */
function folderOf(pid: number | undefined): string {
  const names = readdirSync(root).filter((name) => name.startsWith(`wasmcloud-ts-host-${pid}-`));
  expect(names).toHaveLength(1);
  return join(root, names[0]!);
}

function plant(name: string, marker?: Record<string, unknown>): string {
  const folder = join(root, name);
  mkdirSync(folder);
  writeFileSync(join(folder, 'cached.bin'), 'bytes');
  if (marker) writeFileSync(join(folder, OWNER_MARKER), JSON.stringify(marker));
  return folder;
}

beforeAll(async () => {
  nats = await startNatsServer({ jetstream: true });
  root = mkdtempSync(join(tmpdir(), 'host-temp-folders-'));
});

afterAll(async () => {
  await Promise.all(hosts.map((host) => host.stop('SIGKILL')));
  rmSync(root, { recursive: true, force: true });
  await nats?.stop();
});

test('a host removes the folders of killed hosts at start and keeps those of live ones', async () => {
  const killed = await startHost();
  const live = await startHost();
  const killedFolder = folderOf(killed.child.pid);
  const liveFolder = folderOf(live.child.pid);
  const marker = JSON.parse(readFileSync(join(killedFolder, OWNER_MARKER), 'utf8')) as Record<
    string,
    unknown
  >;
  expect(marker).toMatchObject({ pid: killed.child.pid, hostname: hostname() });
  expect(marker.process_start).toMatch(/^\d+$/);

  // This test process is alive, but it did not start at tick 1: its pid was reused, the owner is gone.
  const reused = plant(`wasmcloud-ts-host-${process.pid}-reused`, {
    pid: process.pid,
    hostname: hostname(),
    process_start: '1',
    created_at: new Date().toISOString(),
  });
  // Not provably ours or not provably dead: each stays.
  const noMarker = plant('wasmcloud-ts-host-4194303-nomark');
  const otherMachine = plant(`wasmcloud-ts-host-${killed.child.pid}-othmac`, {
    pid: killed.child.pid,
    hostname: `not-${hostname()}`,
    process_start: '1',
    created_at: new Date().toISOString(),
  });
  const oldStyle = plant('wasmcloud-ts-host-AbC123');

  await killed.stop('SIGKILL');
  expect(existsSync(killedFolder)).toBe(true);

  const next = await startHost();
  expect(next.output()).toMatch(/INFO {2}removed 2 stale host temp folders of hosts no longer running/);
  expect(existsSync(killedFolder)).toBe(false);
  expect(existsSync(reused)).toBe(false);
  expect(existsSync(liveFolder)).toBe(true);
  expect(existsSync(join(liveFolder, OWNER_MARKER))).toBe(true);
  expect(existsSync(folderOf(next.child.pid))).toBe(true);
  for (const kept of [noMarker, otherMachine, oldStyle])
    expect(existsSync(join(kept, 'cached.bin'))).toBe(true);

  // A host stopped cleanly removes its own folder.
  await live.stop('SIGTERM');
  expect(existsSync(liveFolder)).toBe(false);
}, 120_000);
