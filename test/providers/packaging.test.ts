// Packaging a TypeScript provider: one self-contained ES module in a signed js-node archive.

import { rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KeyPair } from '../../lattice/keys.ts';
import { binaryHash, readProviderArchive } from '../../lattice/provider-archive.ts';
import { buildJsProviderArchive, bundleJsProvider } from '../../providers/packaging/mod.ts';
import { PROBE_SOURCE, tempDir } from '../fixtures/providers/provider-test-kit.ts';

const dir = tempDir('packaging');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('buildJsProviderArchive', () => {
  it('writes a signed archive whose js-node binary is the bundle, with the given claims', async () => {
    const issuer = KeyPair.create('account');
    const subject = KeyPair.create('service');
    const built = await buildJsProviderArchive({
      entry: PROBE_SOURCE,
      capabilityId: 'wasmcloud:probe',
      name: 'Probe',
      vendor: 'acme',
      version: '1.2.3',
      revision: 7,
      issuer: issuer.seed,
      subject,
      out: join(dir, 'nested', 'probe.par'),
    });
    expect(built.providerKey).toBe(subject.publicKey);
    const archive = await readProviderArchive(built.archive);
    expect([...archive.targets.keys()]).toEqual(['js-node']);
    expect(archive.claims).toMatchObject({
      iss: issuer.publicKey,
      sub: subject.publicKey,
      wascap: { capid: 'wasmcloud:probe', name: 'Probe', vendor: 'acme', ver: '1.2.3', rev: 7 },
    });
    const bundle = archive.targets.get('js-node')!;
    expect(archive.claims.wascap.target_hashes).toEqual({ 'js-node': binaryHash(bundle) });
    expect(bundle.length).toBe(built.bundleSize);
    // Only built-ins stay imported: every static import names node:… or a bare built-in.
    const text = new TextDecoder().decode(bundle);
    const imported = [...text.matchAll(/^import .* from ['"]([^'"]+)['"];?$/gm)].map((match) => match[1]);
    expect(imported.length).toBeGreaterThan(0);
    // (The OpenTelemetry packages a provider now bundles import `util` without the prefix.)
    for (const specifier of imported) expect(isBuiltin(specifier!), specifier).toBe(true);
  });

  it('refuses a seed of the wrong kind for the subject', async () => {
    await expect(
      buildJsProviderArchive({
        entry: PROBE_SOURCE,
        capabilityId: 'wasmcloud:probe',
        name: 'Probe',
        vendor: 'acme',
        issuer: KeyPair.create('account'),
        subject: KeyPair.create('module').seed,
        out: join(dir, 'never.par'),
      }),
    ).rejects.toThrow(/the subject must be a service seed/);
  });
});

describe('bundleJsProvider', () => {
  it('says which file and import failed when the entry cannot be bundled', async () => {
    const entry = join(dir, 'broken.ts');
    writeFileSync(entry, "import { nothing } from 'no-such-package-anywhere';\nconsole.log(nothing);\n");
    await expect(bundleJsProvider(entry)).rejects.toMatchObject({
      code: 'BUNDLE_FAILED',
      message: expect.stringMatching(/cannot bundle provider .*broken\.ts: .*no-such-package-anywhere/),
    });
  });
});
