// `wash dev` on a provider project (issue 18, item 3: "starts the actor (or provider)"): it builds
// and starts the provider made by `wash new provider`, and on a saved edit rebuilds it and restarts
// it on the host (a provider cannot be updated in place), so the next invocation gets the new
// answer; Ctrl-C stops it. The actor templates' wash dev is tested in project-templates.test.ts.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePayload, encodePayload } from '../../lattice/payload.ts';
import { eventually } from '../helpers/eventually.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';
import { defaultLink, ProviderLattice } from '../helpers/provider-lattice.ts';
import { NODE_24, runWash } from '../helpers/wash.ts';

const WORK = mkdtempSync(join(tmpdir(), 'wash-dev-provider-'));
const env = { WASH_KEYS: join(WORK, 'keys') };
const ACTOR = 'MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5';

let lattice: ProviderLattice;
let dev: ChildProcess | undefined;

beforeAll(async () => {
  lattice = await ProviderLattice.start({ lattice: 'washdevprov', name: 'wash-dev-provider' });
});

afterAll(async () => {
  if (dev && dev.exitCode === null) dev.kill('SIGKILL');
  await lattice?.stop();
  rmSync(WORK, { recursive: true, force: true });
});

describe('wash dev on a provider project', () => {
  it('starts the provider, restarts it with each saved edit, and stops it on Ctrl-C', async () => {
    const created = await runWash(['new', 'provider', 'greeter'], { cwd: WORK, env });
    expect(created.code).toBe(0);
    const dir = join(WORK, 'greeter');
    // What `npm install` gives the project: the wash package, which carries the provider SDK.
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(join(REPO_ROOT, 'wash-cli'), join(dir, 'node_modules', 'wash'));

    let output = '';
    dev = spawn(
      NODE_24,
      [join(REPO_ROOT, 'wash-cli', 'wash.js'), 'dev', '-p', String(lattice.nats.port), '-x', lattice.prefix],
      { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
    };
    dev.stdout?.on('data', collect);
    dev.stderr?.on('data', collect);
    // A failed check carries wash dev's output so far.
    const outputShows = (pattern: RegExp) => () => {
      expect(output).toMatch(pattern);
      return true;
    };
    await eventually(outputShows(/watching for changes/), 'wash dev watching', 120_000);
    const providerKey = /provider greeter running \((V[A-Z0-9]{55})\)/.exec(output)?.[1];
    expect(providerKey, output).toBeDefined();
    const key = providerKey as string;
    await lattice.putLink(defaultLink(ACTOR, key, 'local:greeter', {}));
    const greet = async () =>
      decodePayload(
        await lattice.callProvider({
          actorId: ACTOR,
          providerKey: key,
          contractId: 'local:greeter',
          operation: 'Greeter.Greet',
          msg: encodePayload('wasmCloud'),
          timeoutMs: 2_000,
        }),
      );
    await lattice.waitForLink(key, 'the greeter provider takes the link', greet);
    expect(await greet()).toBe('Hello, wasmCloud!');

    const source = join(dir, 'src', 'operations.ts');
    writeFileSync(source, readFileSync(source, 'utf8').replace('`Hello, ', '`Howdy, '));
    await eventually(outputShows(/rebuilt in [\d.]+ s/), 'the rebuild', 120_000);
    // The restarted provider has the same key and gets its links again from the host.
    await eventually(
      () =>
        greet().then(
          (answer) => answer === 'Howdy, wasmCloud!',
          () => false,
        ),
      'the edited greeting from the restarted provider',
      60_000,
    );

    const exited = new Promise<number | null>((resolve) => dev?.once('exit', (code) => resolve(code)));
    dev.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('Stopped greeter');
    await expect(greet()).rejects.toThrow();
  }, 300_000);
});
