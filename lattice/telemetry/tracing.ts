// Traces of one isolate (a provider process, each worker thread of a host): a tracer provider
// started from the telemetry settings (settings.ts), with the parent-based sampler and ratio they
// name, a BatchSpanProcessor and the OTLP/HTTP (JSON) exporter to their URL, which warns when it
// cannot reach it (export-warnings.ts). The current span travels through awaits by
// AsyncLocalStorage (the SDK's context manager), registered even when traces are off, so a
// `traceparent` that came in is passed along unchanged by a process that records nothing.
// While traces are off, `activeTracer()` is undefined and callers make no span at all.

import { context, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { setLogCorrelation } from '../log.ts';
import { type ExportWarningLog, warnOnExportFailure } from './export-warnings.ts';
import { telemetryResource } from './resource.ts';
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

/** OTEL_TRACES_SAMPLER as a sampler; the ratio ones keep `sampleRatio` of new traces. */
export function samplerFor(settings: TelemetrySettings['traces']): Sampler {
  const ratio = new TraceIdRatioBasedSampler(settings.sampleRatio);
  switch (settings.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
  }
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
 * traces off, only carries incoming trace context along.
 */
export function startTracing(settings: TelemetrySettings, options: TracingOptions): Tracing {
  carryTraceContext();
  const url = settings.traces.otlpUrl;
  if (!settings.traces.enabled || url === undefined) return OFF;
  const exporter =
    options.exporter ??
    warnOnExportFailure(
      new OTLPTraceExporter({ url, headers: settings.otlpHeaders.traces }),
      'traces',
      url,
      options.log,
    );
  const provider = new TracerProvider({
    resource: telemetryResource(settings, options.serviceName, options.attributes),
    sampler: samplerFor(settings.traces),
    spanProcessors: [
      new BatchSpanProcessor({ exporter, scheduledDelayMillis: settings.traces.batchDelayMs }),
    ],
  });
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
