// The provider's operation handlers: the contract's operations (lattice/keyvalue/operations.ts,
// shared with the host's built-in keyvalue) on the calling actor's bucket.

import type { BucketStore } from '../../lattice/keyvalue/bucket-store.ts';
import { KEYVALUE_OPERATIONS, keyValueOperation } from '../../lattice/keyvalue/operations.ts';
import type { OperationHandler } from '../sdk/mod.ts';

/** The store of the actor making the call. */
export type StoreFor = (actorId: string) => BucketStore;

/** The operation handlers, `KeyValue.{Operation}`; an error names the operation. */
export function keyValueOperations(storeFor: StoreFor): Record<string, OperationHandler> {
  const operations: Record<string, OperationHandler> = {};
  for (const operation of KEYVALUE_OPERATIONS) {
    const run = keyValueOperation(operation);
    if (run !== undefined) operations[operation] = (payload, { actorId }) => run(payload, storeFor(actorId));
  }
  return operations;
}
