// A provider of the test's own behind an actor's wasmcloud:messaging link, that answers each call
// only when the test says so: with the WAT forwarder (wat-forwarder.ts), which forwards every call
// it gets there, it makes a slow actor whose calls the test holds in flight and lets go one by one.
// The answer is an HttpResponse (200, body "done"), so HTTP requests through the actor get it too.

import { KeyPair } from '../../lattice/keys.ts';
import type { Msg } from '../../lattice/nats.ts';
import { encodePayload } from '../../lattice/payload.ts';
import { invocationReply, receiveInvocation } from '../../lattice/rpc.ts';
import type { ProviderLattice } from './provider-lattice.ts';

export interface HeldProvider {
  /** Calls that reached the provider and wait for an answer, oldest first. */
  held: Msg[];
  /** Answers the oldest `count` held calls (all by default). */
  answer(count?: number): Promise<void>;
}

/** Subscribes a held provider and links `actorId` to it (wasmcloud:messaging, link name default). */
export async function linkHeldProvider(lattice: ProviderLattice, actorId: string): Promise<HeldProvider> {
  const held: Msg[] = [];
  const providerKey = KeyPair.create('service').publicKey;
  lattice.nc.subscribe(lattice.subjects.rpc.provider(providerKey, 'default'), {
    callback: (_error, msg) => held.push(msg),
  });
  await lattice.nc.flush();
  await lattice.putLink({
    actor_id: actorId,
    provider_id: providerKey,
    contract_id: 'wasmcloud:messaging',
    link_name: 'default',
    values: {},
  });
  const body = new TextEncoder().encode('done');
  return {
    held,
    answer: async (count = held.length) => {
      for (const msg of held.splice(0, count)) {
        const invocation = await receiveInvocation(msg.data, undefined);
        const reply = encodePayload({ statusCode: 200, header: {}, body });
        msg.respond(await invocationReply(invocation.id, reply, undefined));
      }
    },
  };
}
