// `wash up`: a lattice on this machine in one command. It finds NATS (--nats-url; else a server
// already listening on --nats-port; else it starts `nats-server -js` from PATH), starts a host
// (host/main.ts under this same Node) with the cluster seed wash saved, waits until the host
// answers, says where everything is, then either streams the host's logs until Ctrl-C
// (foreground) or leaves both running and records them for `wash down` (--detached).
// It only ever stops processes it started itself: never a NATS server that was already there.

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ControlClient, DEFAULT_LATTICE_PREFIX } from '../../lattice/control-client.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { connectNats } from '../../lattice/nats.ts';
import { isSubjectToken } from '../../lattice/subjects.ts';
import { type CommandResult, outputKindOf, runAction, WashError, warn } from '../output.ts';
import { startSpinner } from '../spinner.ts';
import {
  clusterKeyForUp,
  isOurProcess,
  readUpState,
  removeUpState,
  type UpState,
  upDirectory,
  upStatePath,
  writeUpState,
} from '../up-state.ts';
import { collect } from './ctl/arguments.ts';

/** The host's entry point, found from this file so wash works from any directory. */
const HOST_MAIN = fileURLToPath(new URL('../../host/main.ts', import.meta.url));
/** What identifies our processes in /proc/{pid}/cmdline (see up-state.ts). */
export const HOST_MARKER = 'host/main.ts';
export const NATS_MARKER = 'nats-server';

const DEFAULT_NATS_HOST = '127.0.0.1';
const DEFAULT_NATS_PORT = 4222;
const NATS_READY_TIMEOUT_MS = 10_000;
const HOST_STOP_GRACE_MS = 15_000;
const NATS_STOP_GRACE_MS = 5_000;
const LOG_LINES_KEPT = 30;

interface UpFlags {
  natsUrl?: string;
  natsHost: string;
  natsPort: string;
  detached?: boolean;
  latticePrefix?: string;
  hostSeed?: string;
  clusterSeed?: string;
  clusterIssuers?: string;
  label?: string[];
  logLevel?: string;
  structuredLogging?: boolean;
  friendlyName?: string;
  allowLatest?: boolean;
  allowedInsecure?: string;
  jsDomain?: string;
  rpcTimeoutMs?: string;
  dashboardPort?: string;
  dashboardHost?: string;
  startupTimeoutMs: string;
}

/** The last lines of a process's output, for the error when it dies; also spots the dashboard URL. */
class LogTail {
  readonly lines: string[] = [];
  dashboardUrl: string | undefined;
  #partial = '';

