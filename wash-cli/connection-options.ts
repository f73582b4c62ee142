// The connection flags every `wash ctl` command takes (wash 0.1x `ConnectionOpts`): where the
// lattice's NATS is, how to authenticate, which lattice, how long to wait. A flag wins over its
// environment variable, which wins over the 2022 default. Values are checked before connecting,
// and every mistake is named with the flag or variable it came from.

import type { Command } from 'commander';
import { ControlClient, DEFAULT_CTL_TIMEOUT_MS, DEFAULT_LATTICE_PREFIX } from '../lattice/control-client.ts';
import { connectNats, type NatsConnection } from '../lattice/nats.ts';
import { isSubjectToken } from '../lattice/subjects.ts';
import { WashError } from './errors.ts';
import { warn } from './output.ts';

/** The flags as commander hands them over (all strings, all optional). */
export interface ConnectionFlags {
  ctlHost?: string;
  ctlPort?: string;
  ctlJwt?: string;
  ctlSeed?: string;
  ctlCredsfile?: string;
  tlsCaFile?: string;
  latticePrefix?: string;
  timeoutMs?: string;
}

/** Where and how to reach the lattice, resolved and checked. */
export interface LatticeConnection {
  /** `host:port` */
  url: string;
  latticePrefix: string;
  timeoutMs: number;
  /** Whether --timeout-ms or WASMCLOUD_CTL_TIMEOUT_MS set it (a gathering then waits all of it). */
  timeoutGiven: boolean;
  jwt?: string | undefined;
  seed?: string | undefined;
  credsFile?: string | undefined;
  /** The CA that signed the server's TLS certificate (TLS on); otherwise TLS only if the server asks. */
  tlsCaFile?: string | undefined;
}

const DEFAULT_CTL_HOST = '127.0.0.1';
const DEFAULT_CTL_PORT = 4222;
const MAX_TIMEOUT_MS = 3_600_000;

/** Adds the connection flags to a ctl command. */
export function addConnectionOptions(command: Command): Command {
  return command
    .option(
      '-r, --ctl-host <host>',
      `NATS host of the control interface (env WASMCLOUD_CTL_HOST, default ${DEFAULT_CTL_HOST})`,
    )
    .option(
      '-p, --ctl-port <port>',
      `NATS port of the control interface (env WASMCLOUD_CTL_PORT, default ${DEFAULT_CTL_PORT})`,
    )
    .option('--ctl-jwt <jwt>', 'NATS user JWT, used with --ctl-seed (env WASMCLOUD_CTL_JWT)')
    .option('--ctl-seed <seed>', 'NATS user nkey seed (env WASMCLOUD_CTL_SEED)')
    .option('--ctl-credsfile <file>', 'NATS .creds file holding a JWT and seed (env WASMCLOUD_CTL_CREDSFILE)')
    .option(
      '--tls-ca-file <file>',
      "CA certificate (PEM) that signed the NATS server's TLS certificate (env WASMCLOUD_TLS_CA_FILE)",
    )
    .option(
      '-x, --lattice-prefix <prefix>',
      `lattice to talk to (env WASMCLOUD_LATTICE_PREFIX, default ${DEFAULT_LATTICE_PREFIX})`,
    )
    .option(
      '-t, --timeout-ms <ms>',
      `how long to wait for a host's reply (env WASMCLOUD_CTL_TIMEOUT_MS, default ${DEFAULT_CTL_TIMEOUT_MS})`,
    );
}

interface Setting {
  value: string;
  /** `--ctl-port` or `WASMCLOUD_CTL_PORT`, for messages. */
  source: string;
}

function pick(flag: string | undefined, flagName: string, envName: string, env: NodeJS.ProcessEnv) {
  if (flag !== undefined) return { value: flag, source: flagName };
  const fromEnv = env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: envName };
  return undefined;
}

function wholeNumber(setting: Setting, min: number, max: number, what: string): number {
  const text = setting.value.trim();
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new WashError(
      'WASH_BAD_ARGUMENT',
      `invalid ${setting.source} "${setting.value}": expected ${what} from ${min} to ${max}`,
    );
  }
  return Number(text);
}

