// `wash up`: a lattice on this machine in one command. It finds NATS (--nats-url; else a server
// already listening on --nats-port; else it starts `nats-server -js` from PATH), starts a host
// (host/main.ts under this same Node) with the cluster seed wash saved, waits until the host
// answers, starts the application controller (controller/main.ts; not with --no-wadm) and waits
// until it answers, says where everything is, then either streams the logs until Ctrl-C
// (foreground.ts) or leaves everything running and records it for `wash down` (detached.ts).
// It only ever stops processes it started itself: never a NATS server that was already there.

import type { Command } from 'commander';
import { runAction } from '../../output.ts';
import { collect } from '../ctl/arguments.ts';
import { upDetached } from './detached.ts';
import { DEFAULT_NATS_HOST, DEFAULT_NATS_PORT, type UpFlags } from './flags.ts';
import { upForeground } from './foreground.ts';

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description(
      'start a lattice here: NATS (an existing one, or nats-server from PATH), a host and the application controller; Ctrl-C stops them',
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
    .option(
      '--startup-timeout-ms <ms>',
      'how long to wait for the host (and the controller) to answer',
      '30000',
    )
    .option('--no-wadm', 'start no application controller (wash app needs one in the lattice)')
    .option('--disable-wadm', 'the same as --no-wadm (wash 0.2x)')
    .addHelpText(
      'after',
      `
Examples:
  wash up                       # foreground: streams the host's logs, Ctrl-C stops everything
  wash up -d                    # background; then: wash ctl get hosts, wash down
  wash up -d --no-wadm          # no application controller
  wash up --nats-port 4333 -x dev --label zone=east`,
    )
    .action(async (flags: UpFlags, command: Command) =>
      runAction(command, () => (flags.detached ? upDetached(flags) : upForeground(flags, command))),
    );
}