  /** Feeds a chunk of output; calls `onLine` with each complete line. */
  push(chunk: string, onLine?: (line: string) => void): void {
    const parts = (this.#partial + chunk).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const line of parts) {
      this.lines.push(line);
      if (this.lines.length > LOG_LINES_KEPT) this.lines.shift();
      this.dashboardUrl ??= /dashboard\S*\s.*?(https?:\/\/[^\s"',]+)/i.exec(line)?.[1];
      onLine?.(line);
    }
  }

  static ofFile(path: string): LogTail {
    const tail = new LogTail();
    try {
      tail.push(`${readFileSync(path, 'utf8')}\n`);
    } catch {
      // nothing written yet
    }
    return tail;
  }
}

function printLogTail(what: string, tail: LogTail): void {
  const lines = tail.lines.filter((line) => line.trim() !== '');
  if (lines.length === 0) return;
  warn(`last lines of the ${what}'s log:`);
  for (const line of lines) warn(`  ${line}`);
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function exitDescription(child: ChildProcess): string {
  return child.signalCode !== null ? `signal ${child.signalCode}` : `code ${child.exitCode}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- what to start ----

interface HostPlan {
  hostId: string;
  /** Seeds go to the host through its environment, never on a command line others can read. */
  env: Record<string, string>;
  args: string[];
  latticePrefix: string;
  startupTimeoutMs: number;
}

function seedFrom(given: string | undefined, envName: string, kind: 'server' | 'cluster', flag: string) {
  const seed = given ?? process.env[envName];
  if (seed === undefined || seed === '') return undefined;
  try {
    return KeyPair.fromSeed(seed, kind);
  } catch (error) {
    const source = given !== undefined ? flag : envName;
    throw new WashError(`${source} is not a ${kind} seed: ${(error as Error).message}`);
  }
}

function wholeNumber(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
    throw new WashError(`invalid ${flag} "${text}": expected a whole number from ${min} to ${max}`);
  }
  return Number(text);
}

function planHost(flags: UpFlags): HostPlan {
  const latticePrefix = flags.latticePrefix ?? process.env.WASMCLOUD_LATTICE_PREFIX ?? DEFAULT_LATTICE_PREFIX;
  if (!isSubjectToken(latticePrefix)) {
    throw new WashError(
      `invalid lattice prefix "${latticePrefix}": it must be one word without '.', '*', '>' or spaces`,
    );
  }
  const hostKey =
    seedFrom(flags.hostSeed, 'WASMCLOUD_HOST_SEED', 'server', '--host-seed') ?? KeyPair.create('server');
  const clusterKey =
    seedFrom(flags.clusterSeed, 'WASMCLOUD_CLUSTER_SEED', 'cluster', '--cluster-seed') ?? clusterKeyForUp();
  const args = ['--lattice-prefix', latticePrefix];
  const pass = (flag: string, value: string | undefined) => {
    if (value !== undefined) args.push(`--${flag}`, value);
  };
  pass('cluster-issuers', flags.clusterIssuers);
  pass('log-level', flags.logLevel);
  pass('structured-logging', flags.structuredLogging ? 'true' : undefined);
  pass('friendly-name', flags.friendlyName);
  pass('allow-latest', flags.allowLatest ? 'true' : undefined);
  pass('allowed-insecure', flags.allowedInsecure);
  pass('js-domain', flags.jsDomain);
  pass('rpc-timeout-ms', flags.rpcTimeoutMs);
  pass('dashboard-port', flags.dashboardPort);
  pass('dashboard-host', flags.dashboardHost);
  for (const label of flags.label ?? []) {
    if (label.indexOf('=') <= 0) throw new WashError(`invalid --label "${label}": expected KEY=VALUE`);
    pass('label', label);
  }
  return {
    hostId: hostKey.publicKey,
    env: { WASMCLOUD_HOST_SEED: hostKey.seed, WASMCLOUD_CLUSTER_SEED: clusterKey.seed },
    args,
    latticePrefix,
    startupTimeoutMs: wholeNumber(flags.startupTimeoutMs, '--startup-timeout-ms', 1, 600_000),
  };
}

// ---- NATS ----

interface NatsEndpoint {
  host: string;
  port: number;
}

interface ChosenNats extends NatsEndpoint {
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
    throw new WashError(`invalid --nats-url "${text}": expected nats://host:port`);
  }
  if (url.hostname === '') throw new WashError(`invalid --nats-url "${text}": expected nats://host:port`);
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
              'nats-server is not on PATH: install it (Debian: apt install nats-server) or pass --nats-url',
            )
          : new WashError(`cannot start nats-server: ${error.message}`),
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
      throw new WashError(`the nats-server wash up started on ${url} ${reason} (log: ${log})`);
    }
    await sleep(100);
  }
  if (detached) child.unref();
  return { ...endpoint, url, child, log };
}

async function chooseNats(flags: UpFlags, detached: boolean): Promise<ChosenNats> {
  if (flags.natsUrl !== undefined) {
    const endpoint = parseNatsUrl(flags.natsUrl);
    if (!(await natsAnswers(endpoint, 2000)))
      throw new WashError(`cannot connect to NATS at ${flags.natsUrl} (--nats-url)`);
    return { ...endpoint, url: `nats://${endpoint.host}:${endpoint.port}` };
  }
  const endpoint = { host: flags.natsHost, port: wholeNumber(flags.natsPort, '--nats-port', 1, 65_535) };
  if (await natsAnswers(endpoint, 1000))
    return { ...endpoint, url: `nats://${endpoint.host}:${endpoint.port}` };
  return startNatsServer(endpoint, detached);
}

