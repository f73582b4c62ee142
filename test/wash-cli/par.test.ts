// Runs the real `wash par` CLI as a child process, with its keys in a temp dir (never ~/.wash).

import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyPair } from '../../lattice/keys.ts';
import { JS_PROVIDER_TARGET, nativeTarget } from '../../lattice/provider-archive.ts';
import { expectOneLineError, runWash, type WashRun } from '../helpers/wash.ts';

let dir: string;
let keysDir: string;

function wash(...args: string[]): Promise<WashRun> {
  return runWash(args, { env: { WASH_KEYS: keysDir, HOME: dir, USER: 'tester' }, cwd: dir });
}

const BUNDLE = 'export default async function main() { return "hello"; }\n';

async function createJsArchive(...extra: string[]): Promise<WashRun> {
  await writeFile(join(dir, 'provider.mjs'), BUNDLE);
  return wash(
    'par',
    'create',
    '-c',
    'wasmcloud:testing',
    '-n',
    'My Provider',
    '-v',
    'Acme',
    '-b',
    'provider.mjs',
    '-a',
    JS_PROVIDER_TARGET,
    ...extra,
  );
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wash-par-'));
  keysDir = join(dir, 'keys');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('wash par create', () => {
  it('writes a gzipped archive named after the provider and generates its keys', async () => {
    const run = await createJsArchive('--version', '1.2.3', '--revision', '7', '--compress');
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe('Successfully created my_provider.par.gz');
    const bytes = await readFile(join(dir, 'my_provider.par.gz'));
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    expect(existsSync(join(keysDir, 'tester_account.nk'))).toBe(true);
    expect(existsSync(join(keysDir, 'my_provider_service.nk'))).toBe(true);
  });

  it('answers JSON and defaults to the native target and an uncompressed .par', async () => {
    await writeFile(join(dir, 'provider.bin'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]));
    const run = await wash(
      '-o',
      'json',
      'par',
      'create',
      '--capid',
      'wasmcloud:testing',
      '--name',
      'native',
      '--vendor',
      'Acme',
      '--binary',
      'provider.bin',
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ result: 'success', file: 'native.par', success: true });
    const inspected = JSON.parse((await wash('par', 'inspect', 'native.par', '-o', 'json')).stdout);
    expect(inspected.targets).toEqual([nativeTarget()]);
    expect(inspected.version).toBeNull();
    expect(inspected.revision).toBeNull();
  });

  it('signs with the given seeds and writes to the given destination', async () => {
    const issuer = KeyPair.create('account');
    const subject = KeyPair.create('service');
    await writeFile(join(dir, 'issuer.nk'), `${issuer.seed}\n`);
    const run = await createJsArchive(
      '-i',
      'issuer.nk',
      '-s',
      subject.seed,
      '-d',
      'out.par',
      '--disable-keygen',
    );
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe('Successfully created out.par');
    const inspected = JSON.parse((await wash('-o', 'json', 'par', 'inspect', 'out.par')).stdout);
    expect(inspected.issuer).toBe(issuer.publicKey);
    expect(inspected.public_key).toBe(subject.publicKey);
  });

  it('rejects a revision that is not a whole number', async () => {
    expectOneLineError(await createJsArchive('--revision', '1.5'), /--revision.*"1\.5"/);
  });

  it('requires the capability contract, name, vendor and binary', async () => {
    const run = await wash('par', 'create', '-n', 'x', '-v', 'Acme', '-b', 'provider.mjs');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--capid/);
  });

  it('fails clearly when the binary does not exist', async () => {
    const run = await wash(
      'par',
      'create',
      '-c',
      'wasmcloud:testing',
      '-n',
      'x',
      '-v',
      'Acme',
      '-b',
      'nope.bin',
    );
    expectOneLineError(run, /nope\.bin does not exist/);
  });

  it('fails clearly when keys are missing and key generation is disabled', async () => {
    expectOneLineError(await createJsArchive('--disable-keygen'), /key generation is disabled/);
  });

  it('refuses a target that is not a plain name', async () => {
    await writeFile(join(dir, 'provider.mjs'), BUNDLE);
    const run = await wash(
      'par',
      'create',
      '-c',
      'c',
      '-n',
      'x',
      '-v',
      'Acme',
      '-b',
      'provider.mjs',
      '-a',
      '../x',
    );
    expectOneLineError(run, /not a valid target/);
  });
});

describe('wash par inspect', () => {
  it('shows the claims as a table and says they verify', async () => {
    await createJsArchive('--version', '1.2.3', '--revision', '7', '--compress');
    const subject = KeyPair.fromSeed(await readFile(join(keysDir, 'my_provider_service.nk'), 'utf8'));
    const issuer = KeyPair.fromSeed(await readFile(join(keysDir, 'tester_account.nk'), 'utf8'));
    const run = await wash('par', 'inspect', 'my_provider.par.gz');
    expect(run.code).toBe(0);
    const rows = [
      ['Name', 'My Provider'],
      ['Public Key', subject.publicKey],
      ['Capability Contract ID', 'wasmcloud:testing'],
      ['Vendor', 'Acme'],
      ['Version', '1.2.3'],
      ['Revision', '7'],
      ['Issuer', issuer.publicKey],
      ['Architectures', JS_PROVIDER_TARGET],
    ];
    for (const [label, value] of rows) expect(run.stdout).toMatch(new RegExp(`^${label}\\s+${value}$`, 'm'));
    expect(run.stdout).toMatch(/verified/i);
  });

  it('answers JSON', async () => {
    await createJsArchive('--version', '1.2.3', '--revision', '7');
    const run = await wash('par', 'inspect', 'my_provider.par', '-o', 'json');
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json).toMatchObject({
      name: 'My Provider',
      capability_contract_id: 'wasmcloud:testing',
      vendor: 'Acme',
      version: '1.2.3',
      revision: 7,
      targets: [JS_PROVIDER_TARGET],
      success: true,
    });
    expect(json.public_key).toMatch(/^V[A-Z2-7]{55}$/);
    expect(json.issuer).toMatch(/^A[A-Z2-7]{55}$/);
  });

  it('fails with one line when the archive does not exist', async () => {
    expectOneLineError(await wash('par', 'inspect', 'missing.par.gz'), /missing\.par\.gz does not exist/);
  });

  it('fails when a binary was changed after signing', async () => {
    await createJsArchive();
    const path = join(dir, 'my_provider.par');
    const bytes = await readFile(path);
    const at = bytes.indexOf(Buffer.from('hello'));
    expect(at).toBeGreaterThan(0);
    bytes[at] = 'j'.charCodeAt(0);
    await writeFile(path, bytes);
    expectOneLineError(await wash('par', 'inspect', 'my_provider.par'), /js-node.*changed since/);
  });

  it('fails when the file is not an archive, with a JSON error under -o json', async () => {
    await writeFile(join(dir, 'junk.par'), 'this is not a provider archive at all');
    expectOneLineError(await wash('par', 'inspect', 'junk.par'), /neither a tar nor gzip/);
    const run = await wash('-o', 'json', 'par', 'inspect', 'junk.par');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stderr)).toEqual({
      success: false,
      code: 'PAR_NOT_AN_ARCHIVE',
      error: expect.stringMatching(/not a provider archive/),
    });
  });
});
