// `wash app`: declarative applications through the application controller's wadm API
// (wadm.api.{lattice}.model.*, lattice/wadm-client.ts): put, deploy, undeploy, list, get, history,
// del, status as wash 0.2x named them. Each subcommand lives in its own file and takes wash ctl's
// connection flags.

import type { Command } from 'commander';
import { registerDelCommand } from './del.ts';
import { registerDeployCommands } from './deploy.ts';
import { registerGetCommand } from './get.ts';
import { registerHistoryCommand } from './history.ts';
import { registerListCommand } from './list.ts';
import { registerPutCommand } from './put.ts';
import { registerStatusCommand } from './status.ts';

export function registerAppCommands(program: Command): void {
  const app = program
    .command('app')
    .description('manage declarative applications (wadm manifests) through the application controller')
    .addHelpText(
      'after',
      `
The application controller (node controller/main.ts; wash up starts one) stores manifests and keeps
the lattice at the deployed version. Every subcommand takes wash ctl's connection flags -r/--ctl-host,
-p/--ctl-port, --ctl-jwt, --ctl-seed, --ctl-credsfile, --tls-ca-file, -x/--lattice-prefix and
-t/--timeout-ms (default 5000 here) and their WASMCLOUD_* variables. docs/apps.md has the details.

Examples:
  wash app deploy examples/echo-app.yaml      # put the manifest, then deploy that version
  wash app status echo
  wash app list
  wash app history echo
  wash app get echo v0.0.1
  wash app undeploy echo
  wash app del echo`,
    );
  registerPutCommand(app);
  registerDeployCommands(app);
  registerListCommand(app);
  registerGetCommand(app);
  registerHistoryCommand(app);
  registerDelCommand(app);
  registerStatusCommand(app);
}
