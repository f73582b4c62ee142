// The developer loop of issue 18: each `wash new` template is created in a temporary folder, built
// with `wash build`, started on a real lattice and answers (HTTP for the actors, an invocation for
// the provider); then `wash dev` runs the hello project (after a real `npm install` of its
// package.json), picks up an edit with no failed request in between, and keeps the last good build
// serving through a syntax error. Builds are reused across assertions: componentize-js takes
// seconds per build.

import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignedWasm } from '../../lattice/claims.ts';
import { ControlClient } from '../../lattice/control-client.ts';
import { actorStopped } from '../../lattice/control-outcomes.ts';
import { decodePayload, encodePayload } from '../../lattice/payload.ts';
import { eventually } from '../helpers/eventually.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';
import { freePort } from '../helpers/nats-server.ts';
import { defaultLink, ProviderLattice } from '../helpers/provider-lattice.ts';
import { NODE_24, runWash } from '../helpers/wash.ts';

const WORK = mkdtempSync(join(tmpdir(), 'wash-projects-'));
const KEYS = join(WORK, 'keys');
const env = { WASH_KEYS: KEYS };
/** A componentize-js build takes 5–25 s on the shared 2-core machines; start-up and HTTP on top. */
const BUILD_TIMEOUT_MS = 150_000;

let lattice: ProviderLattice;

beforeAll(async () => {
  lattice = await ProviderLattice.start({ lattice: 'washnew', name: 'wash-new' });
});

afterAll(async () => {
  await lattice?.stop();
  rmSync(WORK, { recursive: true, force: true });
});

/** `wash new <kind> <name> [--template t]` in WORK; the project folder. */
async function newProject(kind: 'actor' | 'provider', name: string, template?: string): Promise<string> {
  const args = ['new', kind, name, ...(template ? ['--template', template] : [])];
  const created = await runWash(args, { cwd: WORK, env });
  expect(created.stderr).toBe('');
  expect(created.code).toBe(0);
  expect(created.stdout).toContain('npx wash dev');
  return join(WORK, name);
}

/** `wash build` in the project; the signed artifact's path (and its public key: buildWithKey). */
async function build(dir: string): Promise<string> {
  return (await buildWithKey(dir)).path;
}

async function buildWithKey(dir: string): Promise<{ path: string; public_key: string }> {
  const built = await runWash(['-o', 'json', 'build'], { cwd: dir, env });
  expect(built.stderr.replace(/.*ExperimentalWarning.*\n|.*--trace-warnings.*\n|.*key found.*\n/g, '')).toBe(
    '',
  );
  expect(built.code).toBe(0);
  return JSON.parse(built.stdout) as { path: string; public_key: string };
}

/** Starts the signed actor with the built-in httpserver on a free port; its URL. */
async function serveOverHttp(
  path: string,
  name: string,
  more: (actorId: string) => Promise<void> = async () => {},
) {
  const actorId = await lattice.startSignedActor(readFileSync(path), name);
  const httpserver = await lattice.startBuiltin(lattice.host.id, 'httpserver');
  await more(actorId);
  const port = await freePort();
  await lattice.putLink(
    defaultLink(actorId, httpserver, 'wasmcloud:httpserver', { ADDRESS: `127.0.0.1:${port}` }),
  );
  return { actorId, url: `http://127.0.0.1:${port}/` };
}

async function answer(url: string): Promise<string> {
  return eventually(
    () =>
      fetch(url).then(
        async (response) => (response.ok ? await response.text() : undefined),
        () => undefined, // the listener is not up yet: ask again
      ),
    `an answer from ${url}`,
    20_000,
  );
}

async function stopActor(actorId: string): Promise<void> {
  const client = new ControlClient(lattice.nc, { latticePrefix: lattice.prefix });
  await client.commandWithOutcome(
    () => client.stopActor(lattice.host.id, actorId, 0),
    actorStopped(lattice.host.id, actorId),
    10_000,
  );
}

describe('wash new', () => {
  it('lists the templates in --help, and refuses a folder that exists or a template it has not', async () => {
    const help = await runWash(['new', 'actor', '--help']);
    for (const template of ['hello', 'kvcounter', 'c-echo']) expect(help.stdout).toContain(template);
    mkdirSync(join(WORK, 'taken'));
    const taken = await runWash(['new', 'actor', 'taken'], { cwd: WORK, env });
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/^error: .*taken already exists/);
    const unknown = await runWash(['-o', 'json', 'new', 'actor', 'nope', '--template', 'rust'], {
      cwd: WORK,
      env,
    });
    expect(JSON.parse(unknown.stderr)).toMatchObject({ code: 'WASH_UNKNOWN_TEMPLATE' });
    expect(existsSync(join(WORK, 'nope'))).toBe(false);
  });
});

