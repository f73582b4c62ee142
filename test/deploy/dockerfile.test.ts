// The Dockerfile, checked without a Docker engine (none can run here): base image, non-root user,
// production dependencies only, settings by environment, the health check run for real against an
// HTTP server, everything the host imports inside what the image copies, and finally the image's
// files staged as the Dockerfile lays them out (production install included) running a real host
// against a real nats-server until its health check passes, and the application controller from
// the same files until it answers the wadm API.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HOST_SETTINGS, hostLabels, resolveHostConfig, settingsFromEnv } from '../../host/config.ts';
import { errorMessage } from '../../lattice/errors.ts';
import { connectNats } from '../../lattice/nats.ts';
import { WadmClient } from '../../lattice/wadm-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';
import { importGraph } from '../helpers/import-graph.ts';
import { freePort, type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import { NODE_24 } from '../helpers/wash.ts';
import { envPairs, execForm, type Instruction, readDockerfile } from './dockerfile.ts';

const INSTRUCTIONS = readDockerfile(join(REPO_ROOT, 'Dockerfile'));
const FINAL_STAGE = Math.max(...INSTRUCTIONS.map((instruction) => instruction.stage));
const HOST_VARIABLES = new Set<string>(Object.values(HOST_SETTINGS).map((spec) => spec.env));
const PACKAGE = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

function instructions(keyword: string, stage?: number): Instruction[] {
  return INSTRUCTIONS.filter(
    (instruction) => instruction.keyword === keyword && (stage === undefined || instruction.stage === stage),
  );
}

function only(keyword: string, stage?: number): Instruction {
  const found = instructions(keyword, stage);
  expect(found, `one ${keyword}`).toHaveLength(1);
  return found[0]!;
}

/** The image's environment (every ENV of the final stage). */
function imageEnv(): Record<string, string> {
  return Object.assign({}, ...instructions('ENV', FINAL_STAGE).map((env) => envPairs(env.args)));
}

/** Paths the final stage copies from the build context (not from another stage). */
function copiedPaths(): string[] {
  return instructions('COPY', FINAL_STAGE)
    .filter((copy) => !copy.args.includes('--from='))
    .flatMap((copy) => {
      const words = copy.args.split(/\s+/).filter((word) => !word.startsWith('--'));
      return words.slice(0, -1);
    });
}

function runHealthCheck(env: Record<string, string>): Promise<number> {
  const command = execForm(only('HEALTHCHECK', FINAL_STAGE).args.replace(/^.*?\bCMD\s+/, ''));
  expect(command[0]).toBe('node');
  return new Promise((resolve) => {
    execFile(
      NODE_24,
      command.slice(1),
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 10_000 },
      (error) => resolve(error ? (typeof error.code === 'number' ? error.code : 1) : 0),
    );
  });
}

