// `wash dev`: the developer loop for the project in this folder. Build it (in this process), run it
// on a lattice (the one the connection flags name, or one started as `wash up` starts it), put its
// [dev] links, print where it answers, then rebuild on every saved change and live-update the
// running actor (provider: restart), one status line per rebuild. A build that fails leaves the
// last good one running and shows the compiler's error. Ctrl-C stops what wash dev started.

import { relative } from 'node:path';
import type { Command } from 'commander';
import { errorMessage } from '../../../lattice/errors.ts';
import { addConnectionOptions, type ConnectionFlags } from '../../connection-options.ts';
import { type CommandResult, runAction, warn } from '../../output.ts';
import { type BuiltProject, buildProject } from '../../project/build-project.ts';
import { type Project, readProject } from '../../project/project-file.ts';
import { findOrStartLattice } from './dev-lattice.ts';
import { DevSession } from './dev-session.ts';
import { watchProject } from './watch.ts';

interface DevFlags extends ConnectionFlags {
  project: string;
  timings?: boolean;
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

function status(line: string): void {
  process.stdout.write(`[${clock()}] ${line}\n`);
}

/** A build's steps as one line: `syntax check 31 ms, strip types 2 ms, …`. */
function stepsLine(built: BuiltProject): string {
  return built.steps.map(([name, ms]) => `${name} ${ms.toFixed(0)} ms`).join(', ');
}

async function dev(flags: DevFlags): Promise<CommandResult> {
  const project: Project = await readProject(flags.project);
  let signals = 0;
  let onSignal: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    onSignal = () => {
      signals += 1;
      if (signals === 1) resolve();
      else process.exit(130);
    };
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    status(`building ${project.name}…`);
    const first = await buildProject(project);
    status(`built in ${(first.ms / 1000).toFixed(1)} s → ${relative(process.cwd(), first.path)}`);
    if (flags.timings) status(`  ${stepsLine(first)}`);
    if (signals > 0) return { json: { stopped: true }, text: 'Stopped before anything was started' };
    const lattice = await findOrStartLattice(flags, () => signals > 0);
    const { ControlClient } = await import('../../../lattice/control-client.ts');
    const client = new ControlClient(lattice.nc, { latticePrefix: lattice.latticePrefix, timeoutMs: 10_000 });
    const session = new DevSession(client, lattice.hostId, project, first.path);
    try {
      const started = lattice.started.length > 0 ? ` (started ${lattice.started.join(' and ')})` : '';
      status(`lattice "${lattice.latticePrefix}" on ${lattice.natsUrl}, host ${lattice.hostId}${started}`);
      const key = await session.start();
      await session.putLinks();
      const where = project.dev.url ? `, serving ${project.dev.url}` : '';
      status(`${project.type} ${project.name} running (${key})${where}`);
      if (project.dev.url !== undefined && !(await answers(project.dev.url)))
        warn(
          `warning: ${project.dev.url} does not answer yet; a link may have been refused (its address in use?): see the host's log`,
        );
      const rebuilds = new RebuildLoop(project, session, flags.timings === true);
      const watcher = watchProject(project.dir, () => rebuilds.request());
      status('watching for changes; Ctrl-C stops');
      await stopped;
      watcher.close();
      await rebuilds.idle();
      status('stopping…');
      for (const problem of await session.stop()) warn(`warning: ${problem}`);
    } finally {
      await lattice.stop();
      // Closing after the work is done; nothing is lost if it fails (wash exits).
      await lattice.nc.close().catch(() => undefined);
    }
    return {
      json: { stopped: true },
      text: `Stopped ${project.name}${lattice.started.length > 0 ? ` and ${lattice.started.join(' and ')}` : ''}`,
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Whether anything answers HTTP at `url` within a few seconds (a link's listener comes up async). */
async function answers(url: string): Promise<boolean> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const answered = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
      () => true,
      () => false, // not listening yet: ask again
    );
    if (answered) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** One rebuild at a time; changes during a rebuild make one more after it. */
class RebuildLoop {
  readonly #project: Project;
  readonly #session: DevSession;
  readonly #timings: boolean;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(project: Project, session: DevSession, timings: boolean) {
    this.#project = project;
    this.#session = session;
    this.#timings = timings;
  }

  request(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
    });
  }

  async idle(): Promise<void> {
    this.#again = false;
    await this.#running;
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      await this.#rebuildOnce();
    } while (this.#again);
  }

  async #rebuildOnce(): Promise<void> {
    let built: BuiltProject;
    try {
      built = await buildProject(this.#project);
    } catch (error) {
      status(`build failed; the last good build keeps running:\n${errorMessage(error)}`);
      return;
    }
    const started = Date.now();
    try {
      await this.#session.update();
      const what = this.#project.type === 'actor' ? 'updated the actor' : 'restarted the provider';
      status(`rebuilt in ${(built.ms / 1000).toFixed(1)} s, ${what} in ${Date.now() - started} ms`);
      if (this.#timings) status(`  ${stepsLine(built)}`);
    } catch (error) {
      status(`rebuilt, but the update failed; the last good build keeps running: ${errorMessage(error)}`);
    }
  }
}

export function registerDevCommand(program: Command): void {
  addConnectionOptions(
    program
      .command('dev')
      .description(
        'run the project here on a lattice (yours, or one it starts), rebuild and update it on every save',
      )
      .option('--project <folder>', 'the project folder', '.')
      .option('--timings', "print each build step's time under its status line")
      .action(async (flags: DevFlags, command: Command) => runAction(command, () => dev(flags))),
  );
}
