// wash's top-level commands, each loaded only when it runs. Importing every command's modules
// costs ~0.3 s (zod, nats, the lattice codecs), so `wash --help` and `wash keys gen` would pay for
// `wash ctl` and `wash app` too. main.ts registers the one group the command line names and, for
// help, a stub of every other: its name, synopsis and description from this table.
// test/wash-cli/command-groups.test.ts checks each stub against the group it stands for.

import type { Command } from 'commander';

export interface CommandGroup {
  name: string;
  /** What `wash --help` lists after the name (`[options] <url>`), as for the real command. */
  synopsis?: string;
  description: string;
  /** Imports the group's modules and adds the real command(s) to `parent`. */
  register(parent: Command): Promise<void>;
}

export const COMMAND_GROUPS: readonly CommandGroup[] = [
  {
    name: 'new',
    description: 'create a new actor or provider project from a template',
    register: async (parent) => (await import('./commands/new.ts')).registerNewCommands(parent),
  },
  {
    name: 'build',
    synopsis: '[options]',
    description: 'build and sign the actor or provider project here (its wasmcloud.toml)',
    register: async (parent) => (await import('./commands/build.ts')).registerBuildCommand(parent),
  },
  {
    name: 'dev',
    synopsis: '[options]',
    description:
      'run the project here on a lattice (yours, or one it starts), rebuild and update it on every save',
    register: async (parent) => (await import('./commands/dev/dev.ts')).registerDevCommand(parent),
  },
  {
    name: 'keys',
    description: 'create key pairs',
    register: async (parent) => (await import('./commands/keys.ts')).registerKeysCommands(parent),
  },
  {
    name: 'claims',
    description: 'sign and inspect the claims of actors and providers',
    register: async (parent) => (await import('./commands/claims.ts')).registerClaimsCommands(parent),
  },
  {
    name: 'par',
    description: 'create and inspect provider archives (.par, .par.gz)',
    register: async (parent) => (await import('./commands/par.ts')).registerParCommands(parent),
  },
  {
    name: 'ctl',
    description: 'interact with a lattice: query hosts, start and stop actors and providers, links, calls',
    register: async (parent) => (await import('./commands/ctl/ctl.ts')).registerCtlCommands(parent),
  },
  {
    name: 'app',
    description: 'manage declarative applications (wadm manifests) through the application controller',
    register: async (parent) => (await import('./commands/app/app.ts')).registerAppCommands(parent),
  },
  {
    name: 'push',
    synopsis: '[options] <url> <artifact>',
    description: 'push a signed actor module or a provider archive to an OCI registry',
    register: async (parent) => (await import('./commands/push.ts')).registerPushCommand(parent),
  },
  {
    name: 'pull',
    synopsis: '[options] <url>',
    description: 'pull an actor module or a provider archive from an OCI registry',
    register: async (parent) => (await import('./commands/pull.ts')).registerPullCommand(parent),
  },
  {
    name: 'reg',
    description: 'push and pull artifacts (as wash push and wash pull)',
    register: async (parent) => {
      const [{ registerPushCommand }, { registerPullCommand }] = await Promise.all([
        import('./commands/push.ts'),
        import('./commands/pull.ts'),
      ]);
      const reg = parent.command('reg').description('push and pull artifacts (as wash push and wash pull)');
      registerPushCommand(reg);
      registerPullCommand(reg);
    },
  },
  {
    name: 'up',
    synopsis: '[options]',
    description:
      'start a lattice here: NATS (an existing one, or nats-server from PATH), a host and the application controller; Ctrl-C stops them',
    register: async (parent) => (await import('./commands/up/index.ts')).registerUpCommand(parent),
  },
  {
    name: 'down',
    description: 'stop the application controller, host and nats-server that wash up --detached started',
    register: async (parent) => (await import('./commands/down.ts')).registerDownCommand(parent),
  },
];

/** Options of the program itself that take a value: the word after them is not a command. */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['-o', '--output']);

/**
 * The group a command line runs: its first word that is neither an option nor an option's value
 * (`wash -o json ctl get hosts` → ctl; `wash help ctl` → ctl); undefined for `wash --help`.
 */
export function groupNamed(args: readonly string[]): string | undefined {
  const words: string[] = [];
  for (let i = 0; i < args.length && words.length < 2; i++) {
    const arg = args[i] ?? '';
    if (GLOBAL_OPTIONS_WITH_VALUE.has(arg)) i++;
    else if (!arg.startsWith('-')) words.push(arg);
  }
  return words[0] === 'help' ? words[1] : words[0];
}
