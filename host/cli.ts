// The host's command line, run by host/main.ts once the process has its memory settings:
// `node host/main.ts [flags]`, or `wash up`'s child. Settings come from the 2022
// WASMCLOUD_* environment variables and HOST_* labels, overridden by flags of the same names
// (`--help` lists them). A bad setting stops start-up with one line naming it; SIGINT and SIGTERM
// (and the control interface's stop command) stop the host cleanly; an error nothing caught stops
// it and exits 1.

import { Command, Option } from 'commander';
import { errorMessage } from '../lattice/errors.ts';
import { createLogger } from '../lattice/log.ts';
import {
  HOST_SETTINGS,
  HostConfigError,
  hostLabels,
  type RawSettings,
  resolveHostConfig,
  type SettingName,
  type SettingSpec,
  settingsFromEnv,
} from './config.ts';
import { FATAL_EXIT_CODE, fatalErrorHandler } from './fatal-errors.ts';
import { Host } from './host.ts';

function camelOf(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

function parseLabels(pairs: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0)
      throw new HostConfigError('HOST_LABEL_INVALID', `invalid --label "${pair}": expected KEY=VALUE`);
    labels[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return labels;
}

function buildCommand(): Command {
  const command = new Command('wasmcloud-host')
    .description(
      'A wasmcloud-ts lattice host. Every flag can also be set by the environment variable shown; flags win.\n' +
        'Labels: each HOST_{NAME}=value variable, and --label, becomes a host label.',
    )
    .option('--label <key=value...>', 'a host label (repeatable)', [])
    .showHelpAfterError();
  for (const spec of Object.values(HOST_SETTINGS)) command.addOption(optionOf(spec));
  return command;
}

function optionOf(spec: SettingSpec): Option {
  const help = `${spec.help} [${spec.env}]`;
  if (spec.flagValue === 'switch') return new Option(`--${spec.flag} [value]`, help).preset('true');
  if (spec.flagValue === 'repeatable') {
    return new Option(`--${spec.flag} <value>`, help).argParser((value: string, previous?: string[]) => [
      ...(previous ?? []),
      value,
    ]);
  }
  return new Option(`--${spec.flag} <value>`, help);
}

async function main(): Promise<void> {
  const command = buildCommand().parse(process.argv);
  const flags = command.opts<Record<string, string | string[] | undefined>>();
  const raw: RawSettings = settingsFromEnv(process.env);
  for (const [name, spec] of Object.entries(HOST_SETTINGS) as [SettingName, { flag: string }][]) {
    const value = flags[camelOf(spec.flag)];
    if (typeof value === 'string') raw[name] = value;
    // A repeated flag (--allow-file-load-dir a --allow-file-load-dir b) is a comma-separated list.
    else if (Array.isArray(value)) raw[name] = value.join(',');
  }
  const config = resolveHostConfig(
    raw,
    hostLabels(process.env, parseLabels((flags.label as string[]) ?? [])),
  );
  const log = createLogger({ level: config.logLevel, structured: config.structuredLogging });
  // An error nothing caught: log it, stop within a bound, exit 1 for the supervisor to restart the
  // host (host/fatal-errors.ts says why; docs/host.md, "Failures and exit codes").
  let host: Host | undefined;
  const fatal = fatalErrorHandler({ log, stop: () => host?.stop(), exit: (code) => process.exit(code) });
  process.on('uncaughtException', (error) => fatal.handle(error, 'uncaught exception'));
  process.on('unhandledRejection', (reason) => fatal.handle(reason, 'unhandled rejection'));

  await Host.start({
    config,
    log,
    onStopped: (failure) => process.exit(fatal.failed || failure !== undefined ? FATAL_EXIT_CODE : 0),
    // Before `host started` is logged: a SIGTERM sent on reading that line stops the host cleanly.
    // Until then a signal ends start-up as Node's default does.
    onStarted: (started) => {
      host = started;
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        // A failed step is logged by the stop, and onStopped exits non-zero.
        process.on(signal, () => void started.stop().catch(() => undefined));
      }
    },
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${errorMessage(error)}\n`);
  process.exit(1);
});
