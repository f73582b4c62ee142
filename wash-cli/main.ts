#!/usr/bin/env node
// wash — the wasmcloud-ts command line. Each command group lives in commands/{group}.ts (or a folder
// commands/{group}/) and registers itself here; output and errors go through output.ts.

import { Command } from 'commander';
import { registerAppCommands } from './commands/app/app.ts';
import { registerClaimsCommands } from './commands/claims.ts';
import { registerCtlCommands } from './commands/ctl/ctl.ts';
import { registerDownCommand } from './commands/down.ts';
import { registerKeysCommands } from './commands/keys.ts';
import { registerParCommands } from './commands/par.ts';
import { registerPullCommand } from './commands/pull.ts';
import { registerPushCommand } from './commands/push.ts';
import { registerUpCommand } from './commands/up/index.ts';

export function buildProgram(): Command {
  const program = new Command('wash')
    .description('wasmcloud-ts shell: keys, claims, provider archives and the lattice control interface')
    .option('-o, --output <kind>', 'output kind: text or json', 'text')
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(`error: ${text.replace(/^error: /, '')}`) });
  registerKeysCommands(program);
  registerClaimsCommands(program);
  registerParCommands(program);
  registerCtlCommands(program);
  registerAppCommands(program);
  registerPushCommand(program);
  registerPullCommand(program);
  const reg = program.command('reg').description('push and pull artifacts (as wash push and wash pull)');
  registerPushCommand(reg);
  registerPullCommand(reg);
  registerUpCommand(program);
  registerDownCommand(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
