// The host's provider supervisor: capability providers as child processes (protocol.md §6).

export { ProviderStartError } from './provider-start-error.ts';
export type {
  ProviderHostContext,
  RestartPolicy,
  RunningProvider,
  StartProviderRequest,
} from './provider-types.ts';
export { DEFAULT_RESTART_POLICY } from './restart-backoff.ts';
export { ProviderSupervisor } from './supervisor.ts';
