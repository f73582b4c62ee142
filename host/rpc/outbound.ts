// An actor's calls out of its sandbox that reach the main thread, after the runtime has checked its
// claims (protocol.md §3.4): a contract call goes over the link (actor, contract, link name) to the
// provider; an actor call goes to the actor named by key or call alias. A target actor running on this
// host is invoked directly, without crossing NATS; everything else is a signed invocation over NATS.
// Workers route calls themselves once the host has mirrored its routes into them
// (host/runtime/local-calls.ts); this serves a runtime without mirrored routes.

import type { ChunkStore } from '../../lattice/chunking.ts';
import { actorEntity, providerEntity } from '../../lattice/invocation.ts';
import type { InvocationSigner } from '../../lattice/invocation-signer.ts';
import { isPublicKey } from '../../lattice/keys.ts';
import type { NatsConnection } from '../../lattice/nats.ts';
import { sendInvocation } from '../../lattice/rpc.ts';
import type { LatticeSubjects } from '../../lattice/subjects.ts';
import type { LatticeData } from '../lattice-data.ts';
import { type HostCallRequest, noTargetError, notLinkedError } from '../runtime/mod.ts';

export interface OutboundContext {
  nc: NatsConnection;
  subjects: LatticeSubjects;
  signer: InvocationSigner;
  data: LatticeData;
  chunks: ChunkStore;
  rpcTimeoutMs: number;
  /** True when the actor runs on this host (then it is called in place). */
  isLocalActor(actorId: string): boolean;
  invokeLocal(actorId: string, operation: string, payload: Uint8Array): Promise<Uint8Array>;
}

export function outboundCaller(context: OutboundContext): (request: HostCallRequest) => Promise<Uint8Array> {
  const send = (subject: string, request: HostCallRequest, target: ReturnType<typeof actorEntity>) =>
    sendInvocation(
      context.nc,
      subject,
      context.signer.sign({
        origin: actorEntity(request.actorId),
        target,
        operation: request.operation,
        msg: request.payload,
      }),
      { timeoutMs: context.rpcTimeoutMs, chunks: context.chunks },
    );

  return async (request) => {
    if (request.target === 'provider') {
      const link = context.data.linkFor(request.actorId, request.namespace, request.linkName);
      if (!link) throw notLinkedError(request.actorId, request.namespace, request.linkName);
      const target = providerEntity(link.provider_id, link.contract_id, link.link_name);
      return send(context.subjects.rpc.provider(link.provider_id, link.link_name), request, target);
    }
    const actorId = isPublicKey(request.namespace, 'module')
      ? request.namespace
      : context.data.actorByCallAlias(request.namespace);
    if (!actorId) throw noTargetError(request.namespace);
    if (context.isLocalActor(actorId))
      return context.invokeLocal(actorId, request.operation, request.payload);
    return send(context.subjects.rpc.actor(actorId), request, actorEntity(actorId));
  };
}