describe('Dockerfile', () => {
  test('every stage is the official Node 24 slim image', () => {
    const bases = instructions('FROM').map((from) => from.args.split(/\s+/)[0]);
    expect(bases.length).toBeGreaterThanOrEqual(1);
    for (const base of bases) expect(base).toMatch(/^node:24(?:\.\d+)*-[a-z]+-slim$/);
  });

  test('installs production dependencies only, without the postinstall (no npm ci, no devDependencies)', () => {
    const runs = instructions('RUN').map((run) => run.args);
    const install = runs.find((run) => /\bnpm install\b/.test(run));
    expect(install).toMatch(/npm install --omit=dev --ignore-scripts\b/);
    expect(runs.join('\n')).not.toMatch(/\bnpm ci\b/);
    expect(copiedPaths()).not.toContain('node_modules');
  });

  test('runs as the non-root user node', () => {
    const user = instructions('USER', FINAL_STAGE).at(-1);
    expect(user?.args).toBe('node');
    // USER comes before the command it applies to.
    const order = INSTRUCTIONS.filter((instruction) => instruction.stage === FINAL_STAGE).map(
      (i) => i.keyword,
    );
    expect(order.lastIndexOf('USER')).toBeLessThan(order.indexOf('ENTRYPOINT'));
  });

  test('starts the host (node host/main.ts) under tini, with nothing but environment settings', () => {
    expect(execForm(only('ENTRYPOINT', FINAL_STAGE).args)).toEqual([
      '/usr/bin/tini',
      '--',
      'node',
      'host/main.ts',
    ]);
    expect(instructions('CMD', FINAL_STAGE)).toEqual([]);
    expect(
      instructions('RUN', FINAL_STAGE)
        .map((run) => run.args)
        .join('\n'),
    ).toMatch(/apt-get install .*\btini\b/);
  });

  test('installs jemalloc, which the host restarts itself on (host/memory-settings.ts)', () => {
    const runs = instructions('RUN', FINAL_STAGE)
      .map((run) => run.args)
      .join('\n');
    expect(runs).toMatch(/apt-get install .*\blibjemalloc2\b/);
  });

  test('sets only variables the host reads, and they make the dashboard reachable from outside the container', () => {
    const env = imageEnv();
    for (const name of Object.keys(env)) {
      expect(HOST_VARIABLES.has(name) || name === 'NODE_ENV', `${name} is not a host setting`).toBe(true);
    }
    const config = resolveHostConfig(settingsFromEnv(env), hostLabels(env));
    expect(config.dashboard).toEqual({ host: '0.0.0.0', port: 4000 });
    expect(only('EXPOSE', FINAL_STAGE).args.split(/\s+/)).toEqual([String(config.dashboard?.port)]);
  });

  /** Every file `entry` imports is copied into the image, and every package it imports is a production dependency. */
  function expectImageHolds(entry: string, who: string, minimumFiles: number): void {
    const copied = copiedPaths();
    const graph = importGraph(join(REPO_ROOT, entry));
    expect(graph.files.size).toBeGreaterThan(minimumFiles);
    for (const file of graph.files) {
      const path = relative(REPO_ROOT, file);
      const inImage = copied.some((copy) => path === copy || path.startsWith(`${copy}${sep}`));
      expect(inImage, `${path} is used by the ${who} but not copied into the image`).toBe(true);
    }
    for (const name of graph.packages) {
      expect(PACKAGE.dependencies, `the ${who} imports ${name}`).toHaveProperty([name]);
    }
  }

  test('copies everything the host imports, and every package it imports is a production dependency', () => {
    expectImageHolds(join('host', 'main.ts'), 'host', 20);
    // The dashboard's page is served from files, not imports.
    expect(copiedPaths()).toContain('host');
  });

  test('copies everything the application controller imports (the compose and chart wadm run it from this image)', () => {
    expectImageHolds(join('controller', 'main.ts'), 'controller', 10);
    expect(copiedPaths()).toContain('controller');
  });

  test('.dockerignore keeps local state out and nothing the image copies', () => {
    const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['.git', 'node_modules', '**/node_modules', 'test']));
    for (const path of [...copiedPaths(), 'package-lock.json']) {
      expect(ignored, `${path} is ignored but copied`).not.toContain(path);
    }
  });

  describe('HEALTHCHECK', () => {
    let server: Server;
    let port: number;
    let status = 200;
    const paths: string[] = [];

    beforeAll(async () => {
      server = createServer((request, response) => {
        paths.push(request.url ?? '');
        response.writeHead(status).end('{}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    test('passes when /api/livez on the dashboard port answers 200, fails on 503 and when nothing listens', async () => {
      status = 200;
      expect(await runHealthCheck({ WASMCLOUD_DASHBOARD_PORT: String(port) })).toBe(0);
      expect(paths.at(-1)).toBe('/api/livez');
      status = 503;
      expect(await runHealthCheck({ WASMCLOUD_DASHBOARD_PORT: String(port) })).toBe(1);
      expect(await runHealthCheck({ WASMCLOUD_DASHBOARD_PORT: String(await freePort()) })).toBe(1);
    });
  });
});

describe('the image staged as the Dockerfile lays it out', () => {
  const stage = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-image-'));
  let nats: NatsServer;
  let host: ChildProcess | undefined;
  let controller: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    // First stage: package.json + package-lock.json, then the production install.
    for (const file of ['package.json', 'package-lock.json'])
      cpSync(join(REPO_ROOT, file), join(stage, file));
    const install = instructions('RUN', 0).find((run) => /\bnpm install\b/.test(run.args))!;
    const npmArgs = install.args.split('&&')[0]!.trim().split(/\s+/).slice(1);
    await promisify(execFile)('npm', [...npmArgs, '--prefer-offline'], { cwd: stage, timeout: 180_000 });
    // Final stage: the sources, without anything .dockerignore keeps out.
    for (const path of copiedPaths()) {
      cpSync(join(REPO_ROOT, path), join(stage, path), {
        recursive: true,
        filter: (source) => !/[/\\](?:node_modules|build|dist)(?:[/\\]|$)/.test(relative(REPO_ROOT, source)),
      });
    }
    nats = await startNatsServer({ jetstream: true });
  }, 240_000);

  afterAll(async () => {
    for (const child of [host, controller]) {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await nats?.stop();
    rmSync(stage, { recursive: true, force: true });
  });

  test('holds the production dependencies and no development ones', () => {
    for (const name of Object.keys(PACKAGE.dependencies)) {
      expect(existsSync(join(stage, 'node_modules', name)), `${name} installed`).toBe(true);
    }
    for (const name of ['vitest', 'typescript', 'node', '@biomejs/biome', 'kubernetes-models']) {
      expect(PACKAGE.devDependencies).toHaveProperty([name]);
      expect(existsSync(join(stage, 'node_modules', name)), `${name} is a devDependency`).toBe(false);
    }
  });

  test('runs a host that joins NATS, passes the health check and is ready, and stops on SIGTERM', async () => {
    const dashboardPort = await freePort();
    const env = {
      PATH: process.env.PATH ?? '',
      ...imageEnv(),
      WASMCLOUD_RPC_HOST: '127.0.0.1',
      WASMCLOUD_RPC_PORT: String(nats.port),
      WASMCLOUD_DASHBOARD_PORT: String(dashboardPort),
      WASMCLOUD_ACTOR_WORKERS: '1',
      WASMCLOUD_HOST_NAME: 'staged-image',
    };
    const command = execForm(only('ENTRYPOINT', FINAL_STAGE).args);
    const node = command.indexOf('node');
    host = spawn(NODE_24, command.slice(node + 1), { cwd: stage, env, stdio: ['ignore', 'pipe', 'pipe'] });
    host.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    host.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

    const withOutput = (error: unknown) => {
      throw new Error(`${errorMessage(error)}; host output:\n${output}`);
    };
    // The image's HEALTHCHECK command, run until it passes (or the host exits, which fails below).
    await eventually(
      async () =>
        host?.exitCode !== null ||
        (await runHealthCheck({ WASMCLOUD_DASHBOARD_PORT: String(dashboardPort) })) === 0,
      { what: 'the health check to pass', timeoutMs: 20_000, intervalMs: 250 },
    ).catch(withOutput);
    expect(host.exitCode, `the host exited before its health check passed; output:\n${output}`).toBe(null);
    // Live comes first: the dashboard listens before the host has joined the lattice.
    const ready = await eventually(
      async () => {
        const response = await fetch(`http://127.0.0.1:${dashboardPort}/api/readyz`);
        return response.status === 200 && response;
      },
      { what: '/api/readyz to answer 200', timeoutMs: 20_000, intervalMs: 250 },
    ).catch(withOutput);
    expect(ready.status, `${await ready.text()}\n${output}`).toBe(200);

    const exited = new Promise<number | null>((resolve) => host!.once('exit', (code) => resolve(code)));
    host.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);

  test('runs the application controller as compose and the chart do (node controller/main.ts): it answers the wadm API, stops on SIGTERM', async () => {
    const env = {
      PATH: process.env.PATH ?? '',
      ...imageEnv(),
      WASMCLOUD_CTL_HOST: '127.0.0.1',
      WASMCLOUD_CTL_PORT: String(nats.port),
      WASMCLOUD_LATTICE_PREFIX: 'staged',
    };
    let controllerOutput = '';
    controller = spawn(NODE_24, ['controller/main.ts'], {
      cwd: stage,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    controller.stdout?.on('data', (chunk: Buffer) => (controllerOutput += chunk.toString()));
    controller.stderr?.on('data', (chunk: Buffer) => (controllerOutput += chunk.toString()));
    const nc = await connectNats({ url: `127.0.0.1:${nats.port}` });
    try {
      const client = new WadmClient(nc, { latticePrefix: 'staged', timeoutMs: 500 });
      const models = await eventually(() => client.list(), {
        what: 'the staged controller to answer model.list',
        timeoutMs: 30_000,
        intervalMs: 250,
      }).catch((error: unknown) => {
        throw new Error(`${errorMessage(error)}; controller output:\n${controllerOutput}`);
      });
      expect(models).toEqual([]);
    } finally {
      await nc.close();
    }
    const exited = new Promise<number | null>((resolve) => controller!.once('exit', (code) => resolve(code)));
    controller.kill('SIGTERM');
    expect(await exited, controllerOutput).toBe(0);
  }, 60_000);
});
