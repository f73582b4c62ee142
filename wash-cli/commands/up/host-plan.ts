// What host to start: its keys, lattice and command-line flags, all checked before anything runs.

import { DEFAULT_LATTICE_PREFIX } from '../../../lattice/control-client.ts';
import { errorMessage } from '../../../lattice/errors.ts';
import { KeyPair } from '../../../lattice/keys.ts';
import { isSubjectToken } from '../../../lattice/subjects.ts';
import { WashError } from '../../errors.ts';
import { clusterKeyForUp } from '../../up-state.ts';
import { type UpFlags, wholeNumber } from './flags.ts';

export interface HostPlan {
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
    throw new WashError('WASH_BAD_SEED', `${source} is not a ${kind} seed: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

export function planHost(flags: UpFlags): HostPlan {
  const latticePrefix = flags.latticePrefix ?? process.env.WASMCLOUD_LATTICE_PREFIX ?? DEFAULT_LATTICE_PREFIX;
  if (!isSubjectToken(latticePrefix)) {
    throw new WashError(
      'WASH_BAD_ARGUMENT',
      `invalid lattice prefix "${latticePrefix}": it must be one word without '.', '*', '>' or spaces`,
    );
  }
  const hostKey =
    seedFrom(flags.hostSeed, 'WASMCLOUD_HOST_SEED', 'server', '--host-seed') ?? KeyPair.create('server');
  const clusterKey =
    seedFrom(flags.clusterSeed, 'WASMCLOUD_CLUSTER_SEED', 'cluster', '--cluster-seed') ?? clusterKeyForUp();
  // A lattice for local use: actors and providers may be started from files (hosts refuse them by default).
  const args = ['--lattice-prefix', latticePrefix, '--allow-file-load', 'true'];
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
    if (label.indexOf('=') <= 0)
      throw new WashError('WASH_BAD_ARGUMENT', `invalid --label "${label}": expected KEY=VALUE`);
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
