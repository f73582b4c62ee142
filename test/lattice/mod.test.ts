import { describe, expect, it } from 'vitest';
import * as lattice from '../../lattice/mod.ts';

describe('lattice/mod.ts', () => {
  it('exposes the library without name clashes between its files', () => {
    // `export *` silently drops names two files both export; check the main ones made it through.
    for (const name of [
      'KeyPair',
      'signActorClaims',
      'verifySignedWasm',
      'encodeInvocation',
      'InvocationSigner',
      'validateInvocation',
      'readProviderArchive',
      'latticeSubjects',
      'parseJsonMessage',
      'parseCloudEvent',
      'decodeHostDataLine',
      'linkDefinitionId',
      'MsgpackReader',
    ]) {
      expect(lattice, name).toHaveProperty(name);
    }
  });
});
