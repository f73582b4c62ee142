// Finding NATS for `wash up`: --nats-url if given (never started or stopped); else a server
// already listening on --nats-host/--nats-port; else `nats-server -js` from PATH, started here.

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectNats } from '../../../lattice/nats.ts';
import { WashError } from '../../errors.ts';
import { upDirectory } from '../../up-state.ts';
import { exitDescription, exited, stopChild } from './child-process.ts';
import { DEFAULT_NATS_PORT, type UpFlags, wholeNumber } from './flags.ts';
import { LogTail, printLogTail } from './log-tail.ts';

const NATS_READY_TIMEOUT_MS = 10_000;

interface NatsEndpoint {
  host: string;
  port: number;
}

export interface ChosenNats extends NatsEndpoint {
  url: string;
  /** Set when wash up started it. */
  child?: ChildProcess;
  log?: string;
}

/** `nats://host:port`, `host:port` or `host` (port 4222). */
function parseNatsUrl(text: string): NatsEndpoint {
  let url: URL;
  try {
    url = new URL(text.includes('://') ? text : `nats://${text}`);
  } catch {
    throw new WashError('WASH_BAD_ARGUMENT', `invalid --nats-url "${text}": expected nats://host:port`);
  }
  if (url.hostname === '')
    throw new WashError('WASH_BAD_ARGUMENT', `invalid --nats-url "${text}": expected nats://host:port`);
  return { host: url.hostname, port: url.port === '' ? DEFAULT_NATS_PORT : Number(url.port) };
}

async function natsAnswers(endpoint: NatsEndpoint, timeoutMs: number): Promise<boolean> {
  try {
    const nc = await connectNats({ url: `${endpoint.host}:${endpoint.port}`, timeoutMs, name: 'wash up' });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}

async function startNatsServer(endpoint: NatsEndpoint, detached: boolean): Promise<ChosenNats> {
  const directory = upDirectory();
  const log = join(directory, 'nats.log');
  const logFd = openSync(log, 'w');
  const args = [
    '-js',
    '-a',
    endpoint.host,
    '-p',
    String(endpoint.port),
    '-sd',
    join(directory, 'nats-store'),
  ];
  // Its own process group: a Ctrl-C meant for wash must not reach it before the host has stopped.
  const child = spawn('nats-server', args, { detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new WashError(
              'WASH_NATS_SERVER_MISSING',
              'nats-server is not on PATH: install it (Debian: apt install nats-server) or pass --nats-url',
            )
          : new WashError('WASH_NATS_SERVER_FAILED', `cannot start nats-server: ${error.message}`, {
              cause: error,
            }),
      ),
    );
  });
  await spawned;
  const url = `nats://${endpoint.host}:${endpoint.port}`;
  const deadline = Date.now() + NATS_READY_TIMEOUT_MS;
  while (!(await natsAnswers(endpoint, 500))) {
    if (exited(child) || Date.now() > deadline) {
      const reason = exited(child)
        ? `exited with ${exitDescription(child)}`
        : `did not answer within ${NATS_READY_TIMEOUT_MS} ms`;
      await stopChild(child, 1000);
      printLogTail('nats-server', LogTail.ofFile(log));
      throw new WashError(
        'WASH_NATS_SERVER_FAILED',
        `the nats-server wash up started on ${url} ${reason} (log: ${log})`,
      );
    }
    await sleep(100);
  }
  if (detached) child.unref();
  return { ...endpoint, url, child, log };
}

export async function chooseNats(flags: UpFlags, detached: boolean): Promise<ChosenNats> {
  if (flags.natsUrl !== undefined) {
    const endpoint = parseNatsUrl(flags.natsUrl);
    if (!(await natsAnswers(endpoint, 2000)))
      throw new WashError('WASH_NATS_UNREACHABLE', `cannot connect to NATS at ${flags.natsUrl} (--nats-url)`);
    return { ...endpoint, url: `nats://${endpoint.host}:${endpoint.port}` };
  }
  const endpoint = { host: flags.natsHost, port: wholeNumber(flags.natsPort, '--nats-port', 1, 65_535) };
  if (await natsAnswers(endpoint, 1000))
    return { ...endpoint, url: `nats://${endpoint.host}:${endpoint.port}` };
  return startNatsServer(endpoint, detached);
}