/** Resolves the flags against the environment; throws a WashError naming a bad flag or variable. */
export function resolveConnection(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv = process.env,
): LatticeConnection {
  const host = pick(flags.ctlHost, '--ctl-host', 'WASMCLOUD_CTL_HOST', env);
  if (host !== undefined && host.value.trim() === '')
    throw new WashError('WASH_BAD_ARGUMENT', `invalid ${host.source}: it is empty`);
  const port = pick(flags.ctlPort, '--ctl-port', 'WASMCLOUD_CTL_PORT', env);
  const timeout = pick(flags.timeoutMs, '--timeout-ms', 'WASMCLOUD_CTL_TIMEOUT_MS', env);
  const lattice = pick(flags.latticePrefix, '--lattice-prefix', 'WASMCLOUD_LATTICE_PREFIX', env);
  if (lattice !== undefined && !isSubjectToken(lattice.value)) {
    throw new WashError(
      'WASH_BAD_ARGUMENT',
      `invalid ${lattice.source} "${lattice.value}": a lattice prefix is one word without '.', '*', '>' or spaces`,
    );
  }
  const jwt = pick(flags.ctlJwt, '--ctl-jwt', 'WASMCLOUD_CTL_JWT', env)?.value;
  const seed = pick(flags.ctlSeed, '--ctl-seed', 'WASMCLOUD_CTL_SEED', env)?.value;
  if (jwt !== undefined && seed === undefined) {
    throw new WashError(
      'WASH_BAD_ARGUMENT',
      '--ctl-jwt needs the seed it belongs to: add --ctl-seed (or WASMCLOUD_CTL_SEED)',
    );
  }
  return {
    url: `${host?.value.trim() ?? DEFAULT_CTL_HOST}:${port ? wholeNumber(port, 1, 65_535, 'a port') : DEFAULT_CTL_PORT}`,
    latticePrefix: lattice?.value ?? DEFAULT_LATTICE_PREFIX,
    timeoutMs: timeout
      ? wholeNumber(timeout, 1, MAX_TIMEOUT_MS, 'a number of milliseconds')
      : DEFAULT_CTL_TIMEOUT_MS,
    timeoutGiven: timeout !== undefined,
    jwt,
    seed,
    credsFile: pick(flags.ctlCredsfile, '--ctl-credsfile', 'WASMCLOUD_CTL_CREDSFILE', env)?.value,
    tlsCaFile: pick(flags.tlsCaFile, '--tls-ca-file', 'WASMCLOUD_TLS_CA_FILE', env)?.value,
  };
}

/** Opens the NATS connection (NatsConnectError says "cannot connect to NATS at …" on failure). */
export function openConnection(connection: LatticeConnection): Promise<NatsConnection> {
  return connectNats({
    url: connection.url,
    jwt: connection.jwt,
    seed: connection.seed,
    credsFile: connection.credsFile,
    tls: connection.tlsCaFile === undefined ? undefined : { caFile: connection.tlsCaFile },
    name: 'wash',
    timeoutMs: Math.min(connection.timeoutMs, 5000),
    sources: {
      credentials: '--ctl-jwt and --ctl-seed, or --ctl-credsfile, or their WASMCLOUD_CTL_* variables',
      tlsCa: '--tls-ca-file or WASMCLOUD_TLS_CA_FILE',
    },
  });
}

/** Connects, runs `work` with a ControlClient, and always closes the connection. */
export async function withControlClient<T>(
  flags: ConnectionFlags,
  work: (client: ControlClient, connection: LatticeConnection, nc: NatsConnection) => Promise<T>,
): Promise<T> {
  const connection = resolveConnection(flags);
  const nc = await openConnection(connection);
  const client = new ControlClient(nc, {
    latticePrefix: connection.latticePrefix,
    timeoutMs: connection.timeoutMs,
    onInvalidMessage: (subject, error) => warn(`warning: skipped a message on ${subject}: ${error}`),
  });
  try {
    return await work(client, connection, nc);
  } finally {
    // The work's own outcome is what the user needs; a failed close loses nothing (wash exits).
    await nc.close().catch(() => undefined);
  }
}
