// The host's memory settings (host/memory-settings.ts, issue 12 item 5): which ones a process
// still lacks, and a real host process (`node host/main.ts`) restarting itself in place with them.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { currentCompiledHost } from '../../host/compiled-host.ts';
import { findJemalloc, missingMemorySettings, SEMI_SPACE_MB } from '../../host/memory-settings.ts';
import { type HostProcess, startHostProcess } from '../helpers/host-process.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

const JEMALLOC = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';
const hasJemalloc = (path: string) => path === JEMALLOC;
const noJemalloc = () => false;
const SEMI_SPACE = `--max-semi-space-size=${SEMI_SPACE_MB}`;

describe('missingMemorySettings', () => {
  test('a plain start lacks the young generation flag, jemalloc and its background thread', () => {
    expect(missingMemorySettings({}, [], hasJemalloc)).toEqual({
      nodeFlags: [SEMI_SPACE],
      env: { LD_PRELOAD: JEMALLOC, MALLOC_CONF: 'background_thread:true' },
    });
  });

  test('a restarted process lacks nothing, so it does not restart again', () => {
    const first = missingMemorySettings({}, [], hasJemalloc);
    expect(missingMemorySettings(first.env, first.nodeFlags, hasJemalloc)).toEqual({
      nodeFlags: [],
      env: {},
    });
  });

  test("the operator's own choices stay: a semi-space size, any LD_PRELOAD (even empty), MALLOC_CONF", () => {
    expect(missingMemorySettings({}, ['--max-semi-space-size=32'], hasJemalloc).nodeFlags).toEqual([]);
    expect(
      missingMemorySettings({ NODE_OPTIONS: '--inspect --max-semi-space-size=2' }, [], hasJemalloc).nodeFlags,
    ).toEqual([]);
    expect(missingMemorySettings({ LD_PRELOAD: '' }, [], hasJemalloc).env).toEqual({});
    expect(missingMemorySettings({ MALLOC_CONF: 'narenas:2' }, [], hasJemalloc).env).toEqual({
      LD_PRELOAD: JEMALLOC,
    });
  });

  test('without jemalloc on the machine only the flag is added', () => {
    expect(missingMemorySettings({}, [], noJemalloc)).toEqual({ nodeFlags: [SEMI_SPACE], env: {} });
  });
});

describe('a host process', () => {
  let nats: NatsServer;
  let host: HostProcess | undefined;

  beforeAll(async () => {
    nats = await startNatsServer();
  });

  afterAll(async () => {
    await host?.stop();
    await nats?.stop();
  });

  test('runs with the settings, as the same process (pid) its launcher started', async () => {
    host = await startHostProcess({
      env: {},
      args: ['--rpc-port', String(nats.port), '--lattice-prefix', 'memorysettings'],
    });
    const pid = host.child.pid!;
    // The restart replaced the program of the launcher's child: its pid now runs Node with the flag.
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    expect(commandLine).toContain(SEMI_SPACE);
    // The same restart runs the compiled host when `npm run build` made a current one (compiled-host.ts).
    const script = currentCompiledHost() ?? 'host/main.ts';
    expect(commandLine.some((arg) => arg.endsWith(script))).toBe(true);
    const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
    // jemalloc is loaded (and its background thread asked for) wherever the machine has it.
    const jemalloc = findJemalloc() !== undefined;
    expect(maps.includes('libjemalloc')).toBe(jemalloc);
    const environment = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    expect(environment.includes('MALLOC_CONF=background_thread:true')).toBe(jemalloc);
  });
});
