// Traces of one isolate (a provider process, each worker thread of a host): a tracer provider
// started from the telemetry settings (settings.ts; the SDK itself in tracer-provider.ts, loaded
// only when traces are on). The current span travels through awaits by
// AsyncLocalStorage (the SDK's context manager), registered even when traces are off, so a
// `traceparent` that came in is passed along unchanged by a process that records nothing.
// While traces are off, `activeTracer()` is undefined and callers make no span at all.

import { context, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { setLogCorrelation } from '../log.ts';
import type { ExportWarningLog } from './export-warnings.ts';
import type { TelemetrySettings } from './settings.ts';
import { currentTraceIds } from './trace-context.ts';

/** The instrumentation scope of every span the lattice's code makes. */
export const TRACER_NAME = 'wasmcloud';

let tracer: Tracer | undefined;
let running: TracerProvider | undefined;
let contextManagerRegistered = false;

/** The tracer to make spans with; undefined while traces are off (then make none). */
export function activeTracer(): Tracer | undefined {
  return tracer;
}

/** Lets the current context follow awaits in this isolate (once; other registrations are kept). */
export function carryTraceContext(): void {
  if (contextManagerRegistered) return;
  contextManagerRegistered = true;
  const manager = new AsyncLocalStorageContextManager();
  // false when something else registered one first: then that one carries the context.
  if (!context.setGlobalContextManager(manager.enable())) manager.disable();
}

export interface TracingOptions {
  /** service.name unless OTEL_SERVICE_NAME is set (`wasmcloud-host`, a provider's name). */
  serviceName: string;
  /** Resource attributes only the caller knows (host.id, host.friendly_name, …). */
  attributes?: Readonly<Record<string, string>> | undefined;
  /** Where an unreachable exporter is reported. */
  log: ExportWarningLog;
  /** Spans go here instead of OTLP (tests). */
  exporter?: SpanExporter | undefined;
}

export interface Tracing {
  /** Spans are recorded (traces are on in the settings). */
  readonly enabled: boolean;
  /** Sends the spans finished so far. */
  flush(): Promise<void>;
  /** Sends them and stops recording. */
  shutdown(): Promise<void>;
}

const OFF: Tracing = { enabled: false, flush: async () => {}, shutdown: async () => {} };

/**
 * Starts recording spans in this isolate as `settings` say (replacing an earlier start), or, with
 * traces off, only carries incoming trace context along. The SDK and its OTLP exporter (several MB
 * per isolate, and the metrics SDK through the OTLP transformer) are loaded only when traces are on.
 */
export async function startTracing(settings: TelemetrySettings, options: TracingOptions): Promise<Tracing> {
  carryTraceContext();
  const url = settings.traces.otlpUrl;
  if (!settings.traces.enabled || url === undefined) return OFF;
  const { createTracerProvider } = await import('./tracer-provider.ts');
  const provider = createTracerProvider(settings, url, options);
  const previous = running;
  running = provider;
  tracer = provider.getTracer(TRACER_NAME);
  setLogCorrelation(currentTraceIds);
  // The provider replaced still sends what it holds; a failure there was warned about already.
  void previous?.shutdown().catch(() => undefined);
  return {
    enabled: true,
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      if (running === provider) {
        running = undefined;
        tracer = undefined;
        setLogCorrelation(undefined);
      }
      await provider.shutdown();
    },
  };
}
