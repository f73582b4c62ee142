// `wash ctl`: drive a lattice through the 2022 control interface (protocol.md §1, §9). Each
// subcommand group lives in its own file and, like wash's own groups (command-groups.ts), is loaded
// only when the command line names it: `wash ctl get hosts` loads the control client, not the
// archive readers, claims codecs and msgpack that start, call and update need. They share
// connection-options.ts for the NATS flags.

import type { Command } from 'commander';
import { type CommandGroup, groupNamed, registerGroups } from '../../command-groups.ts';

const CTL_GROUPS: readonly CommandGroup[] = [
  {
    name: 'get',
    description: "query the lattice: hosts, a host's inventory or load, claims",
    register: async (ctl) => (await import('./get.ts')).registerGetCommands(ctl),
  },
  {
    name: 'link',
    description: 'put, delete and list link definitions',
    register: async (ctl) => (await import('./link.ts')).registerLinkCommands(ctl),
  },
  {
    name: 'start',
    description: 'start an actor or a provider on a host',
    register: async (ctl) => (await import('./start.ts')).registerStartCommands(ctl),
  },
  {
    name: 'stop',
    description: 'stop an actor, a provider or a whole host',
    register: async (ctl) => (await import('./stop.ts')).registerStopCommands(ctl),
  },
  {
    name: 'scale',
    description: 'change how many instances of an actor run on a host',
    register: async (ctl) => (await import('./scale-update.ts')).registerScaleCommand(ctl),
  },
  {
    name: 'update',
    description: 'replace a running actor with a new build',
    register: async (ctl) => (await import('./scale-update.ts')).registerUpdateCommand(ctl),
  },
  {
    name: 'call',
    synopsis: '[options] <actor-id> <operation> [payload]',
    description:
      'invoke an actor operation through the lattice, signed with the cluster seed (--cluster-seed, WASMCLOUD_CLUSTER_SEED, or the one wash up saved)',
    register: async (ctl) => (await import('./call.ts')).registerCallCommand(ctl),
  },
];

export async function registerCtlCommands(
  program: Command,
  commandLine: readonly string[],
  only?: 'all',
): Promise<void> {
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
  await registerGroups(ctl, CTL_GROUPS, groupNamed(commandLine, 1), commandLine, only);
}
