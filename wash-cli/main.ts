#!/usr/bin/env node
// wash — the wasmcloud-ts command line. Each command group lives in commands/{group}.ts (or a folder
// commands/{group}/), is listed in command-groups.ts and loaded only when the command line names
// it; output and errors go through output.ts. The installed executable is wash.js, which turns on
// Node's compile cache before loading this file.

import { Command } from 'commander';
import { COMMAND_GROUPS, groupNamed, registerGroups } from './command-groups.ts';

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
  const commandLine = argv.slice(2);
  await registerGroups(program, COMMAND_GROUPS, groupNamed(commandLine), commandLine, only);
  return program;
}

if (import.meta.main) await (await buildProgram(process.argv)).parseAsync(process.argv);
