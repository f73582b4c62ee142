// Starts real `nats-server` processes on free ports for tests: one server, or a cluster of three
// with JetStream, each in its own temporary store directory. Every process started here is stopped
// by `stop()` (call it in afterAll), and killed when the test process exits, whatever happens.
// A single server can be secured: decentralized JWT auth (operator mode, nats-auth.ts makes the
// JWTs) and TLS (tls-certs.ts makes the certificates), written to a config file in its store.
// With `monitor: true` it serves the monitoring endpoints, and `connectionNames()` lists its clients.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectNats } from '../../lattice/nats.ts';
import { eventually } from './eventually.ts';

const started = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') return reject(new Error('no port'));
      server.close(() => resolve(address.port));
    });
  });
}

export interface NatsServer {
  /** `nats://127.0.0.1:{port}` */
  url: string;
  port: number;
  /** The server name given (`-n`): what JetStream's stream info names a leader or replica by. */
  name: string | undefined;
  /** Stops the process (SIGTERM, then SIGKILL after 2 s) and removes its store. */
  stop(): Promise<void>;
  /**
   * The client connections open now, by name, from the server's monitoring endpoint (/connz);
   * only for a server started with `monitor: true`.
   */
  connectionNames(): Promise<string[]>;
  /**
   * How many subscriptions to exactly `subject` its clients hold now (/connz?subs=1): how a test
   * knows that a process it cannot see into has subscribed. Only with `monitor: true`.
   */
  subscriptionsTo(subject: string): Promise<number>;
  /** Kills the process with SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /**
   * Kills the process (SIGKILL), calls `whileDown` if given, then starts it again on the same port
   * with the same store, as a crash and a restart would. `stop` and `kill` then act on the new one.
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
}

export interface NatsServerOptions {
  jetstream?: boolean;
  /** Server name; needed to tell cluster members apart. */
  name?: string;
  cluster?: { name: string; port: number; routes: number[] };
  /** Operator mode: only users of these accounts may connect. */
  operator?: NatsOperatorSettings;
  /** TLS required of every client. */
  tls?: NatsServerTls;
  /** Serve the HTTP monitoring endpoints (on a free port), for `connectionNames()`. */
  monitor?: boolean;
  /** The largest message the server accepts (default 1 MiB), to test what does not fit. */
  maxPayload?: number;
}

export interface NatsOperatorSettings {
  /** The operator JWT (self-signed). */
  operatorJwt: string;
  /** Account JWTs by account public key, preloaded into the server's memory resolver. */
  accounts: Record<string, string>;
  /** The account (one of `accounts`) the server uses for its own traffic. */
  systemAccount?: string;
}

export interface NatsServerTls {
  certFile: string;
  keyFile: string;
  /** The CA that signed client certificates; with `verify`, clients must present one. */
  caFile?: string;
  verify?: boolean;
}

/** The config-file part of a server: security, limits (ports and JetStream stay on the command line). */
function securityConfig(options: NatsServerOptions): string {
  const lines: string[] = [];
  if (options.maxPayload !== undefined) lines.push(`max_payload: ${options.maxPayload}`);
  const quoted = (text: string) => JSON.stringify(text);
  if (options.operator) {
    lines.push(`operator: ${quoted(options.operator.operatorJwt)}`);
    if (options.operator.systemAccount) lines.push(`system_account: ${options.operator.systemAccount}`);
    lines.push('resolver: MEMORY', 'resolver_preload: {');
    for (const [account, jwt] of Object.entries(options.operator.accounts))
      lines.push(`  ${account}: ${quoted(jwt)}`);
    lines.push('}');
  }
  if (options.tls) {
    lines.push(
      'tls {',
      `  cert_file: ${quoted(options.tls.certFile)}`,
      `  key_file: ${quoted(options.tls.keyFile)}`,
    );
    if (options.tls.caFile) lines.push(`  ca_file: ${quoted(options.tls.caFile)}`);
    if (options.tls.verify) lines.push('  verify: true');
    lines.push('  timeout: 2', '}');
  }
  return `${lines.join('\n')}\n`;
}

