// Spawning one provider process (protocol.md §6.1 step 2). JS bundles run on the host's own Node
// (`process.execPath`), native binaries directly; both through `setpriv --pdeathsig SIGKILL`, so the
// kernel kills the provider when the host dies, even by SIGKILL. The environment is clean: PATH,
// the OTEL_* variables and the WASMCLOUD_* telemetry switches only. Output lines are logged as
// `[V…]: line`.

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { errorFields, errorMessage } from '../../lattice/errors.ts';
import type { Logger } from '../../lattice/log.ts';
import { TELEMETRY_VARIABLES } from '../../lattice/telemetry/settings.ts';
import type { ProviderKind } from './archive-install.ts';
import { ProviderStartError } from './provider-start-error.ts';

let setprivPath: string | null | undefined;

/** Where `setpriv` (util-linux) is on PATH; null when it is not there. Looked up once. */
export function findSetpriv(): string | null {
  if (setprivPath !== undefined) return setprivPath;
  setprivPath = null;
  if (process.platform !== 'linux') return setprivPath;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'setpriv');
    try {
      accessSync(candidate, constants.X_OK);
      setprivPath = candidate;
      break;
    } catch {
      // not in this directory
    }
  }
  return setprivPath;
}

/** The telemetry switches besides OTEL_*: providers trace and measure as their host does. */
const WASMCLOUD_TELEMETRY = new Set<string>(
  TELEMETRY_VARIABLES.filter((name) => name.startsWith('WASMCLOUD_')),
);

/**
 * PATH, OTEL_* and the WASMCLOUD_* telemetry switches of the host's environment, nothing else (as
 * OTP passed only the OTEL settings).
 */
export function providerEnvironment(source: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined) continue;
    if (name === 'PATH' || name.startsWith('OTEL_') || WASMCLOUD_TELEMETRY.has(name)) env[name] = value;
  }
  return env;
}

export interface LaunchCommand {
  command: string;
  args: string[];
  /** False when setpriv is missing: the provider would outlive a host killed with SIGKILL. */
  diesWithHost: boolean;
}

export function launchCommand(kind: ProviderKind, path: string, setpriv = findSetpriv()): LaunchCommand {
  const program = kind === 'js' ? [process.execPath, path] : [path];
  if (setpriv === null) return { command: program[0]!, args: program.slice(1), diesWithHost: false };
  return { command: setpriv, args: ['--pdeathsig', 'SIGKILL', '--', ...program], diesWithHost: true };
}

/** Spawns the process; resolves once it runs, rejects with ProviderStartError when it cannot. */
export function spawnProvider(
  command: LaunchCommand,
  options: { cwd: string; providerId: string; log: Logger },
): Promise<ChildProcessWithoutNullStreams> {
  const child = spawn(command.command, command.args, {
    cwd: options.cwd,
    env: providerEnvironment(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // A provider that exits before reading stdin must not crash the host with EPIPE.
  child.stdin.on('error', () => undefined);
  const tag = `[${options.providerId}]:`;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) =>
      options.log.info(`${tag} ${line}`),
    );
  }
  return new Promise((resolve, reject) => {
    child.once('spawn', () => {
      child.off('error', onError);
      // Later 'error's (a signal that could not be sent) are logged: unheard, one would be an
      // uncaught exception, which stops the host (docs/host.md, "Failures and exit codes").
      child.on('error', (error) =>
        options.log.warn(`provider ${options.providerId}: ${errorMessage(error)}`, errorFields(error)),
      );
      resolve(child);
    });
    const onError = (error: Error) =>
      reject(
        new ProviderStartError(
          'PROVIDER_SPAWN_FAILED',
          `cannot start provider ${options.providerId} (${command.command}): ${error.message}`,
          { cause: error },
        ),
      );
    child.once('error', onError);
  });
}
