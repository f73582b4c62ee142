#!/usr/bin/env node
// wash — the wasmcloud-ts command line. Each command group lives in commands/{group}.ts (or a folder
// commands/{group}/), is listed in command-groups.ts and loaded only when the command line names
// it; output and errors go through output.ts. The installed executable is wash.js, which turns on
// Node's compile cache before loading this file.

import { Command, Help } from 'commander';
import { COMMAND_GROUPS, groupNamed } from './command-groups.ts';

/**
 * The program for `argv`: the group it names registered for real, every other as a stub that
 * only shows in help (so `wash --help` loads nothing but commander). `only: 'all'` registers every
 * group for real (the tests that compare the stubs with the groups).
 */
export async function buildProgram(argv: readonly string[], only?: 'all'): Promise<Command> {
  const program = new Command('wash')
    .description('wasmcloud-ts shell: keys, claims, provider archives and the lattice control interface')
    .option('-o, --output <kind>', 'output kind: text or json', 'text')
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(`error: ${text.replace(/^error: /, '')}`) });
  const named = groupNamed(argv.slice(2));
  const stubTerms = new Map<Command, string>();
  for (const group of COMMAND_GROUPS) {
    if (only === 'all' || group.name === named) await group.register(program);
    else {
      const stub = program.command(group.name).description(group.description);
      stubTerms.set(stub, group.synopsis === undefined ? group.name : `${group.name} ${group.synopsis}`);
    }
  }
  // A stub has no options or arguments of its own; help lists it as the real command would be.
  const plainHelp = new Help();
  program.configureHelp({
    subcommandTerm: (command) => stubTerms.get(command) ?? plainHelp.subcommandTerm(command),
  });
  return program;
}

if (import.meta.main) await (await buildProgram(process.argv)).parseAsync(process.argv);