function waitForReady(child: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      reject(new Error(`nats-server on port ${port} did not start within 10 s:\n${output}`));
    }, 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Server is ready')) {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        child.stderr?.resume();
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server on port ${port} exited with ${code}:\n${output}`));
    });
  });
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 2_000);
    child.once('exit', () => {
      clearTimeout(force);
      started.delete(child);
      resolve();
    });
    child.kill(signal);
  });
}

/** Starts one `nats-server` (with JetStream unless told otherwise) on a free port. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const port = await freePort();
  return launch(port, options);
}

async function launch(port: number, options: NatsServerOptions): Promise<NatsServer> {
  const storeDir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-nats-'));
  const args = ['-a', '127.0.0.1', '-p', String(port)];
  if (options.jetstream ?? true) args.push('-js', '-sd', storeDir);
  if (options.name) args.push('-n', options.name);
  const monitorPort = options.monitor ? await freePort() : undefined;
  if (monitorPort !== undefined) args.push('-m', String(monitorPort));
  if (options.cluster) {
    args.push(
      '--cluster_name',
      options.cluster.name,
      '--cluster',
      `nats://127.0.0.1:${options.cluster.port}`,
    );
    const routes = options.cluster.routes.map((route) => `nats://127.0.0.1:${route}`).join(',');
    if (routes) args.push('--routes', routes);
  }
  if (options.operator || options.tls || options.maxPayload !== undefined) {
    const configFile = join(storeDir, 'server.conf');
    writeFileSync(configFile, securityConfig(options));
    args.push('-c', configFile);
  }
  const spawnServer = async () => {
    const child = spawn('nats-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    started.add(child);
    await waitForReady(child, port);
    return child;
  };
  let child = await spawnServer();
  const cleanUp = () => rmSync(storeDir, { recursive: true, force: true });
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    name: options.name,
    stop: () => stopChild(child, 'SIGTERM').then(cleanUp),
    connectionNames: async () => {
      if (monitorPort === undefined)
        throw new Error('connectionNames() needs a server started with monitor: true');
      const response = await fetch(`http://127.0.0.1:${monitorPort}/connz?limit=1024`);
      const connz = (await response.json()) as { connections?: { name?: string }[] };
      return (connz.connections ?? []).map((connection) => connection.name ?? '');
    },
    subscriptionsTo: async (subject) => {
      if (monitorPort === undefined)
        throw new Error('subscriptionsTo() needs a server started with monitor: true');
      const response = await fetch(`http://127.0.0.1:${monitorPort}/connz?limit=1024&subs=1`);
      const connz = (await response.json()) as { connections?: { subscriptions_list?: string[] }[] };
      return (connz.connections ?? [])
        .flatMap((connection) => connection.subscriptions_list ?? [])
        .filter((subscribed) => subscribed === subject).length;
    },
    kill: () => stopChild(child, 'SIGKILL').then(cleanUp),
    restart: async (whileDown) => {
      await stopChild(child, 'SIGKILL');
      await whileDown?.();
      child = await spawnServer();
    },
  };
}

export interface NatsCluster {
  servers: NatsServer[];
  /** Every server's URL: a client given all of them fails over whichever dies. */
  urls: string[];
  stop(): Promise<void>;
}

/** Three routed servers with JetStream (a JetStream cluster needs three for its meta group). */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const clientPorts = await Promise.all(Array.from({ length: size }, freePort));
  const clusterPorts = await Promise.all(Array.from({ length: size }, freePort));
  const name = `c${process.pid}`;
  const servers = await Promise.all(
    clientPorts.map((port, index) =>
      launch(port, {
        name: `${name}-n${index}`,
        cluster: {
          name,
          port: clusterPorts[index]!,
          routes: clusterPorts.filter((_, other) => other !== index),
        },
      }),
    ),
  );
  await waitForJetStream(servers[0]!.url);
  return {
    servers,
    urls: servers.map((server) => server.url),
    stop: async () => void (await Promise.all(servers.map((server) => server.stop()))),
  };
}

/** A JetStream cluster answers only once its meta group has a leader; wait for that (up to 20 s). */
async function waitForJetStream(url: string): Promise<void> {
  const nc = await connectNats({ url });
  try {
    await eventually(
      async () => {
        const jsm = await nc.jetstreamManager({ timeout: 1_000 });
        await jsm.getAccountInfo();
        return true;
      },
      { what: `a JetStream meta leader in the cluster at ${url}`, timeoutMs: 20_000, intervalMs: 200 },
    );
  } finally {
    await nc.close();
  }
}
