// The provider SDK: what every capability provider process uses to join a lattice (protocol.md §6).
// A provider calls `startProvider` with its operation handlers and hooks; the SDK reads HostData
// from stdin, connects, holds the links, validates and answers invocations, answers health checks
// and shutdown requests, and calls actors back. See docs/providers.md.

export { CHUNK_THRESHOLD_BYTES } from '../../lattice/chunking.ts';
export { createLogger, type Logger, type LoggerOptions } from '../../lattice/log.ts';
export { decodePayload, encodePayload } from '../../lattice/payload.ts';
export { ActorCallError, type CallActorOptions } from './actor-client.ts';
export { HostDataInputError, readHostData } from './host-data-input.ts';
export { latticeConnectionSettings } from './lattice-connection.ts';
export {
  ProviderStartupError,
  type StartProviderOptions,
  startProvider,
} from './provider-runtime.ts';
export type {
  HealthStatus,
  InvocationContext,
  OperationHandler,
  Provider,
  ProviderDefinition,
} from './provider-types.ts';
