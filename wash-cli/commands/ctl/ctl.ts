// `wash ctl`: drive a lattice through the 2022 control interface (protocol.md §1, §9). Each
// subcommand group lives in its own file; they share connection-options.ts for the NATS flags.

import type { Command } from 'commander';
import { registerCallCommand } from './call.ts';
import { registerGetCommands } from './get.ts';
import { registerLinkCommands } from './link.ts';
import { registerScaleAndUpdateCommands } from './scale-update.ts';
import { registerStartCommands } from './start.ts';
import { registerStopCommands } from './stop.ts';

export function registerCtlCommands(program: Command): void {
  const ctl = program
    .command('ctl')
    .description('interact with a lattice: query hosts, start and stop actors and providers, links, calls')
    .addHelpText(
      'after',
      `
Every subcommand takes the connection flags -r/--ctl-host, -p/--ctl-port, --ctl-jwt, --ctl-seed,
--ctl-credsfile, -x/--lattice-prefix and -t/--timeout-ms (or WASMCLOUD_CTL_HOST, WASMCLOUD_CTL_PORT,
WASMCLOUD_LATTICE_PREFIX, WASMCLOUD_CTL_TIMEOUT_MS); the default is the lattice "default" on 127.0.0.1:4222.

Examples:
  wash ctl get hosts
  wash ctl get inventory N…
  wash ctl start actor ./echo_s.wasm
  wash ctl link put M… V… wasmcloud:httpserver PORT=8080
  wash ctl call M… HttpServer.HandleRequest '{"method":"GET","path":"/"}'`,
    );
  registerGetCommands(ctl);
  registerLinkCommands(ctl);
  registerStartCommands(ctl);
  registerStopCommands(ctl);
  registerScaleAndUpdateCommands(ctl);
  registerCallCommand(ctl);
}
