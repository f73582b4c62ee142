// No provider outlives its host: a host-like process that starts a provider through the supervisor
// is killed with SIGKILL (no chance to clean up), and the provider process must be gone too.

import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchCommand } from '../../host/providers/process-launch.ts';
import { buildProbeArchive, tempDir } from '../fixtures/providers/provider-test-kit.ts';
import { eventually } from '../helpers/eventually.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import { isAlive } from '../helpers/processes.ts';

const HOST_SCRIPT = join(import.meta.dirname, '..', 'fixtures', 'providers', 'supervisor-host.ts');
let nats: NatsServer;
const dir = tempDir('orphans');

beforeAll(async () => {
  nats = await startNatsServer();
});

afterAll(async () => {
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('spawns providers under setpriv --pdeathsig SIGKILL', () => {
  const command = launchCommand('js', '/cache/p.mjs', '/usr/bin/setpriv');
  expect(command).toEqual({
    command: '/usr/bin/setpriv',
    args: ['--pdeathsig', 'SIGKILL', '--', process.execPath, '/cache/p.mjs'],
    diesWithHost: true,
  });
  expect(launchCommand('native', '/cache/p', null)).toEqual({
    command: '/cache/p',
    args: [],
    diesWithHost: false,
  });
});

it('leaves no provider behind when the host is killed with SIGKILL', async () => {
  const probe = await buildProbeArchive(dir);
  const host = spawn(process.execPath, [HOST_SCRIPT, String(nats.port), probe.path, join(dir, 'cache')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let providerPid: number | undefined;
  try {
    let output = '';
    let errors = '';
    host.stderr.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    const line = await new Promise<string>((resolve, reject) => {
      host.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('\n')) resolve(output.split('\n')[0]!);
      });
      host.once('exit', (code) => reject(new Error(`the host script exited with ${code}: ${errors}`)));
    });
    providerPid = (JSON.parse(line) as { pid: number }).pid;
    expect(providerPid).toBeGreaterThan(0);
    expect(isAlive(providerPid)).toBe(true);

    const hostExit = new Promise((resolve) => host.once('exit', resolve));
    host.kill('SIGKILL');
    await hostExit;
    const pid = providerPid;
    await eventually(() => !isAlive(pid), `provider ${pid} to die with its host`, 5_000);
  } finally {
    if (host.exitCode === null && host.signalCode === null) host.kill('SIGKILL');
    if (providerPid !== undefined && isAlive(providerPid)) process.kill(providerPid, 'SIGKILL');
  }
});
