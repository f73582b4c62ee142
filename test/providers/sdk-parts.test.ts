// The SDK's small parts on their own: shutdown request bodies and the link table (the provider's
// log is lattice/log.ts, tested in test/lattice/log.test.ts).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCredsFile } from '../../host/providers/creds-file.ts';
import { KeyPair } from '../../lattice/keys.ts';
import type { LinkDefinition } from '../../lattice/link-definition.ts';
import { createLogger } from '../../lattice/log.ts';
import { LinkTable } from '../../providers/sdk/link-table.ts';
import { shutdownDecision } from '../../providers/sdk/shutdown-request.ts';
import { tempDir, testLink } from '../fixtures/providers/provider-test-kit.ts';

const HOST = KeyPair.create('server').publicKey;
const bytes = (text: string) => new TextEncoder().encode(text);

describe('shutdownDecision', () => {
  it('obeys an empty body, a JSON empty string, an object without host_id, and its own host', () => {
    expect(shutdownDecision(new Uint8Array(), HOST)).toEqual({ act: true });
    expect(shutdownDecision(bytes('""'), HOST)).toEqual({ act: true });
    expect(shutdownDecision(bytes('{}'), HOST)).toEqual({ act: true });
    expect(shutdownDecision(bytes(JSON.stringify({ host_id: HOST })), HOST)).toEqual({ act: true });
  });

  it('ignores another host and bodies it cannot read', () => {
    const other = KeyPair.create('server').publicKey;
    expect(shutdownDecision(bytes(JSON.stringify({ host_id: other })), HOST)).toEqual({
      act: false,
      reason: `it is for the provider of host ${other}, this is host ${HOST}'s`,
    });
    expect(shutdownDecision(bytes('stop!'), HOST).act).toBe(false);
    expect(shutdownDecision(bytes('{"host_id":5}'), HOST)).toMatchObject({
      act: false,
      reason: expect.stringContaining('invalid shutdown request: host_id'),
    });
  });
});

describe('LinkTable', () => {
  const provider = KeyPair.create('service').publicKey;
  const silent = createLogger({ label: { field: 'provider', value: provider }, write: () => undefined });

  it('runs hooks once per change, in order, and replaces a link whose values changed', async () => {
    const calls: string[] = [];
    const table = new LinkTable(
      provider,
      'default',
      {
        put: async (link) => {
          // A slow hook on purpose (the subject of the test): later changes must wait for it.
          await new Promise((resolve) => setTimeout(resolve, 5));
          calls.push(`put ${link.values.v}`);
        },
        del: (link) => void calls.push(`del ${link.values.v}`),
      },
      silent,
    );
    const actor = KeyPair.create('module').publicKey;
    void table.put(testLink(actor, provider, { v: '1' }));
    void table.put(testLink(actor, provider, { v: '1' }));
    void table.put(testLink(actor, provider, { v: '2' }));
    await table.del(testLink(actor, provider));
    expect(calls).toEqual(['put 1', 'del 1', 'put 2', 'del 2']);
    expect(table.has(actor)).toBe(false);
  });

  it('does not keep a link its hook refused, nor one for another provider', async () => {
    const table = new LinkTable(
      provider,
      'default',
      {
        put: (link: LinkDefinition) => {
          if (link.values.bad) throw new Error('bad link');
        },
        del: () => undefined,
      },
      silent,
    );
    const actor = KeyPair.create('module').publicKey;
    await table.put(testLink(actor, provider, { bad: 'yes' }));
    await table.put(testLink(actor, KeyPair.create('service').publicKey));
    expect(table.all()).toEqual([]);
    await table.put(testLink(actor, provider));
    expect(table.all()).toEqual([testLink(actor, provider)]);
  });
});

describe('readCredsFile', () => {
  it('reads the JWT and seed blocks of a creds file, and names a file without them', () => {
    const dir = tempDir('creds');
    const path = join(dir, 'user.creds');
    writeFileSync(
      path,
      '-----BEGIN NATS USER JWT-----\neyJhbGc.payload.sig\n------END NATS USER JWT------\n\n' +
        '************************* IMPORTANT *************************\n' +
        '-----BEGIN USER NKEY SEED-----\nSUAEXAMPLESEED\n------END USER NKEY SEED------\n',
    );
    expect(readCredsFile(path)).toEqual({ jwt: 'eyJhbGc.payload.sig', seed: 'SUAEXAMPLESEED' });
    writeFileSync(path, 'nothing here');
    expect(() => readCredsFile(path)).toThrow(
      `the NATS creds file ${path} does not hold a user JWT and a user seed`,
    );
  });
});
