// wash's top-level commands, each loaded only when it runs. Importing every command's modules
// costs ~0.3 s (zod, nats, the lattice codecs), so `wash --help` and `wash keys gen` would pay for
// `wash ctl` and `wash app` too. main.ts registers the one group the command line names and, for
// help, a stub of every other: its name, synopsis and description from this table
// (registerGroups, which `wash ctl` uses for its own subcommands the same way).
// test/wash-cli/command-groups.test.ts checks each stub against the group it stands for.

import { type Command, Help } from 'commander';

export interface CommandGroup {
  name: string;
  /** What `wash --help` lists after the name (`[options] <url>`), as for the real command. */
  synopsis?: string;
  description: string;
  /**
   * Imports the group's modules and adds the real command(s) to `parent`. `commandLine` is the
   * whole command line after `wash` (a group with lazy groups of its own picks from it), and `only:
   * 'all'` asks for every nested group for real too.
   */
  register(parent: Command, commandLine: readonly string[], only?: 'all'): Promise<void>;
}

/**
 * Registers the group `named` (every group with `only: 'all'`) for real under `parent` and each
 * other as a stub that only shows in help: its name, synopsis and description.
 */
export async function registerGroups(
  parent: Command,
  groups: readonly CommandGroup[],
  named: string | undefined,
  commandLine: readonly string[],
  only?: 'all',
): Promise<void> {
  const stubTerms = new Map<Command, string>();
  for (const group of groups) {
    if (only === 'all' || group.name === named) await group.register(parent, commandLine, only);
    else {
      const stub = parent.command(group.name).description(group.description);
      stubTerms.set(stub, group.synopsis === undefined ? group.name : `${group.name} ${group.synopsis}`);
    }
  }
  // A stub has no options or arguments of its own; help lists it as the real command would be.
  const plainHelp = new Help();
  parent.configureHelp({
    subcommandTerm: (command) => stubTerms.get(command) ?? plainHelp.subcommandTerm(command),
  });
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
    register: async (parent, commandLine, only) =>
      (await import('./commands/ctl/ctl.ts')).registerCtlCommands(parent, commandLine, only),
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
 * The group a command line runs at `depth` (0: wash's own, 1: one of `wash ctl`'s): its word at
 * that place among those that are neither options nor an option's value, past a `help` (`wash -o
 * json ctl get hosts` → ctl, then get; `wash help ctl` → ctl; `wash ctl help link` → link);
 * undefined for `wash --help`.
 */
export function groupNamed(args: readonly string[], depth = 0): string | undefined {
  const words: string[] = [];
  for (let i = 0; i < args.length && words.length < depth + 3; i++) {
    const arg = args[i] ?? '';
    if (GLOBAL_OPTIONS_WITH_VALUE.has(arg)) i++;
    else if (!arg.startsWith('-')) words.push(arg);
  }
  const named = words.filter((word, index) => !(word === 'help' && index <= depth));
  return named[depth];
}
