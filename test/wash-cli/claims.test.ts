import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KeyPair } from '../../lattice/keys.ts';
import { createProviderArchive, JS_PROVIDER_TARGET } from '../../lattice/provider-archive.ts';
import { moduleHash } from '../../lattice/wasm.ts';
import { sign2022ForTest, tamperDataByte, unsignedActor } from '../helpers/actors.ts';
import { CLAIMS_FIXTURES, claimsFixtures } from '../helpers/fixtures.ts';
import { expectOneLineError, runWash } from '../helpers/wash.ts';
import { ANSWER_MODULE, EMPTY_COMPONENT, runAnswer } from '../helpers/wasm-fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'wash-claims-'));
const env = { WASH_KEYS: join(dir, 'keys'), USER: 'tester' };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe('wash claims sign + inspect', () => {
  it('round-trips a core module, creating keys on first use and reusing them after', async () => {
    const source = file('answer.wasm', ANSWER_MODULE);
    const signed = await runWash(
      [
        'claims',
        'sign',
        source,
        '-n',
        'Answer',
        '-q',
        '-k',
        '-c',
        'cosmonic:kubernetes_applier',
        '-v',
        '1.2.3',
        '-r',
        '7',
        '-a',
        'demo/answer',
        '-t',
        'demo',
      ],
      { env },
    );
    expect(signed.stderr).toContain(`No account key found at ${join(dir, 'keys', 'tester_account.nk')}`);
    expect(signed.stderr).toContain(`No module key found at ${join(dir, 'keys', 'answer_module.nk')}`);
    expect(signed.code).toBe(0);
    expect(signed.stdout).toContain(`Successfully signed ${join(dir, 'answer_s.wasm')}`);
    expect(runAnswer(readFileSync(join(dir, 'answer_s.wasm')))).toBe(42);

    const inspected = await runWash(['claims', 'inspect', join(dir, 'answer_s.wasm'), '-o', 'json'], { env });
    expect(inspected.code).toBe(0);
    const json = JSON.parse(inspected.stdout);
    const moduleKey = KeyPair.fromSeed(readFileSync(join(dir, 'keys', 'answer_module.nk'), 'utf8')).publicKey;
    const accountKey = KeyPair.fromSeed(
      readFileSync(join(dir, 'keys', 'tester_account.nk'), 'utf8'),
    ).publicKey;
    expect(json).toMatchObject({
      success: true,
      valid: true,
      kind: 'module',
      module: moduleKey,
      account: accountKey,
      name: 'Answer',
      version: '1.2.3',
      revision: 7,
      call_alias: 'demo/answer',
      capabilities: ['wasmcloud:keyvalue', 'wasmcloud:httpserver', 'cosmonic:kubernetes_applier'],
      tags: ['demo'],
      hash_matches: true,
    });

    // Signing again reuses the same keys: same subject, no new-key notes.
    const again = await runWash(['claims', 'sign', source, '-n', 'Answer', '-d', join(dir, 'again.wasm')], {
      env,
    });
    expect(again.stderr).not.toContain('No module key');
    const text = await runWash(['claims', 'inspect', join(dir, 'again.wasm')], { env });
    expect(text.stdout).toContain(`Module       ${moduleKey}`);
    expect(text.stdout).toContain('Verified: signature, validity period and module hash.');
  });

  it('round-trips a component with explicit seeds', async () => {
    const account = KeyPair.create('account');
    const moduleSeedFile = file('module.nk', KeyPair.create('module').seed);
    const source = file('comp.wasm', EMPTY_COMPONENT);
    const signed = await runWash(
      [
        'claims',
        'sign',
        source,
        '-n',
        'Comp',
        '-i',
        account.seed,
        '-s',
        moduleSeedFile,
        '--disable-keygen',
        '-o',
        'json',
      ],
      { env },
    );
    expect(signed.code).toBe(0);
    expect(JSON.parse(signed.stdout)).toMatchObject({
      result: 'success',
      kind: 'component',
      account: account.publicKey,
    });
    const inspected = await runWash(['claims', 'inspect', join(dir, 'comp_s.wasm')], { env });
    expect(inspected.stdout).toMatch(/^Comp - Component/);
    expect(inspected.stdout).toContain(account.publicKey);
  });

  it.each(claimsFixtures())(
    'reports the 2022 token $file as valid, with subject, issuer, capabilities and hash',
    async (fixture) => {
      const result = await runWash(['claims', 'inspect', join(CLAIMS_FIXTURES, fixture.file), '-o', 'json']);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({
        valid: true,
        module: fixture.subject,
        account: fixture.issuer,
        name: fixture.name,
        capabilities: fixture.caps,
        hash: fixture.module_hash,
        call_alias: fixture.call_alias ?? '',
      });
    },
  );

  it('refuses tampered, unsigned, expired, not-yet-valid and non-wasm files with one line and exit 1', async () => {
    const source = file('t.wasm', ANSWER_MODULE);
    await runWash(['claims', 'sign', source, '-n', 'T', '-d', join(dir, 't_s.wasm')], { env });
    const tampered = readFileSync(join(dir, 't_s.wasm'));
    tampered[ANSWER_MODULE.length - 1]! ^= 0x40;
    const cases: Array<[string, RegExp]> = [
      [file('tampered.wasm', tampered), /has been changed since it was signed/],
      [source, /no claims found in this module/],
      [file('notwasm.wasm', 'hello world, not wasm at all'), /is not a WebAssembly module or component/],
      [file('truncated.wasm', tampered.subarray(0, 20)), /truncated WebAssembly/],
      [join(dir, 'missing.wasm'), /ENOENT|no such file/],
    ];
    const expired = await runWash(
      ['claims', 'sign', source, '-n', 'T', '-x', '0', '-d', join(dir, 'expired.wasm')],
      { env },
    );
    expect(expired.code).toBe(0);
    cases.push([join(dir, 'expired.wasm'), /claims token expired at/]);
    await runWash(['claims', 'sign', source, '-n', 'T', '-b', '2', '-d', join(dir, 'later.wasm')], { env });
    cases.push([join(dir, 'later.wasm'), /not valid before/]);
    for (const [path, message] of cases) {
      expectOneLineError(await runWash(['claims', 'inspect', path], { env }), message);
    }
    const json = await runWash(['claims', 'inspect', join(dir, 'tampered.wasm'), '-o', 'json'], { env });
    expect(JSON.parse(json.stderr)).toMatchObject({
      success: false,
      error: expect.stringMatching(/changed since it was signed/),
    });
  });

  it('refuses an edited 2022-signed echo (no wascap revision): both hashes named, exit 1, a code under -o json', async () => {
    const signed = sign2022ForTest(unsignedActor('wasmbus-echo'), { name: 'Echo' });
    const original = await runWash(['claims', 'inspect', file('echo2022_s.wasm', signed.bytes)]);
    expect(original.code).toBe(0);
    expect(original.stdout).toContain('Verified: signature, validity period and module hash.');
    const tampered = tamperDataByte(signed.bytes);
    const path = file('echo2022_tampered.wasm', tampered);
    const recorded = moduleHash(signed.bytes);
    const actual = moduleHash(tampered);
    expectOneLineError(
      await runWash(['claims', 'inspect', path]),
      new RegExp(
        `the module has been changed since it was signed: its hash is ${actual}, the claims say ${recorded}`,
      ),
    );
    const json = await runWash(['claims', 'inspect', path, '-o', 'json']);
    expect(json.code).toBe(1);
    expect(json.stdout).toBe('');
    expect(JSON.parse(json.stderr)).toEqual({
      success: false,
      code: 'CLAIMS_HASH_MISMATCH',
      error: expect.stringContaining(`its hash is ${actual}, the claims say ${recorded}`),
    });
  });

  it('explains bad arguments', async () => {
    const noName = await runWash(['claims', 'sign', join(dir, 'x.wasm')], { env });
    expect(noName.code).toBe(1);
    expect(noName.stderr).toMatch(/required option '-n, --name <name>'/);
    const badRev = await runWash(['claims', 'sign', file('r.wasm', ANSWER_MODULE), '-n', 'R', '-r', 'two'], {
      env,
    });
    expect(badRev.stderr).toMatch(/--rev takes a whole number, not "two"/);
    const badSeed = await runWash(
      ['claims', 'sign', file('s.wasm', ANSWER_MODULE), '-n', 'S', '-i', KeyPair.create('module').seed],
      { env },
    );
    expect(badSeed.stderr).toMatch(/not a account seed|expected account/);
  });
});

