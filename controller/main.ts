#!/usr/bin/env node
// The application controller's process (`node controller/main.ts --help`): a client of the lattice
// like wash, serving the wadm API and, while it holds the leadership lease, reconciling. Settings
// come from flags and the WASMCLOUD_* variables (config.ts); a bad one stops start-up with one line
// naming it, exit 1. SIGINT and SIGTERM stop it cleanly (it stops leading and releases the lease,
// so another replica takes over at once), exit 0; an error nothing caught is logged, exit 1.

import { Command, Option } from 'commander';
import { errorFields, errorMessage } from '../lattice/errors.ts';
import { createLogger, type Logger } from '../lattice/log.ts';
import { connectNats, type NatsConnection, watchNatsStatus } from '../lattice/nats.ts';
import {
  CONTROLLER_SETTINGS,
  type ControllerConfig,
  type ControllerSettingName,
  resolveControllerConfig,
} from './config.ts';
import { Controller } from './controller.ts';
import { ControllerError } from './errors.ts';
import { parseManifest } from './manifest/parse.ts';
import { createReconciler } from './reconcile/mod.ts';

/** A shutdown that takes longer than this (a reconciler that does not close) ends with exit 1. */
const SHUTDOWN_LIMIT_MS = 15_000;

function buildCommand(): Command {
  const command = new Command('wasmcloud-controller')
    .description(
      'The application controller of a wasmcloud-ts lattice (wadm-compatible): it serves ' +
        'wadm.api.{lattice}.model.*, keeps manifests in JetStream KV and, on the replica holding the ' +
        'leadership lease, keeps the lattice at the deployed applications. Run several replicas for ' +
        'availability. Every flag can also be set by the environment variable shown; flags win.',
    )
    .helpOption('-h, --help', 'show this help')
    .showHelpAfterError();
  for (const spec of Object.values(CONTROLLER_SETTINGS)) {
    const short = 'short' in spec ? `-${spec.short}, ` : '';
    command.addOption(new Option(`${short}--${spec.flag} <value>`, `${spec.help} [${spec.env}]`));
  }
  return command;
}

function flagsOf(command: Command): Partial<Record<ControllerSettingName, string>> {
  const options = command.opts<Record<string, unknown>>();
  const flags: Partial<Record<ControllerSettingName, string>> = {};
  for (const name of Object.keys(CONTROLLER_SETTINGS) as ControllerSettingName[]) {
    const value = options[name];
    if (typeof value === 'string') flags[name] = value;
  }
  return flags;
}

async function run(config: ControllerConfig, log: Logger): Promise<void> {
  let nc: NatsConnection | undefined;
  let controller: Controller | undefined;
  let stopping = false;

  const stop = async (code: number, why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info(`controller stopping (${why})`);
    const limit = setTimeout(() => {
      log.error(`the controller did not stop within ${SHUTDOWN_LIMIT_MS} ms; exiting`);
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    try {
      await controller?.stop();
      await nc?.drain();
    } catch (error) {
      log.error(`stopping failed: ${errorMessage(error)}`, errorFields(error));
      code = 1;
    }
    clearTimeout(limit);
    log.info('controller stopped');
    process.exit(code);
  };

  const fatal = (error: unknown, what: string) => {
    log.error(`${what}: ${errorMessage(error)}`, {
      ...errorFields(error),
      stack: error instanceof Error ? error.stack : undefined,
    });
    void stop(1, what);
  };
  process.on('uncaughtException', (error) => fatal(error, 'uncaught exception'));
  process.on('unhandledRejection', (reason) => fatal(reason, 'unhandled rejection'));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(0, signal));

  nc = await connectNats(config.nats);
  watchNatsStatus(nc, (status) => {
    if (status.kind === 'server_error') log.warn(`NATS: ${status.message}`);
    else log.info(`NATS ${status.kind}: ${status.server}`);
  });
  const connection = nc;
  void connection.closed().then((error) => {
    if (!stopping)
      fatal(
        error ?? new ControllerError('CONTROLLER_NATS_CLOSED', 'the connection closed'),
        'lost the NATS connection for good',
      );
  });

  controller = await Controller.start({
    nc: connection,
    latticePrefix: config.latticePrefix,
    jsDomain: config.jsDomain,
    jsReplicas: config.jsReplicas,
    replicaId: config.replicaId,
    log,
    parseManifest: (bytes) => parseManifest(bytes),
    createReconciler: () =>
      createReconciler({
        nc: connection,
        latticePrefix: config.latticePrefix,
        log, // it labels its own lines (part=reconciler)
      }),
    onFatal: (error) => fatal(error, "the leader's work could not start"),
  });
  log.info(
    `controller started: lattice ${config.latticePrefix}, NATS ${config.nats.url}, replica ${config.replicaId}`,
    config.jsDomain ? { js_domain: config.jsDomain } : {},
  );
}

async function main(): Promise<void> {
  const command = buildCommand().parse(process.argv);
  let config: ControllerConfig;
  try {
    config = resolveControllerConfig(flagsOf(command), process.env);
  } catch (error) {
    process.stderr.write(`error: ${errorMessage(error)}\n`);
    process.exit(1);
  }
  const log = createLogger({ level: config.logLevel, structured: config.structuredLogging });
  try {
    await run(config, log);
  } catch (error) {
    log.error(`the controller could not start: ${errorMessage(error)}`, errorFields(error));
    process.exit(1);
  }
}

await main();
