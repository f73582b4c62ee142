// The host process's policy for an error nothing caught (host/fatal-errors.ts): one error line with
// the error's code, a bounded graceful stop, exit 1. Checked on a real host process (the error is
// injected by a module loaded with `node --import`, no host setting involved), and on the handler
// itself for what a process run cannot easily show (a stop that hangs, a second error).

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FATAL_EXIT_CODE, fatalErrorHandler } from '../../host/fatal-errors.ts';
import { LatticeError } from '../../lattice/errors.ts';
import { createLogger } from '../../lattice/log.ts';
import { eventually } from '../helpers/eventually.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';
import { startHostProcess } from '../helpers/host-process.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

const INJECTOR = join(REPO_ROOT, 'test', 'fixtures', 'host', 'uncaught-on-signal.ts');

let nats: NatsServer;
let root: string;

beforeAll(async () => {
  nats = await startNatsServer({ monitor: true });
  root = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-fatal-'));
});

afterAll(async () => {
  await nats?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('a host process with an error nothing caught', () => {
  for (const kind of ['uncaught exception', 'unhandled rejection'] as const) {
    it(`${kind}: logs it once with its code, stops, and exits ${FATAL_EXIT_CODE}`, async () => {
      const url = new URL(nats.url);
      const host = await startHostProcess({
        env: {
          WASMCLOUD_RPC_HOST: url.hostname,
          WASMCLOUD_RPC_PORT: url.port,
          WASMCLOUD_DASHBOARD_PORT: 'off',
          NODE_OPTIONS: `--import ${INJECTOR}`,
          INJECT_REJECTION: kind === 'unhandled rejection' ? '1' : '0',
          TMPDIR: root, // its temp folder, where this test can see it
        },
      });
      try {
        expect(readdirSync(root).filter((name) => name.startsWith('wasmcloud-ts-host-'))).toHaveLength(1);
        const exited = new Promise<number | null>((resolve) => host.child.once('exit', resolve));
        host.child.kill('SIGUSR2');
        expect(await exited).toBe(FATAL_EXIT_CODE);
        const lines = host.output().split('\n');
        const reports = lines.filter((line) => line.includes(`${kind}:`));
        expect(reports).toHaveLength(1);
        expect(reports[0]).toMatch(
          new RegExp(
            `ERROR +${kind}: an error injected by the test; stopping the host and exiting with 1 code=TEST_INJECTED stack=`,
          ),
        );
        expect(host.output()).toMatch(/host N[A-Z2-7]{55} stopped/);
        expect(readdirSync(root).filter((name) => name.startsWith('wasmcloud-ts-host-'))).toEqual([]);
        await eventually(
          async () => (await nats.connectionNames()).length === 0,
          'the host connections to close',
        );
      } finally {
        await host.stop();
      }
    });
  }
});

describe('fatalErrorHandler', () => {
  function policy(stop: () => Promise<void> | undefined, stopLimitMs = 10_000) {
    const logs: string[] = [];
    const exits: number[] = [];
    const log = createLogger({ level: 'debug', structured: false, write: (line) => logs.push(line) });
    const handler = fatalErrorHandler({ log, stop, exit: (code) => exits.push(code), stopLimitMs });
    return { handler, logs, exits };
  }

  it('exits at once when there is no host yet, with UNCAUGHT for an error without a code', () => {
    const { handler, logs, exits } = policy(() => undefined);
    handler.handle(new Error('during start-up'), 'uncaught exception');
    expect(exits).toEqual([FATAL_EXIT_CODE]);
    expect(handler.failed).toBe(true);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain(
      'uncaught exception: during start-up; stopping the host and exiting with 1 code=UNCAUGHT',
    );
  });

  it('exits after the stop, and a second error while stopping neither stops nor exits again', async () => {
    let finishStop: () => void = () => {};
    let stops = 0;
    const { handler, logs, exits } = policy(() => {
      stops += 1;
      return new Promise<void>((resolve) => {
        finishStop = resolve;
      });
    });
    handler.handle(new LatticeError('FIRST', 'first'), 'unhandled rejection');
    handler.handle('second', 'uncaught exception');
    expect(stops).toBe(1);
    expect(exits).toEqual([]); // still stopping
    expect(logs[1]).toContain('uncaught exception while stopping: second code=UNCAUGHT');
    finishStop();
    await eventually(() => exits.length > 0, 'the exit');
    expect(exits).toEqual([FATAL_EXIT_CODE]);
  });

  it('exits when the stop takes longer than its limit', async () => {
    const { handler, logs, exits } = policy(() => new Promise<void>(() => {}), 50);
    handler.handle(new Error('stuck'), 'uncaught exception');
    await eventually(() => exits.length > 0, 'the exit');
    expect(exits).toEqual([FATAL_EXIT_CODE]);
    expect(logs[1]).toContain('the host did not stop within 50 ms; exiting code=HOST_STOP_TIMEOUT');
  });
});
