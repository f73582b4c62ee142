// The refusal for a missing capability claim, said by the host (an actor's call out, a provider's
// call in) and found again in whatever error text carries it across the lattice.

import { describe, expect, it } from 'vitest';
import { missingCapability } from '../../host/runtime/actor-context.ts';
import { actorEntity, providerEntity } from '../../lattice/invocation.ts';
import { InvocationSigner } from '../../lattice/invocation-signer.ts';
import { checkActorCapability } from '../../lattice/invocation-validation.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { findMissingCapability } from '../../lattice/missing-capability.ts';
import { ACTOR, PROVIDER } from '../helpers/keys.ts';

function providerCallRefusal(contract: string): string {
  const invocation = new InvocationSigner(KeyPair.create('cluster'), 'N'.padEnd(56, 'A')).sign({
    origin: providerEntity(PROVIDER, contract, 'default'),
    target: actorEntity(ACTOR),
    operation: 'HttpServer.HandleRequest',
    msg: new Uint8Array(),
  });
  try {
    checkActorCapability(invocation, ['wasmcloud:keyvalue']);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the call was not refused');
}

describe('findMissingCapability', () => {
  it("finds what an actor's refused call out names, inside the actor's own error", () => {
    const refusal = missingCapability(ACTOR, 'wasmcloud:keyvalue').message;
    expect(
      findMissingCapability(`actor ${ACTOR} failed HttpServer.HandleRequest: kvcounter: ${refusal}`),
    ).toEqual({
      actorId: ACTOR,
      contract: 'wasmcloud:keyvalue',
    });
  });

  it("finds what a provider's refused call in names", () => {
    expect(findMissingCapability(providerCallRefusal('wasmcloud:httpserver'))).toEqual({
      actorId: ACTOR,
      contract: 'wasmcloud:httpserver',
    });
  });

  it('takes contract IDs of several words, and not the end of a sentence', () => {
    const text = `actor ${ACTOR} is missing capability claim for wasmcloud:builtin:logging.`;
    expect(findMissingCapability(text)?.contract).toBe('wasmcloud:builtin:logging');
  });

  it('finds nothing in other errors, or where the key or the contract ID is not one', () => {
    expect(findMissingCapability(`actor ${ACTOR} failed: missing link definition`)).toBeUndefined();
    expect(findMissingCapability(`actor ${ACTOR} is missing capability claim for <script>`)).toBeUndefined();
    expect(findMissingCapability(`actor ${ACTOR} is missing capability claim for keyvalue`)).toBeUndefined();
    expect(findMissingCapability(`actor ${PROVIDER} is missing capability claim for a:b`)).toBeUndefined();
  });
});
