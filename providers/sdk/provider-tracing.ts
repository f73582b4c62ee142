// A provider process's traces: started from its environment, which the host fills with the
// telemetry variables it was given itself (host/providers/process-launch.ts, TELEMETRY_VARIABLES),
// so a provider exports where its host does. Its spans are the SERVER span of each invocation it
// answers (lattice/rpc.ts) and, for the httpserver, each request's (lattice/httpserver/); its calls
// to actors carry the current context on. Values the host would have refused cannot come from it;
// should one be unusable anyway the provider runs without traces and says why.

import { errorFields, errorMessage } from '../../lattice/errors.ts';
import type { HostData } from '../../lattice/host-data.ts';
import type { Logger } from '../../lattice/log.ts';
import { readTelemetrySettings, type TelemetryEnvironment } from '../../lattice/telemetry/settings.ts';
import { startTracing, type Tracing } from '../../lattice/telemetry/tracing.ts';

let running: Tracing | undefined;

/** Starts this process's tracer (or the carrying of incoming trace context) from `env`. */
export async function startProviderTracing(
  hostData: Pick<HostData, 'provider_key' | 'link_name' | 'host_id' | 'lattice_rpc_prefix'>,
  log: Logger,
  env: TelemetryEnvironment = process.env,
): Promise<void> {
  try {
    running = await startTracing(readTelemetrySettings(env), {
      serviceName: 'wasmcloud-provider',
      attributes: {
        'wasmcloud.provider.id': hostData.provider_key,
        'wasmcloud.link_name': hostData.link_name,
        'host.id': hostData.host_id,
        lattice: hostData.lattice_rpc_prefix,
      },
      log,
    });
  } catch (error) {
    log.warn(`traces are off: ${errorMessage(error)}`, errorFields(error));
  }
}

/** Sends the spans still held and stops recording (at shutdown). */
export async function stopProviderTracing(): Promise<void> {
  await running?.shutdown();
  running = undefined;
}