// ---- the host ----

interface StartedHost {
  child: ChildProcess;
  tail: LogTail;
  /** Detached: the log file. */
  log?: string;
  /** Foreground: where each log line goes once the host is up (before that they are only kept). */
  forward: { live: boolean };
}

function startHost(plan: HostPlan, nats: ChosenNats, detached: boolean): StartedHost {
  const connection = ['rpc', 'ctl', 'prov-rpc'].flatMap((kind) => [
    `--${kind}-host`,
    nats.host,
    `--${kind}-port`,
    String(nats.port),
  ]);
  const args = [HOST_MAIN, ...plan.args, ...connection];
  const env = { ...process.env, ...plan.env };
  const tail = new LogTail();
  const forward = { live: false };
  if (detached) {
    const log = join(upDirectory(), 'host.log');
    const logFd = openSync(log, 'w');
    const child = spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    return { child, tail, log, forward };
  }
  const child = spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const onChunk = (chunk: Buffer) =>
    tail.push(chunk.toString('utf8'), (line) => {
      if (forward.live) process.stderr.write(`${line}\n`);
    });
  child.stdout?.on('data', onChunk);
  child.stderr?.on('data', onChunk);
  return { child, tail, forward };
}

/** Waits until the host answers its inventory request; throws (with its last log lines) if it dies. */
async function waitForHost(host: StartedHost, plan: HostPlan, nats: ChosenNats, interrupted: () => boolean) {
  const nc = await connectNats({ url: `${nats.host}:${nats.port}`, name: 'wash up' }).catch(() => {
    throw new WashError(`cannot connect to NATS at ${nats.url} to watch the host start`);
  });
  const client = new ControlClient(nc, { latticePrefix: plan.latticePrefix, timeoutMs: 500 });
  const spinner = startSpinner(`Starting host ${plan.hostId}`);
  const deadline = Date.now() + plan.startupTimeoutMs;
  try {
    for (;;) {
      if (interrupted()) throw new WashError('interrupted before the host was ready');
      if (exited(host.child)) {
        spinner.stop();
        printLogTail('host', host.log ? LogTail.ofFile(host.log) : host.tail);
        throw new WashError(`the host exited with ${exitDescription(host.child)} before it was ready`);
      }
      if (Date.now() > deadline) {
        spinner.stop();
        printLogTail('host', host.log ? LogTail.ofFile(host.log) : host.tail);
        throw new WashError(`the host did not answer within ${plan.startupTimeoutMs} ms on ${nats.url}`);
      }
      try {
        await client.getInventory(plan.hostId);
        return;
      } catch {
        await sleep(100);
      }
    }
  } finally {
    spinner.stop();
    await nc.close().catch(() => undefined);
  }
}

// ---- telling the user ----

function ctlFlags(nats: ChosenNats, latticePrefix: string): string {
  const flags: string[] = [];
  if (nats.host !== DEFAULT_NATS_HOST) flags.push('-r', nats.host);
  if (nats.port !== DEFAULT_NATS_PORT) flags.push('-p', String(nats.port));
  if (latticePrefix !== DEFAULT_LATTICE_PREFIX) flags.push('-x', latticePrefix);
  return flags.length === 0 ? '' : ` ${flags.join(' ')}`;
}