describe('wash claims inspect on provider archives', () => {
  it('shows and verifies the claims of a PAR, and refuses one with a tampered binary', async () => {
    const { bytes } = await createProviderArchive({
      metadata: {
        name: 'HTTP Server',
        capid: 'wasmcloud:httpserver',
        vendor: 'wasmcloud-ts',
        ver: '0.1.0',
        rev: 2,
      },
      binaries: new Map([[JS_PROVIDER_TARGET, Buffer.from('export {};')]]),
      issuer: KeyPair.create('account'),
      subject: KeyPair.create('service'),
      compress: true,
    });
    const result = await runWash(['claims', 'inspect', file('http.par.gz', bytes), '-o', 'json'], { env });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      kind: 'provider archive',
      valid: true,
      name: 'HTTP Server',
      capability_contract_id: 'wasmcloud:httpserver',
      vendor: 'wasmcloud-ts',
      targets: [JS_PROVIDER_TARGET],
    });
    const { bytes: plain } = await createProviderArchive({
      metadata: { capid: 'wasmcloud:httpserver', vendor: 'v' },
      binaries: new Map([[JS_PROVIDER_TARGET, Buffer.from('export const a = 1;')]]),
      issuer: KeyPair.create('account'),
      subject: KeyPair.create('service'),
    });
    const tampered = Buffer.from(plain);
    tampered[tampered.indexOf('a = 1')] = 'b'.charCodeAt(0);
    expectOneLineError(await runWash(['claims', 'inspect', file('bad.par', tampered)], { env }), /js-node/);
  });
});

describe('wash keys gen', () => {
  it('prints a key pair of each kind as text and JSON', async () => {
    for (const kind of ['account', 'module', 'service', 'server', 'cluster']) {
      const result = await runWash(['keys', 'gen', kind, '-o', 'json']);
      const { public_key, seed } = JSON.parse(result.stdout);
      expect(KeyPair.fromSeed(seed).publicKey).toBe(public_key);
      expect(KeyPair.fromSeed(seed).kind).toBe(kind);
    }
    const text = await runWash(['keys', 'gen', 'cluster']);
    expect(text.stdout).toMatch(/^Public Key: C[A-Z2-7]{55}\nSeed: SC[A-Z2-7]{56}\n/);
    const bad = await runWash(['keys', 'gen', 'wizard']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/unknown key kind "wizard"/);
  });
});