describe('each template, built and started on a real lattice', () => {
  let helloDir: string;

  it(
    'hello (TypeScript component) answers HTTP with its greeting; wash build shows a syntax error where it is',
    async () => {
      helloDir = await newProject('actor', 'hello');
      const path = await build(helloDir);
      const claims = verifySignedWasm(readFileSync(path)).claims;
      expect(claims.wascap.name).toBe('hello');
      expect(claims.wascap.caps).toEqual(['wasmcloud:httpserver', 'wasmcloud:builtin:logging']);
      const { actorId, url } = await serveOverHttp(path, 'hello');
      expect(await answer(url)).toBe('Hello from hello!\n');
      await stopActor(actorId);

      const source = join(helloDir, 'src', 'actor.ts');
      const good = readFileSync(source, 'utf8');
      writeFileSync(source, good.replace("const GREETING = '", "const GREETING = = '"));
      const broken = await runWash(['build'], { cwd: helloDir, env });
      expect(broken.code).toBe(1);
      expect(broken.stderr).toMatch(/src\/actor\.ts:\d+:\d+/);
      // The last good build is still there, signed whole (its hash checks out).
      expect(verifySignedWasm(readFileSync(path)).claims.sub).toBe(actorId);
      writeFileSync(source, good);
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    'kvcounter (TypeScript component) counts through the built-in keyvalue provider',
    async () => {
      const dir = await newProject('actor', 'counter', 'kvcounter');
      const path = await build(dir);
      const { actorId, url } = await serveOverHttp(path, 'counter', async (actor) => {
        const keyvalue = await lattice.startBuiltin(lattice.host.id, 'keyvalue');
        await lattice.putLink(
          defaultLink(actor, keyvalue, 'wasmcloud:keyvalue', { BUCKET: 'washnewcounter' }),
        );
      });
      const first = JSON.parse(await answer(url)) as { counter: number };
      const second = JSON.parse(await answer(url)) as { counter: number };
      expect(second.counter).toBe(first.counter + 1);
      await stopActor(actorId);
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    'c-echo (C wasmbus module) echoes the request as JSON',
    async () => {
      const dir = await newProject('actor', 'cecho', 'c-echo');
      const path = await build(dir);
      const { actorId, url } = await serveOverHttp(path, 'cecho');
      expect(JSON.parse(await answer(`${url}hi?x=1`))).toEqual({
        body: [],
        method: 'GET',
        path: '/hi',
        query_string: 'x=1',
      });
      await stopActor(actorId);
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    'provider (TypeScript on the SDK) packs a signed archive that answers an invocation; its own test passes',
    async () => {
      const dir = await newProject('provider', 'greeter');
      // What `npm install` links: the wash package, which carries the provider SDK.
      mkdirSync(join(dir, 'node_modules'));
      symlinkSync(join(REPO_ROOT, 'wash-cli'), join(dir, 'node_modules', 'wash'));
      const built = await buildWithKey(dir);
      const providerKey = built.public_key;
      await lattice.startProvider({ path: built.path, providerKey });
      const actorId = 'MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5';
      await lattice.putLink(defaultLink(actorId, providerKey, 'local:greeter', {}));
      const call = () =>
        lattice.callProvider({
          actorId,
          providerKey,
          contractId: 'local:greeter',
          operation: 'Greeter.Greet',
          msg: encodePayload('wasmCloud'),
        });
      await lattice.waitForLink(providerKey, 'the greeter provider takes the link', call);
      expect(decodePayload(await call())).toBe('Hello, wasmCloud!');
      const ownTest = execFileSync(NODE_24, ['--test', 'test/operations.test.ts'], {
        cwd: dir,
        encoding: 'utf8',
      });
      expect(ownTest).toMatch(/pass 2\b/);
    },
    BUILD_TIMEOUT_MS,
  );

  describe('wash dev on the hello project', () => {
    let dev: ChildProcess | undefined;
    let output = '';

    afterAll(() => {
      if (dev && dev.exitCode === null) dev.kill('SIGKILL');
    });

    it(
      'serves, picks up an edit with no failed request, and keeps serving through a syntax error',
      async () => {
        // The generated package.json installs from the npm registry and wash's package in vendor/:
        // wash dev below runs that package (bundles, no TypeScript), not this checkout.
        execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], {
          cwd: helloDir,
          stdio: 'ignore',
        });
        expect(existsSync(join(helloDir, 'node_modules', '.bin', 'wash'))).toBe(true);
        const installed = join(helloDir, 'node_modules', 'wash');
        expect(lstatSync(installed).isSymbolicLink()).toBe(false);
        expect(existsSync(join(installed, 'dist', 'wash.js'))).toBe(true);
        expect(existsSync(join(installed, 'wash-cli', 'main.ts'))).toBe(false);
        // The package has no templates: wash new says to run it from a checkout.
        const nested = spawnSync(
          NODE_24,
          [join(installed, 'wash-cli', 'wash.js'), '-o', 'json', 'new', 'actor', 'x'],
          {
            cwd: helloDir,
            encoding: 'utf8',
          },
        );
        expect(JSON.parse(nested.stderr)).toMatchObject({ code: 'WASH_NOT_A_CHECKOUT' });
        const port = await freePort();
        const toml = join(helloDir, 'wasmcloud.toml');
        writeFileSync(toml, readFileSync(toml, 'utf8').replaceAll('8080', String(port)));

        dev = spawn(
          NODE_24,
          [
            join(helloDir, 'node_modules', '.bin', 'wash'),
            'dev',
            '-p',
            String(lattice.nats.port),
            '-x',
            lattice.prefix,
          ],
          { cwd: helloDir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        dev.stdout?.on('data', (chunk: Buffer) => {
          output += chunk.toString();
        });
        dev.stderr?.on('data', (chunk: Buffer) => {
          output += chunk.toString();
        });
        const url = `http://127.0.0.1:${port}/`;
        // The watch is in place once wash dev says so; an edit before that would not be seen.
        await eventually(
          () => output.includes(`serving ${url}`) && output.includes('watching for changes'),
          `wash dev serving (output so far:\n${output})`,
          90_000,
        );
        expect(await answer(url)).toBe('Hello from hello!\n');

        // Ask all the time while the edit is rebuilt and loaded: every answer must be a good one.
        const answers: string[] = [];
        const failures: string[] = [];
        let polling = true;
        const poller = (async () => {
          while (polling) {
            try {
              const response = await fetch(url);
              const text = await response.text();
              if (response.ok) answers.push(text);
              else failures.push(`${response.status} ${text}`);
            } catch (error) {
              failures.push(String(error));
            }
            await new Promise((resolve) => setTimeout(resolve, 25));
          }
        })();
        try {
          const source = join(helloDir, 'src', 'actor.ts');
          const good = readFileSync(source, 'utf8');
          writeFileSync(source, good.replace("'Hello from hello'", "'Howdy from hello'"));
          await eventually(() => answers.at(-1) === 'Howdy from hello!\n', 'the edited greeting', 60_000);
          expect(output).toMatch(/rebuilt in [\d.]+ s, updated the actor/);

          const rebuilds = output.split('\n').length;
          writeFileSync(
            source,
            good.replace("const GREETING = 'Hello from hello'", "const GREETING = = 'x'"),
          );
          await eventually(
            () => output.includes('build failed; the last good build keeps running'),
            'the build error',
            60_000,
          );
          expect(
            output
              .split('\n')
              .slice(rebuilds - 1)
              .join('\n'),
          ).toMatch(/src\/actor\.ts:\d+:\d+/);
          const before = answers.length;
          await eventually(() => answers.length > before + 3, 'more answers after the failed build', 10_000);
          expect(answers.at(-1)).toBe('Howdy from hello!\n');
        } finally {
          polling = false;
          await poller;
        }
        expect(failures).toEqual([]);
        expect(new Set(answers)).toEqual(new Set(['Hello from hello!\n', 'Howdy from hello!\n']));

        const exited = new Promise<number | null>((resolve) => dev?.once('exit', (code) => resolve(code)));
        dev.kill('SIGINT');
        expect(await exited).toBe(0);
        expect(output).toContain('Stopped hello');
        // It stopped the actor it started; the lattice's host is still there (wash dev did not start it).
        const client = new ControlClient(lattice.nc, { latticePrefix: lattice.prefix });
        const inventory = await client.getInventory(lattice.host.id);
        expect(inventory.actors.filter((actor) => actor.name === 'hello')).toEqual([]);
      },
      2 * BUILD_TIMEOUT_MS,
    );
  });
});