function readyText(plan: HostPlan, nats: ChosenNats, host: StartedHost, detached: boolean): string {
  const tail = host.log ? LogTail.ofFile(host.log) : host.tail;
  const rows: Array<[string, string]> = [
    ['NATS', `${nats.url} (${nats.child ? 'started by wash up' : 'already running'})`],
    ['Host ID', plan.hostId],
    ['Lattice', plan.latticePrefix],
  ];
  if (tail.dashboardUrl) rows.push(['Dashboard', tail.dashboardUrl]);
  if (host.log) rows.push(['Host log', host.log]);
  const width = Math.max(...rows.map(([label]) => label.length));
  const flags = ctlFlags(nats, plan.latticePrefix);
  return [
    `wasmCloud host ${detached ? 'running in the background' : 'started'}`,
    ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
    '',
    'Try next:',
    `  wash ctl get hosts${flags}`,
    `  wash ctl start actor <signed .wasm file or OCI reference>${flags}`,
    detached
      ? '  wash down          (stops what wash up started)'
      : '  Ctrl-C             (stops what wash up started)',
  ].join('\n');
}

function readyJson(plan: HostPlan, nats: ChosenNats, host: StartedHost): Record<string, unknown> {
  const tail = host.log ? LogTail.ofFile(host.log) : host.tail;
  return {
    nats_url: nats.url,
    nats_started: nats.child !== undefined,
    host_id: plan.hostId,
    lattice_prefix: plan.latticePrefix,
    host_pid: host.child.pid,
    ...(nats.child ? { nats_pid: nats.child.pid } : {}),
    ...(host.log ? { host_log: host.log } : {}),
    ...(tail.dashboardUrl ? { dashboard_url: tail.dashboardUrl } : {}),
    kill_cmd: 'wash down',
  };
}

// ---- the two modes ----

function refuseIfRunning(): void {
  const state = readUpState();
  if (state === undefined) return;
  if (isOurProcess(state.host_pid, HOST_MARKER)) {
    throw new WashError(
      `wash up is already running in the background (host ${state.host_id}, pid ${state.host_pid}): stop it with wash down`,
    );
  }
  removeUpState(); // left behind by a run whose processes are gone
}

async function stopStarted(host: StartedHost | undefined, nats: ChosenNats | undefined): Promise<void> {
  if (host) await stopChild(host.child, HOST_STOP_GRACE_MS);
  if (nats?.child) await stopChild(nats.child, NATS_STOP_GRACE_MS);
}

async function upDetached(flags: UpFlags): Promise<CommandResult> {
  refuseIfRunning();
  const plan = planHost(flags);
  mkdirSync(upDirectory(), { recursive: true });
  let nats: ChosenNats | undefined;
  let host: StartedHost | undefined;
  try {
    nats = await chooseNats(flags, true);
    host = startHost(plan, nats, true);
    await waitForHost(host, plan, nats, () => false);
  } catch (error) {
    await stopStarted(host, nats);
    throw error;
  }
  host.child.unref();
  const state: UpState = {
    nats_url: nats.url,
    ...(nats.child?.pid ? { nats_pid: nats.child.pid, nats_log: nats.log } : {}),
    host_pid: host.child.pid ?? 0,
    host_id: plan.hostId,
    host_log: host.log ?? '',
    lattice_prefix: plan.latticePrefix,
    started_at: new Date().toISOString(),
  };
  writeUpState(state);
  return {
    json: { ...readyJson(plan, nats, host), state_file: upStatePath() },
    text: readyText(plan, nats, host, true),
  };
}

