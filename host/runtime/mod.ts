// The actor runtime's public API, for the host process.

export {
  ActorLoadError,
  INVOCATION_ERROR_CODES,
  type InvocationErrorCode,
  InvocationFailedError,
} from './errors.ts';
export {
  CallNotRoutedError,
  noTargetError,
  notLinkedError,
  type RouteChange,
  type RouteLink,
} from './route-table.ts';
export { ActorRuntime, DEFAULT_INVOCATION_TIMEOUT_MS, DEFAULT_MAX_MEMORY_BYTES } from './runtime.ts';
export type {
  ActorLogEntry,
  HostCall,
  HostCallRequest,
  LoadedActor,
  LoadOptions,
  RunawayReport,
  RuntimeOptions,
  UnansweredCall,
} from './types.ts';