async function upForeground(flags: UpFlags, command: Command): Promise<CommandResult> {
  const plan = planHost(flags);
  mkdirSync(upDirectory(), { recursive: true });
  let nats: ChosenNats | undefined;
  let host: StartedHost | undefined;
  let signals = 0;
  let onSignal: () => void = () => undefined;
  const signalled = new Promise<void>((resolve) => {
    onSignal = () => {
      signals += 1;
      if (signals === 1) {
        warn('Stopping the host (Ctrl-C again to kill it)…');
        resolve();
      } else {
        host?.child.kill('SIGKILL');
        nats?.child?.kill('SIGKILL');
      }
    };
  });
  // If wash itself goes away abruptly, do not leave the children running.
  const onExit = () => {
    if (host && !exited(host.child)) host.child.kill('SIGKILL');
    if (nats?.child && !exited(nats.child)) nats.child.kill('SIGKILL');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', onExit);
  try {
    nats = await chooseNats(flags, false);
    host = startHost(plan, nats, false);
    await waitForHost(host, plan, nats, () => signals > 0);
    const ready =
      outputKindOf(command) === 'json'
        ? JSON.stringify({ ...readyJson(plan, nats, host), success: true })
        : readyText(plan, nats, host, false);
    process.stdout.write(`${ready}\n\n`);
    // From here on the host's log is ours to show; first what it logged while starting.
    for (const line of host.tail.lines) process.stderr.write(`${line}\n`);
    host.forward.live = true;
    const child = host.child;
    const hostExit = new Promise<void>((resolve) => {
      if (exited(child)) resolve();
      else child.once('exit', () => resolve());
    });
    await Promise.race([signalled, hostExit]);
    const stoppedByItself = signals === 0;
    await stopStarted(host, nats);
    if (stoppedByItself && host.child.exitCode !== 0) {
      throw new WashError(`the host exited with ${exitDescription(host.child)}`);
    }
    const what = nats.child ? 'the host and the nats-server wash up started' : 'the host';
    return {
      json: { host_id: plan.hostId, stopped: true },
      text: stoppedByItself
        ? `The host stopped; stopped ${nats.child ? 'the nats-server too' : 'nothing else'}`
        : `Stopped ${what}`,
    };
  } finally {
    await stopStarted(host, nats);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  }
}

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description(
      'start a lattice here: NATS (an existing one, or nats-server from PATH) and a host; Ctrl-C stops both',
    )
    .option('--nats-url <url>', 'use this NATS server (never started or stopped by wash up)')
    .option('--nats-host <host>', 'where to look for or start NATS', DEFAULT_NATS_HOST)
    .option('--nats-port <port>', 'NATS port to use, or to start nats-server on', String(DEFAULT_NATS_PORT))
    .option('-d, --detached', 'start in the background and return; stop with wash down')
    .option(
      '-x, --lattice-prefix <prefix>',
      'lattice for the host (env WASMCLOUD_LATTICE_PREFIX, default default)',
    )
    .option('--host-seed <seed>', 'host seed (SN…); default: a new host key (env WASMCLOUD_HOST_SEED)')
    .option(
      '--cluster-seed <seed>',
      'cluster seed (SC…) that signs invocations (env WASMCLOUD_CLUSTER_SEED; default: the one wash saves in its home)',
    )
    .option('--cluster-issuers <keys>', 'comma-separated cluster keys (C…) whose invocations are accepted')
    .option('--label <key=value>', 'a host label (repeatable)', collect)
    .option('--log-level <level>', 'host log level: trace, debug, info, warn or error')
    .option('--structured-logging', 'host logs as JSON lines')
    .option('--friendly-name <name>', "the host's friendly name")
    .option('--allow-latest', 'allow OCI references tagged latest')
    .option('--allowed-insecure <registries>', 'comma-separated registries reachable over plain HTTP')
    .option('--js-domain <domain>', 'JetStream domain')
    .option('--rpc-timeout-ms <ms>', 'RPC timeout of the host')
    .option('--dashboard-port <port>', "the host's dashboard port (default 4000; 0 any free port; off none)")
    .option('--dashboard-host <address>', 'address the dashboard listens on (default 127.0.0.1)')
    .option('--startup-timeout-ms <ms>', 'how long to wait for the host to answer', '30000')
    .addHelpText(
      'after',
      `
Examples:
  wash up                       # foreground: streams the host's logs, Ctrl-C stops everything
  wash up -d                    # background; then: wash ctl get hosts, wash down
  wash up --nats-port 4333 -x dev --label zone=east`,
    )
    .action(async (flags: UpFlags, command: Command) =>
      runAction(command, () => (flags.detached ? upDetached(flags) : upForeground(flags, command))),
    );
}
